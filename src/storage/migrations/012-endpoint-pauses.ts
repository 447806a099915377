import type { Kysely } from 'kysely';

/**
 * A paused endpoint (its circuit breaker open) is shared by every worker process: until when, the
 * cooldown that opened it, and which worker holds the one probe when the pause is over.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('webhooks').addColumn('paused_until_ms', 'bigint').execute();
  await db.schema.alterTable('webhooks').addColumn('pause_cooldown_ms', 'bigint').execute();
  await db.schema.alterTable('webhooks').addColumn('probe_owner', 'text').execute();
  await db.schema.alterTable('webhooks').addColumn('probe_until_ms', 'bigint').execute();
}
