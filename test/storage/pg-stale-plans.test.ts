import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openStore, type Store } from '../../src/storage/database.js';
import { isStalePlan } from '../../src/storage/postgres/named-statements.js';
import { prepared } from '../../src/storage/prepared.js';
import { freshDatabase, type DbName } from '../support/env.js';

/*
 * Which errors of a named prepared statement (storage/postgres/named-statements.ts) cost the
 * connection: only PostgreSQL's "cached plan must not change result type" (a migration changed a
 * table under a prepared SELECT *) closes it, so its statements are prepared afresh on a new one;
 * any other error of the statement leaves the connection, and its prepared statements, in the pool.
 */

describe('isStalePlan', () => {
  it('is PostgreSQL\'s 0A000 about a cached plan, and nothing else', () => {
    const stale = { code: '0A000', message: 'cached plan must not change result type' };
    expect(isStalePlan(stale)).toBe(true);
    expect(isStalePlan(Object.assign(new Error(stale.message), { code: '0A000' }))).toBe(true);
    expect(isStalePlan({ code: '0A000', message: 'FOR UPDATE is not supported here' })).toBe(false);
    expect(isStalePlan({ code: '0A001', message: stale.message })).toBe(false);
    expect(isStalePlan({ code: '0A000' })).toBe(false);
    expect(isStalePlan({ code: '0A000', message: 42 })).toBe(false);
    expect(isStalePlan({ message: stale.message })).toBe(false);
    expect(isStalePlan(null)).toBe(false);
    expect(isStalePlan(undefined)).toBe(false);
  });
});

if ((inject('databases') as DbName[]).includes('postgres')) {
  describe('PostgreSQL: a named statement\'s error and the connection it ran on', () => {
    let fresh: Awaited<ReturnType<typeof freshDatabase>>;
    let store: Store;
    const warehouse = prepared<{ accountId: string; id: number | string }>()((db, v) =>
      db.selectFrom('warehouses').selectAll().where('account_id', '=', v.accountId).where('id', '=', v.id as number),
    );
    /** The backend of the store's one connection, and the named statements it holds. */
    const connection = async () => ({
      pid: (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(store.db)).rows[0].pid,
      named: (await sql<{ name: string }>`select name from pg_prepared_statements where name like 'stockhook_%'`.execute(store.db)).rows.length,
    });

    beforeAll(async () => {
      fresh = await freshDatabase('postgres');
      store = await openStore(fresh.url, { poolSize: 1 });
      await sql`insert into accounts (id, name, slug, number, plan, event_seq, created_ms) values ('a', 'A', 'a', 1, 'paid', 0, 0)`.execute(store.db);
      await sql`insert into warehouses (account_id, code, name, active, deleted, created_ms, updated_ms) values ('a', 'M', 'Main', 1, 0, 0, 0)`.execute(store.db);
    });
    afterAll(async () => {
      await store.close();
      await fresh.drop();
    });

    it('an error of the statement itself (a value of the wrong type) keeps the connection and its prepared statement', async () => {
      await warehouse(store.db, { accountId: 'a', id: 1 });
      const before = await connection();
      expect(before.named).toBe(1);
      await expect(warehouse(store.db, { accountId: 'a', id: 'not a number' })).rejects.toMatchObject({ code: '22P02' });
      expect(await connection()).toEqual(before);
      expect((await warehouse(store.db, { accountId: 'a', id: 1 })).rows.map((w) => w.name)).toEqual(['Main']);
      expect(await connection()).toEqual(before);
    });

    it('a stale plan: the query still answers, and the connection is replaced by one that prepares afresh', async () => {
      await warehouse(store.db, { accountId: 'a', id: 1 });
      const before = await connection();
      await sql`alter table warehouses add column added_for_stale_plans integer default 5`.execute(store.db);
      const [w] = (await warehouse(store.db, { accountId: 'a', id: 1 })).rows as unknown as Array<{ added_for_stale_plans: number }>;
      expect(w.added_for_stale_plans).toBe(5);
      const after = await connection();
      expect(after.pid).not.toBe(before.pid);
      expect(after.named).toBe(0);
      await warehouse(store.db, { accountId: 'a', id: 1 });
      expect(await connection()).toEqual({ pid: after.pid, named: 1 });
    });
  });
}
