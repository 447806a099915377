import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawNode, sql, type KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommitGroup } from '../../src/storage/sqlite/commit-group.js';
import { sqliteDialect } from '../../src/storage/sqlite/dialect.js';
import { openStore, type Store } from '../../src/storage/database.js';

/** A store on a real SQLite file (WAL) with a table t, and a second connection that sees only what is committed. */
function fileStore(): { readonly store: Store; committed(): number[] } {
  let dir: string;
  let store: Store;
  let observer: Database.Database;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stockhook-group-'));
    store = await openStore(join(dir, 'g.db'));
    await sql`create table t (n integer primary key)`.execute(store.db);
    observer = new Database(join(dir, 'g.db'), { readonly: true });
  });
  afterAll(async () => {
    observer.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    get store() {
      return store;
    },
    committed: () => (observer.prepare('select n from t order by n').all() as Array<{ n: number }>).map((r) => r.n),
  };
}

describe('group commit on SQLite (a real file, WAL)', () => {
  const file = fileStore();
  const committedRows = () => file.committed();

  it('concurrent writes share one transaction; a throwing one rolls back alone and settles after the commit', async () => {
    const seenByObserverDuringLast: number[][] = [];
    const settled: string[] = [];
    const writes = Array.from({ length: 10 }, (_, i) =>
      file.store
        .write(async (tx) => {
          await sql`insert into t (n) values (${i})`.execute(tx);
          if (i === 4) throw new Error('refused');
          if (i === 9) seenByObserverDuringLast.push(committedRows());
          return i;
        })
        .then(
          (v) => settled.push(`ok ${v}`),
          (e: Error) => settled.push(`err ${e.message}`),
        ),
    );
    await Promise.all(writes);
    // While the tenth write ran, none of the first nine was committed yet: one transaction.
    expect(seenByObserverDuringLast).toEqual([[]]);
    expect(committedRows()).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9]);
    expect(settled.sort()).toEqual(['err refused', 'ok 0', 'ok 1', 'ok 2', 'ok 3', 'ok 5', 'ok 6', 'ok 7', 'ok 8', 'ok 9']);
  });

  it('a write that fails at the database (constraint) does not undo its neighbours', async () => {
    const r = await Promise.allSettled([
      file.store.write((tx) => sql`insert into t (n) values (100)`.execute(tx)),
      file.store.write((tx) => sql`insert into t (n) values (100)`.execute(tx)),
      file.store.write((tx) => sql`insert into t (n) values (101)`.execute(tx)),
    ]);
    expect(r.map((x) => x.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(committedRows().filter((n) => n >= 100)).toEqual([100, 101]);
  });
});

