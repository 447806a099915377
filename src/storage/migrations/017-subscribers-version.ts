import { sql, type Kysely } from 'kysely';
import type { StorageDialect } from '../dialect.js';

/**
 * The webhook columns a write's fan-out reads (through the Subscription it renders and hands off
 * with). A change to any of them, or an insert or delete, gives the account a new
 * subscribers_version. The breaker's and the failure tracking's bookkeeping (failing_since_ms,
 * pause_cooldown_ms, probe_owner, probe_until_ms) and updated_ms are left out: the delivery side
 * writes them after attempts, the fan-out never reads them, and on PostgreSQL each bump locks the
 * account row, which two workers marking endpoints of two accounts in opposite orders would
 * deadlock on. A new column the fan-out reads belongs in this list (a new migration re-creates the
 * triggers), and a migration that drops a watched column drops the update trigger first (PostgreSQL
 * refuses otherwise); test/events/subscriber-cache.test.ts checks every column either way.
 */
export const WATCHED_WEBHOOK_COLUMNS = [
  'id',
  'account_id',
  'url',
  'format',
  'events',
  'secret',
  'basic_username',
  'basic_password',
  'bearer_token',
  'enabled',
  'disabled_reason',
  'retry_schedule',
  'coalesce_seconds',
  'max_in_flight',
  'options',
  'token_kind',
  'author_application_id',
  'paused_until_ms',
  'created_ms',
] as const;

/**
 * `accounts.subscribers_version` changes whenever what a write reads as the account's subscribers
 * could change: an insert or delete of one of its webhooks, a change of a watched column, or a
 * change of the account's number, slug or plan. Triggers keep it, so a change from any connection
 * or process (the CLI, another process, a raw statement) is seen. A write reuses the subscribers
 * it read last while the version is unchanged (events/outbox.ts).
 *
 * The value must never repeat: a transaction that changed it and rolled back leaves the old value,
 * and a counter would hand the next change the rolled-back value again, which a cached copy may
 * already carry. PostgreSQL takes it from a sequence (never rolled back); SQLite, which has none,
 * from 53 random bits.
 *
 * Not seen (no row trigger fires): on SQLite, `INSERT OR REPLACE` into webhooks, whose implicit
 * delete fires no trigger unless recursive_triggers is on; on PostgreSQL, statements run with
 * triggers disabled (session_replication_role = replica, pg_restore --disable-triggers). stockhook
 * does none of these; after doing one by hand, restart the processes. TRUNCATE on PostgreSQL has a
 * statement trigger of its own.
 *
 * Also drops `movements_level` (account, level): its columns begin `movements_level_time`, which
 * serves the same lookups, and every movement's insert updated both.
 */
export async function up(db: Kysely<unknown>, d: StorageDialect): Promise<void> {
  await db.schema.dropIndex('movements_level').execute();
  await sql`alter table accounts add column subscribers_version bigint not null default 0`.execute(db);
  const watched = sql.raw(WATCHED_WEBHOOK_COLUMNS.join(', '));
  if (d.name === 'sqlite') {
    const next = sql.raw('(random() & 9007199254740991)');
    await sql`create trigger webhooks_insert_version after insert on webhooks begin
      update accounts set subscribers_version = ${next} where id = new.account_id; end`.execute(db);
    await sql`create trigger webhooks_update_version after update of ${watched} on webhooks begin
      update accounts set subscribers_version = ${next} where id in (old.account_id, new.account_id); end`.execute(db);
    await sql`create trigger webhooks_delete_version after delete on webhooks begin
      update accounts set subscribers_version = ${next} where id = old.account_id; end`.execute(db);
    await sql`create trigger accounts_subscribers_version after update of number, slug, plan on accounts begin
      update accounts set subscribers_version = ${next} where id = new.id; end`.execute(db);
    return;
  }
  await sql`create sequence subscribers_versions`.execute(db);
  // `set search_path from current`: the function finds the tables the migration saw, whatever the
  // search_path of the session whose statement fires it.
  await sql`create function stockhook_subscribers_changed() returns trigger language plpgsql set search_path from current as $$
    begin
      if tg_table_name = 'accounts' then
        new.subscribers_version := nextval('subscribers_versions');
        return new;
      end if;
      if tg_level = 'STATEMENT' then
        update accounts set subscribers_version = nextval('subscribers_versions');
        return null;
      end if;
      update accounts set subscribers_version = nextval('subscribers_versions')
        where id in (coalesce(new.account_id, old.account_id), coalesce(old.account_id, new.account_id));
      return null;
    end $$`.execute(db);
  await sql`create trigger webhooks_subscribers_version after insert or delete or update of ${watched} on webhooks
    for each row execute function stockhook_subscribers_changed()`.execute(db);
  await sql`create trigger webhooks_truncated_version after truncate on webhooks
    for each statement execute function stockhook_subscribers_changed()`.execute(db);
  await sql`create trigger accounts_subscribers_version before update of number, slug, plan on accounts
    for each row execute function stockhook_subscribers_changed()`.execute(db);
}
