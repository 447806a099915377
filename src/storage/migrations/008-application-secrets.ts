import { sql, type Kysely } from 'kysely';

/**
 * Application access tokens leave the event log. `application_secrets` holds the one clear copy of
 * each installed application's token, for Poster's `application`/`added` hook only, which fills it
 * in at send time; uninstalling deletes the row. `webhooks.author_application_id` records which
 * application created a subscription (null: the account's user), so an application token sees
 * only its own and uninstalling removes them.
 * Older databases: the author is taken from the Kladana option that already recorded it, and
 * tokens already written into `application.installed` events and their delivery bodies are erased.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('application_secrets')
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('application_id', 'integer', (c) => c.notNull())
    .addColumn('access_token', 'text', (c) => c.notNull())
    .addColumn('created_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('application_secrets_pk', ['account_id', 'application_id'])
    .execute();
  await db.schema.alterTable('webhooks').addColumn('author_application_id', 'integer').execute();

  const authored = await sql<{ id: string; options: string }>`select id, options from webhooks where token_kind = 'application'`.execute(db);
  for (const r of authored.rows) {
    const app = (JSON.parse(r.options) as { authorApplicationId?: unknown }).authorApplicationId;
    if (typeof app === 'number') await sql`update webhooks set author_application_id = ${app} where id = ${r.id}`.execute(db);
  }

  const installed = await sql<{ id: string; data: string }>`select id, data from events where type = 'application.installed'`.execute(db);
  for (const e of installed.rows) {
    const data = JSON.parse(e.data) as Record<string, unknown>;
    const token = data.access_token;
    if (typeof token !== 'string') continue;
    delete data.access_token;
    await sql`update events set data = ${JSON.stringify(data)} where id = ${e.id}`.execute(db);
    const bodies = await sql<{ id: string; body: string }>`select id, body from deliveries where event_id = ${e.id}`.execute(db);
    for (const d of bodies.rows) {
      await sql`update deliveries set body = ${d.body.replaceAll(token, 'erased')} where id = ${d.id}`.execute(db);
    }
  }
}
