import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openStore, type Store } from '../../src/storage/database.js';
import { prepared } from '../../src/storage/prepared.js';
import { freshDatabase } from '../support/env.js';

const hasPostgres = (inject('databases') as string[]).includes('postgres');

// Named prepared statements exist on PostgreSQL only; SQLite reuses statements in-process (sqlite/statement-cache.ts).
(hasPostgres ? describe : describe.skip)('the hot path’s statements as named prepared statements (PostgreSQL)', () => {
  let fresh: { url: string; drop(): Promise<void> };
  let store: Store;
  const warehouse = prepared<{ accountId: string; id: number }>()((db, v) =>
    db.selectFrom('warehouses').selectAll().where('account_id', '=', v.accountId).where('id', '=', v.id),
  );

  beforeAll(async () => {
    fresh = await freshDatabase('postgres');
    store = await openStore(fresh.url, { poolSize: 1 }); // one connection: every run meets its own prepared statement
    await sql`insert into accounts (id, name, slug, number, plan, event_seq, created_ms) values ('a', 'A', 'a', 1, 'paid', 0, 0)`.execute(store.db);
    await sql`insert into warehouses (account_id, code, name, active, deleted, created_ms, updated_ms) values ('a', 'M', 'Main', 1, 0, 0, 0)`.execute(store.db);
  });
  afterAll(async () => {
    await store.close();
    await fresh.drop();
  });

  it('parses each statement once per connection and runs it by name afterwards', async () => {
    const [w] = (await warehouse(store.db, { accountId: 'a', id: 1 })).rows;
    expect(w.name).toBe('Main');
    const { rows } = await sql<{ name: string; n: number }>`select name, generic_plans + custom_plans as n from pg_prepared_statements where name like 'stockhook_%'`.execute(store.db);
    expect(rows).toHaveLength(1);
    await warehouse(store.db, { accountId: 'a', id: 1 });
    await warehouse(store.db, { accountId: 'b', id: 1 });
    const again = await sql<{ name: string; n: number }>`select name, generic_plans + custom_plans as n from pg_prepared_statements where name like 'stockhook_%'`.execute(store.db);
    expect(again.rows).toEqual([{ name: rows[0].name, n: Number(rows[0].n) + 2 }]);
  });

  it('names nothing when told not to (STOCKHOOK_PG_NAMED_STATEMENTS=0, for a pooler in transaction mode)', async () => {
    const plain = await openStore(fresh.url, { poolSize: 1, migrate: false, namedStatements: false });
    try {
      const [w] = (await warehouse(plain.db, { accountId: 'a', id: 1 })).rows;
      expect(w.name).toBe('Main');
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_prepared_statements`.execute(plain.db);
      expect(rows[0].n).toBe(0);
    } finally {
      await plain.close();
    }
  });

  it('survives a migration that adds a column while it runs: outside a transaction, and inside one (retried)', async () => {
    await warehouse(store.db, { accountId: 'a', id: 1 }); // prepared with the old columns
    await sql`alter table warehouses add column added_later text default 'x'`.execute(store.db);
    const [w] = (await warehouse(store.db, { accountId: 'a', id: 1 })).rows;
    expect((w as unknown as { added_later: string }).added_later).toBe('x');

    await warehouse(store.db, { accountId: 'a', id: 1 });
    await sql`alter table warehouses add column added_later_too integer default 7`.execute(store.db);
    let runs = 0;
    const inTx = await store.transaction(async (tx) => {
      runs++;
      return (await warehouse(tx, { accountId: 'a', id: 1 })).rows[0] as unknown as { added_later_too: number };
    });
    expect(inTx.added_later_too).toBe(7);
    expect(runs).toBe(2); // the stale plan failed the first run; the runner ran it again on a fresh connection
  });
});
