import type { Kysely } from 'kysely';

/**
 * A rotated signing secret stays in force until previous_secret_until_ms: Standard Webhooks
 * deliveries carry a signature with it beside the new one, so receivers holding it keep verifying
 * while they update. Never returned by any read.
 *
 * Not watched by the subscribers_version triggers (017): both columns change only in the statement
 * that changes `secret`, which is watched, so a cached subscription never carries a stale pair; the
 * expiry is a time, read at send time, not a write.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('webhooks').addColumn('previous_secret', 'text').execute();
  await db.schema.alterTable('webhooks').addColumn('previous_secret_until_ms', 'bigint').execute();
}