describe('group commit: a savepoint per write of a group, none for a group of one', () => {
  const file = fileStore();
  const committed = () => file.committed();
  // A group of its own, over the store's transaction (BEGIN IMMEDIATE on SQLite).
  const newGroup = (rehearse = false) =>
    new CommitGroup((fn) => file.store.transaction(fn), { isRetryable: (e) => sqliteDialect.isRetryable(e), rehearse });
  /** Writes `ns` in one group; those in `refuse` throw after inserting. Returns each write's outcome and how often it ran. */
  async function writeGroup(group: CommitGroup, ns: number[], refuse: number[] = []) {
    const runs = new Map<number, number>();
    const outcomes = await Promise.allSettled(
      ns.map((n) =>
        group.run(async (tx) => {
          runs.set(n, (runs.get(n) ?? 0) + 1);
          await sql`insert into t (n) values (${n})`.execute(tx);
          if (refuse.includes(n)) throw new Error(`refused ${n}`);
          return n;
        }),
      ),
    );
    return { outcomes: outcomes.map((o) => (o.status === 'fulfilled' ? `ok ${o.value}` : (o.reason as Error).message)), runs: [...runs.values()] };
  }

  it('a clean group runs once, in one transaction with a savepoint per write', async () => {
    const group = newGroup();
    const { outcomes, runs } = await writeGroup(group, [1, 2, 3, 4, 5]);
    expect(outcomes).toEqual(['ok 1', 'ok 2', 'ok 3', 'ok 4', 'ok 5']);
    expect(runs).toEqual([1, 1, 1, 1, 1]);
    expect(group.runs).toEqual({ plain: 0, savepoints: 1 });
    expect(committed()).toEqual([1, 2, 3, 4, 5]);
  });

  it('a refused write is rolled back to its savepoint and leaves nothing; every write runs once and the rest commit', async () => {
    const group = newGroup();
    const { outcomes, runs } = await writeGroup(group, [10, 11, 12, 13], [12]);
    expect(outcomes).toEqual(['ok 10', 'ok 11', 'refused 12', 'ok 13']);
    expect(runs).toEqual([1, 1, 1, 1]);
    expect(group.runs).toEqual({ plain: 0, savepoints: 1 });
    expect(committed().filter((n) => n >= 10)).toEqual([10, 11, 13]);
  });

  it('a refusal in every other group runs no write twice', async () => {
    const group = newGroup();
    let executed = 0;
    for (let g = 0; g < 10; g++) {
      const base = 1000 + 10 * g;
      const refused = g % 2 === 0 ? [base + 1] : [];
      const { outcomes, runs } = await writeGroup(group, [base, base + 1, base + 2], refused);
      executed += runs.reduce((a, b) => a + b, 0);
      expect(outcomes).toEqual([`ok ${base}`, refused.length > 0 ? `refused ${base + 1}` : `ok ${base + 1}`, `ok ${base + 2}`]);
    }
    expect(executed).toBe(10 * 3);
    expect(group.runs).toEqual({ plain: 0, savepoints: 10 });
    const kept = committed().filter((n) => n >= 1000);
    expect(kept).toHaveLength(10 * 3 - 5);
    expect(kept.filter((n) => n % 10 === 1 && Math.floor((n - 1000) / 10) % 2 === 0)).toEqual([]);
  });

  it('rehearsal runs every group once and rolls it back before running it for real', async () => {
    const group = newGroup(true);
    const { outcomes, runs } = await writeGroup(group, [400, 401, 402], [401]);
    expect(outcomes).toEqual(['ok 400', 'refused 401', 'ok 402']);
    // The rehearsal, then the run in savepoints.
    expect(runs).toEqual([2, 2, 2]);
    expect(committed().filter((n) => n >= 400 && n < 500)).toEqual([400, 402]);
  });

  it('writes that arrive while a group runs wait for it, then go together as the next group', async () => {
    const group = newGroup();
    let open = () => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    let started = () => {};
    const running = new Promise<void>((resolve) => (started = resolve));
    const first = group.run(async (tx) => {
      await sql`insert into t (n) values (${500})`.execute(tx);
      started();
      await gate;
      return 500;
    });
    await running;
    // Each arrives in an I/O turn of its own while the first group holds its transaction open.
    const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
    const later = [];
    for (const n of [501, 502]) {
      later.push(group.run(async (tx) => (await sql`insert into t (n) values (${n})`.execute(tx), n)));
      await nextTurn();
      await nextTurn();
    }
    expect(group.runs).toEqual({ plain: 1, savepoints: 0 });
    open();
    expect(await Promise.all([first, ...later])).toEqual([500, 501, 502]);
    // The first write alone, then the two that waited in one transaction.
    expect(group.runs).toEqual({ plain: 1, savepoints: 1 });
    expect(committed().filter((n) => n >= 500 && n < 600)).toEqual([500, 501, 502]);
  });

  it('a group of one runs with no savepoint, and if refused rolls back without running again', async () => {
    // The statements the group sends in its transaction, as raw SQL text or the kind of query.
    const sent: string[] = [];
    const recording: KyselyPlugin = {
      transformQuery: ({ node }) => (sent.push(RawNode.is(node) ? node.sqlFragments.join('?').trim() : node.kind), node),
      transformResult: async ({ result }) => result,
    };
    const group = new CommitGroup((fn) => file.store.transaction((tx) => fn(tx.withPlugin(recording) as typeof tx)), { isRetryable: (e) => sqliteDialect.isRetryable(e) });
    const { outcomes, runs } = await writeGroup(group, [300], [300]);
    expect([outcomes, runs]).toEqual([['refused 300'], [1]]);
    expect(group.runs).toEqual({ plain: 1, savepoints: 0 });
    expect(sent).toEqual(['insert into t (n) values (?)']);
    expect(committed().filter((n) => n >= 300 && n < 400)).toEqual([]);
    // Two at once: each in its savepoint.
    sent.length = 0;
    expect((await writeGroup(group, [301, 302])).outcomes).toEqual(['ok 301', 'ok 302']);
    expect(sent).toEqual(['savepoint w', 'insert into t (n) values (?)', 'release savepoint w', 'savepoint w', 'insert into t (n) values (?)', 'release savepoint w']);
  });
});
