import type { Kysely } from 'kysely';

/**
 * An application may carry its own Poster webhook (URL, entities, verify secret), as Poster's
 * application settings do: every account that installs it gets a subscription to that URL.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('applications')
    .addColumn('webhook_url', 'text')
    .execute();
  await db.schema.alterTable('applications').addColumn('webhook_objects', 'text').execute();
  await db.schema.alterTable('applications').addColumn('webhook_secret', 'text').execute();
}
