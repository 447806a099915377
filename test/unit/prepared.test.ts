import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/storage/database.js';
import { isPreparedSql, prepared, preparedRows } from '../../src/storage/prepared.js';

describe('prepared statements: built once, run with new values (SQLite)', () => {
  let dir: string;
  let store: Store;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stockhook-prepared-'));
    store = await openStore(join(dir, 't.db'));
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const insertAccount = prepared<{ id: string; name: string; slug: string; number: number }>()((db, v) =>
    db
      .insertInto('accounts')
      .values({ id: v.id, name: v.name, slug: v.slug, number: v.number, plan: 'paid', event_seq: 0, created_ms: 7 })
      .returning(['id', 'name', 'plan', 'created_ms']),
  );
  const byPlan = prepared<{ plan: 'free' | 'paid'; min: number }>()((db, v) =>
    db.selectFrom('accounts').select(['id', 'number']).where('plan', '=', v.plan).where('number', '>=', v.min).orderBy('number'),
  );
  let builds = 0;
  const insertMany = preparedRows<{ id: string; n: number }>()((db, rows) => {
    builds++;
    return db
      .insertInto('accounts')
      .values(rows.map((r) => ({ id: r.id, name: r.id, slug: r.id, number: r.n, plan: 'free', event_seq: 0, created_ms: 1 })))
      .returning(['id', 'number']);
  });

  it('binds each run’s values where the placeholders were, and keeps the constants of the statement', async () => {
    const a = await insertAccount(store.db, { id: 'a1', name: 'One', slug: 'one', number: 101 });
    const b = await insertAccount(store.db, { id: 'a2', name: 'Two', slug: 'two', number: 102 });
    expect(a.rows).toEqual([{ id: 'a1', name: 'One', plan: 'paid', created_ms: 7 }]);
    expect(b.rows).toEqual([{ id: 'a2', name: 'Two', plan: 'paid', created_ms: 7 }]);
    expect((await byPlan(store.db, { plan: 'paid', min: 102 })).rows).toEqual([{ id: 'a2', number: 102 }]);
    expect((await byPlan(store.db, { plan: 'paid', min: 0 })).rows.map((r) => r.id)).toEqual(['a1', 'a2']);
  });

  it('keeps one plan per row count up to 32 rows, and builds larger statements per call', async () => {
    const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ id: `m${from + i}`, n: from + i }));
    expect((await insertMany(store.db, rows(1000, 3))).rows.map((r) => r.number)).toEqual([1000, 1001, 1002]);
    expect((await insertMany(store.db, rows(1010, 3))).rows.map((r) => r.number)).toEqual([1010, 1011, 1012]);
    expect(builds).toBe(1);
    await insertMany(store.db, rows(1020, 2));
    expect(builds).toBe(2);
    const big = await insertMany(store.db, rows(2000, 40));
    await insertMany(store.db, rows(3000, 40));
    expect(builds).toBe(4); // 40 rows: not kept
    expect(big.rows).toHaveLength(40);
    expect(big.rows[39]).toEqual({ id: 'm2039', number: 2039 });
  });

  it('inside a transaction too, and a failed statement changes nothing', async () => {
    await expect(
      store.transaction(async (tx) => {
        await insertAccount(tx, { id: 'a3', name: 'Three', slug: 'three', number: 103 });
        await insertAccount(tx, { id: 'a3', name: 'Dup', slug: 'dup', number: 104 }); // primary key
      }),
    ).rejects.toThrow();
    expect((await byPlan(store.db, { plan: 'paid', min: 103 })).rows).toEqual([]);
  });

  it('registers the SQL it compiled for PostgreSQL to name, multi-row statements up to 4 rows only', async () => {
    const compiled = store.db.selectFrom('accounts').select(['id', 'number']).where('plan', '=', 'free').where('number', '>=', 1).orderBy('number').compile();
    expect(isPreparedSql(compiled.sql)).toBe(true);
    expect(isPreparedSql('select 1')).toBe(false);
    const rowsSql = (n: number) =>
      store.db
        .insertInto('accounts')
        .values(Array.from({ length: n }, () => ({ id: 'x', name: 'x', slug: 'x', number: 1, plan: 'free' as const, event_seq: 0, created_ms: 1 })))
        .returning(['id', 'number'])
        .compile().sql;
    expect(isPreparedSql(rowsSql(2))).toBe(true); // run above with 2 rows
    expect(isPreparedSql(rowsSql(3))).toBe(true);
    expect(isPreparedSql(rowsSql(40))).toBe(false); // built per call
    await insertMany(store.db, Array.from({ length: 10 }, (_, i) => ({ id: `t${i}`, n: 5000 + i })));
    expect(isPreparedSql(rowsSql(10))).toBe(false); // planned once, but not named
  });
});
