import { sql, type Kysely } from 'kysely';
import type { StorageDialect } from '../dialect.js';

/**
 * Only a coalescing subscription's fresh delivery has a coalesce key; every other row (nearly all
 * of them, and every row once claimed) has none. A plain unique constraint still gives each of
 * those rows an index entry for its null, so every delivery insert wrote one B-tree more than the
 * uniqueness needs. A partial unique index over the non-null keys keeps the same rule (two open
 * windows with one key cannot exist; nulls never conflicted) and leaves the rest out; the fan-out's
 * `on conflict (coalesce_key) where coalesce_key is not null` names it.
 *
 * SQLite cannot drop a column's unique constraint, so its table is rebuilt with the same columns
 * and indexes (rows copied as they are).
 *
 * `events_occurred` (occurred_ms) served the pruner alone; it finds expired events per account
 * through `events_time` (account_id, occurred_ms) instead, so an event insert writes one index fewer.
 */
export async function up(db: Kysely<unknown>, d: StorageDialect): Promise<void> {
  if (d.name === 'postgres') {
    await sql`alter table deliveries drop constraint deliveries_coalesce_key_key`.execute(db);
  } else {
    await sql`create table "deliveries_rebuilt" ("id" text primary key, "account_id" text not null, "webhook_id" text not null,
      "event_id" text, "event_type" text not null, "status" text not null, "attempts" integer not null, "next_attempt_ms" bigint not null,
      "lease_owner" text, "coalesce_key" text, "url" text not null, "headers" text not null, "body" text not null,
      "last_status_code" integer, "last_error" text, "created_ms" bigint not null, "completed_ms" bigint)`.execute(db);
    await sql`insert into deliveries_rebuilt (id, account_id, webhook_id, event_id, event_type, status, attempts, next_attempt_ms,
      lease_owner, coalesce_key, url, headers, body, last_status_code, last_error, created_ms, completed_ms)
      select id, account_id, webhook_id, event_id, event_type, status, attempts, next_attempt_ms,
      lease_owner, coalesce_key, url, headers, body, last_status_code, last_error, created_ms, completed_ms from deliveries`.execute(db);
    await sql`drop table deliveries`.execute(db);
    await sql`alter table deliveries_rebuilt rename to deliveries`.execute(db);
    await sql`create index "deliveries_due" on "deliveries" ("next_attempt_ms") where "status" = 'pending'`.execute(db);
    await sql`create index "deliveries_webhook" on "deliveries" ("account_id", "webhook_id", "created_ms")`.execute(db);
    await sql`create index "deliveries_account_time" on "deliveries" ("account_id", "created_ms")`.execute(db);
    await sql`create index "deliveries_leased" on "deliveries" ("lease_owner") where "lease_owner" is not null`.execute(db);
    await sql`create index "deliveries_event" on "deliveries" ("event_id")`.execute(db);
    await sql`create index deliveries_completed on deliveries (completed_ms) where completed_ms is not null`.execute(db);
  }
  await sql`create unique index deliveries_coalesce on deliveries (coalesce_key) where coalesce_key is not null`.execute(db);
  await sql`drop index events_occurred`.execute(db);
}
