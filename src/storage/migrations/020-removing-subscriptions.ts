import { sql, type Kysely } from 'kysely';
import type { StorageDialect } from '../dialect.js';
import { WATCHED_WEBHOOK_COLUMNS as WATCHED_BEFORE } from './017-subscribers-version.js';

/**
 * `webhooks.removing_ms`: the subscription is being removed since then. An uninstalled Poster
 * application must still be told (`application`/`removed`), so its subscription outlives the
 * uninstall until that one hook has succeeded or run out of tries: the uninstall marks it in its
 * own transaction, the fan-out gives it nothing else from then on, and the dispatcher deletes it in
 * the transaction that writes that hook's final result. A mark in the row, not in memory, so a
 * crash or a restart in between loses neither the hook nor the removal.
 *
 * The fan-out reads the column, so the subscribers_version triggers of migration 017 now watch it
 * too: they are re-created here with the longer list.
 */
export const WATCHED_WEBHOOK_COLUMNS = [...WATCHED_BEFORE, 'removing_ms'] as const;

export async function up(db: Kysely<unknown>, d: StorageDialect): Promise<void> {
  await db.schema.alterTable('webhooks').addColumn('removing_ms', 'bigint').execute();
  const watched = sql.raw(WATCHED_WEBHOOK_COLUMNS.join(', '));
  if (d.name === 'sqlite') {
    const next = sql.raw('(random() & 9007199254740991)');
    await sql`drop trigger webhooks_update_version`.execute(db);
    await sql`create trigger webhooks_update_version after update of ${watched} on webhooks begin
      update accounts set subscribers_version = ${next} where id in (old.account_id, new.account_id); end`.execute(db);
    return;
  }
  await sql`drop trigger webhooks_subscribers_version on webhooks`.execute(db);
  await sql`create trigger webhooks_subscribers_version after insert or delete or update of ${watched} on webhooks
    for each row execute function stockhook_subscribers_changed()`.execute(db);
}
