import { sql, type Kysely } from 'kysely';
import type { StorageDialect } from '../dialect.js';

/**
 * `accounts.subscribers_version` changes whenever what a write reads as the account's subscribers
 * could change: any insert, update or delete of one of its webhooks, or a change of the account's
 * number, slug or plan. Triggers keep it, so a change from any connection or process (the CLI, the
 * delivery thread's endpoint marks) is seen. On SQLite the write that bumps the account's event
 * counter reads it in the same statement and reuses the subscribers it read last while it is
 * unchanged (events/outbox.ts), a statement fewer per write. The value is random rather than a
 * counter: a transaction that changed it and then rolled back leaves the old value, and a counter
 * would hand the next change the rolled-back value again, which a cached copy already carries.
 *
 * Also drops `movements_level` (account, level): its columns begin `movements_level_time`, which
 * serves the same lookups, and every movement's insert updated both.
 */
export async function up(db: Kysely<unknown>, d: StorageDialect): Promise<void> {
  await db.schema.dropIndex('movements_level').execute();
  await sql`alter table accounts add column subscribers_version bigint not null default 0`.execute(db);
  if (d.name === 'sqlite') {
    // abs(random()) stays within 2^63; modulo 2^53 keeps it exact as a JavaScript number.
    const next = sql.raw('abs(random()) % 9007199254740991');
    await sql`create trigger webhooks_insert_version after insert on webhooks begin
      update accounts set subscribers_version = ${next} where id = new.account_id; end`.execute(db);
    await sql`create trigger webhooks_update_version after update on webhooks begin
      update accounts set subscribers_version = ${next} where id in (old.account_id, new.account_id); end`.execute(db);
    await sql`create trigger webhooks_delete_version after delete on webhooks begin
      update accounts set subscribers_version = ${next} where id = old.account_id; end`.execute(db);
    await sql`create trigger accounts_subscribers_version after update of number, slug, plan on accounts begin
      update accounts set subscribers_version = ${next} where id = new.id; end`.execute(db);
    return;
  }
  await sql`create function stockhook_subscribers_changed() returns trigger language plpgsql as $$
    begin
      if tg_table_name = 'accounts' then
        new.subscribers_version := floor(random() * 9007199254740991);
        return new;
      end if;
      update accounts set subscribers_version = floor(random() * 9007199254740991)
        where id in (coalesce(new.account_id, old.account_id), coalesce(old.account_id, new.account_id));
      return null;
    end $$`.execute(db);
  await sql`create trigger webhooks_subscribers_version after insert or update or delete on webhooks
    for each row execute function stockhook_subscribers_changed()`.execute(db);
  await sql`create trigger accounts_subscribers_version before update of number, slug, plan on accounts
    for each row execute function stockhook_subscribers_changed()`.execute(db);
}
