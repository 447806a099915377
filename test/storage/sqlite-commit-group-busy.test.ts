import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, sql, SqliteDialect, type Transaction } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/storage/schema.js';
import { CommitGroup } from '../../src/storage/sqlite/commit-group.js';
import { sqliteDialect } from '../../src/storage/sqlite/dialect.js';

type Tx = Transaction<Database>;

/**
 * Group commit (storage/sqlite/commit-group.ts) when SQLite says SQLITE_BUSY (another connection
 * holds or moved the write lock): the whole group runs again, up to five times in all, and a write
 * that was refused for its own reasons is never run twice. The group runs on its own connection with
 * no busy timeout, so a lock held by a second connection is an immediate, real SQLITE_BUSY.
 */
describe('group commit on SQLite: SQLITE_BUSY runs the whole group again', () => {
  let dir: string;
  let file: string;
  let db: Kysely<Database>;
  let other: SQLite.Database;
  /** BEGIN IMMEDIATEs tried by the group's transactions, and what runs before each. */
  let begins = 0;
  let beforeBegin: (n: number) => void = () => {};

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'stockhook-busy-'));
    file = join(dir, 'busy.db');
    const setup = new SQLite(file);
    setup.pragma('journal_mode = WAL');
    setup.exec('create table t (n integer primary key)');
    setup.close();
    const conn = new SQLite(file);
    conn.pragma('busy_timeout = 0');
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: conn }) });
    other = new SQLite(file);
  });
  beforeEach(async () => {
    begins = 0;
    beforeBegin = () => {};
    await sql`delete from t`.execute(db);
  });
  afterAll(async () => {
    other.close();
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  /** One attempt of a transaction, as the SQLite store runs it (BEGIN IMMEDIATE). */
  const once = <T>(fn: (tx: Tx) => Promise<T>): Promise<T> =>
    db.connection().execute(async (conn) => {
      beforeBegin(++begins);
      await sql`begin immediate`.execute(conn);
      try {
        const result = await fn(conn as unknown as Tx);
        await sql`commit`.execute(conn);
        return result;
      } catch (err) {
        await sql`rollback`.execute(conn).catch(() => {});
        throw err;
      }
    });
  const group = (maxJobs?: number) => new CommitGroup(once, { isRetryable: (e) => sqliteDialect.isRetryable(e), maxJobs });
  const busy = () => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
  const committed = () => (other.prepare('select n from t order by n').all() as Array<{ n: number }>).map((r) => r.n);
  /** Writes `ns` in one group; `fail(n, run)` may throw after the insert. Returns outcomes and runs per write. */
  async function writeGroup(g: CommitGroup, ns: number[], fail: (n: number, run: number) => Error | null = () => null) {
    const runs = new Map<number, number>(ns.map((n) => [n, 0]));
    const outcomes = await Promise.allSettled(
      ns.map((n) =>
        g.run(async (tx) => {
          const run = (runs.get(n) ?? 0) + 1;
          runs.set(n, run);
          await sql`insert into t (n) values (${n})`.execute(tx);
          const err = fail(n, run);
          if (err) throw err;
          return n;
        }),
      ),
    );
    return { outcomes: outcomes.map((o) => (o.status === 'fulfilled' ? `ok ${o.value}` : `${(o.reason as { code?: string }).code ?? ''} ${(o.reason as Error).message}`)), runs: [...runs.values()] };
  }

  it('a real SQLITE_BUSY at BEGIN (another connection writes): the group runs again once the lock is free, each write once', async () => {
    other.exec('begin immediate');
    beforeBegin = (n) => {
      if (n === 2) other.exec('commit');
    };
    const g = group();
    const { outcomes, runs } = await writeGroup(g, [1, 2, 3]);
    expect(outcomes).toEqual(['ok 1', 'ok 2', 'ok 3']);
    expect([begins, runs, g.runs]).toEqual([2, [1, 1, 1], { plain: 0, savepoints: 1 }]);
    expect(committed()).toEqual([1, 2, 3]);
  });

  it('BUSY inside a write of a group: every write of it runs again, and what the first run wrote is gone', async () => {
    const g = group();
    const { outcomes, runs } = await writeGroup(g, [10, 11, 12], (n, run) => (n === 11 && run === 1 ? busy() : null));
    expect(outcomes).toEqual(['ok 10', 'ok 11', 'ok 12']);
    // 10 and 11 ran in the first attempt, which rolled back; the second ran all three.
    expect([begins, runs]).toEqual([2, [2, 2, 1]]);
    expect(committed()).toEqual([10, 11, 12]);
  });

  it('BUSY in a group of one is not a refusal: it runs again, with no savepoint', async () => {
    const g = group();
    const { outcomes, runs } = await writeGroup(g, [20], (_, run) => (run <= 2 ? busy() : null));
    expect([outcomes, runs, begins, g.runs]).toEqual([['ok 20'], [3], 3, { plain: 1, savepoints: 0 }]);
    expect(committed()).toEqual([20]);
  });

  it('BUSY that does not clear: five runs in all, then every write of the group fails with it and nothing is kept', async () => {
    const g = group();
    const { outcomes, runs } = await writeGroup(g, [30, 31, 32], (n) => (n === 31 ? busy() : null));
    expect(outcomes).toEqual(['SQLITE_BUSY database is locked', 'SQLITE_BUSY database is locked', 'SQLITE_BUSY database is locked']);
    expect([begins, runs]).toEqual([5, [5, 5, 0]]);
    const single = group();
    const one = await writeGroup(single, [33], () => busy());
    expect([one.outcomes, one.runs, begins]).toEqual([['SQLITE_BUSY database is locked'], [5], 10]);
    expect(committed()).toEqual([]);
  });

  it('a transaction that fails for another reason is not run again: every write of the group gets its error', async () => {
    const g = group();
    beforeBegin = () => {
      throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
    };
    const { outcomes, runs } = await writeGroup(g, [40, 41]);
    expect([outcomes, runs, begins]).toEqual([['SQLITE_IOERR disk I/O error', 'SQLITE_IOERR disk I/O error'], [0, 0], 1]);
    expect(committed()).toEqual([]);
  });

  it('a group carries at most maxJobs writes; the rest run in the next groups, in order', async () => {
    const g = group(2);
    const { outcomes, runs } = await writeGroup(g, [50, 51, 52, 53, 54]);
    expect(outcomes).toEqual(['ok 50', 'ok 51', 'ok 52', 'ok 53', 'ok 54']);
    expect([runs, begins, g.runs]).toEqual([[1, 1, 1, 1, 1], 3, { plain: 1, savepoints: 2 }]);
    expect(committed()).toEqual([50, 51, 52, 53, 54]);
  });
});
