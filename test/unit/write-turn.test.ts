import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/storage/database.js';
import { WriteTurn } from '../../src/storage/sqlite/write-turn.js';

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('the write turn threads of one process share (SQLite)', () => {
  let dir: string;
  let store: Store;
  /** A second connection sharing the turn, as the delivery thread's does. */
  let other: Store;
  let turn: WriteTurn;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stockhook-turn-'));
    const buffer = new SharedArrayBuffer(8);
    turn = new WriteTurn(buffer);
    store = await openStore(join(dir, 't.db'), { writeTurn: buffer });
    await sql`create table t (n integer primary key)`.execute(store.db);
    other = await openStore(join(dir, 't.db'), { writeTurn: buffer, migrate: false });
  });
  afterAll(async () => {
    await other.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a write and a transaction wait for the turn, with the event loop free meanwhile; a read does not wait', async () => {
    await turn.acquire();
    const done: string[] = [];
    const write = sql`insert into t (n) values (1)`.execute(store.db).then(() => done.push('write'));
    const tx = store.transaction(async (t) => sql`insert into t (n) values (2)`.execute(t)).then(() => done.push('transaction'));
    for (let i = 0; i < 20; i++) await tick();
    // Reads never wait for the turn (one connection runs one query at a time, so read on the other).
    const read = await sql<{ n: number }>`select count(*) as n from t`.execute(other.db);
    expect(read.rows[0].n).toBe(0);
    expect(done).toEqual([]);
    turn.release();
    await Promise.all([write, tx]);
    // First come, first served.
    expect(done).toEqual(['write', 'transaction']);
    const after = await sql<{ n: number }>`select n from t order by n`.execute(store.db);
    expect(after.rows.map((r) => r.n)).toEqual([1, 2]);
  });

  it('a transaction alone waits for the turn at BEGIN: its body does not start while another thread holds it', async () => {
    // Alone, so no write ahead of it holds the connection: only BEGIN's wait can hold the body back.
    await turn.acquire();
    let entered = false;
    const tx = store.transaction(async (t) => {
      entered = true;
      await sql`insert into t (n) values (10)`.execute(t);
    });
    for (let i = 0; i < 20; i++) await tick();
    expect(entered).toBe(false);
    turn.release();
    await tx;
    expect(entered).toBe(true);
    await sql`delete from t where n = 10`.execute(store.db);
  });

  it('a transaction holds the turn from BEGIN to COMMIT, across its statements, and gives it back at COMMIT', async () => {
    let inside: (() => void) | undefined;
    const wrote = new Promise<void>((r) => (inside = r));
    let finish: (() => void) | undefined;
    const held = new Promise<void>((r) => (finish = r));
    const tx = store.transaction(async (t) => {
      await sql`insert into t (n) values (40)`.execute(t);
      await sql`select count(*) from t`.execute(t);
      inside!();
      await held;
      await sql`delete from t where n = 40`.execute(t);
    });
    await wrote;
    // Mid-transaction, after a write and a read: another thread's turn must wait.
    let taken = false;
    const take = turn.acquire().then(() => {
      taken = true;
    });
    for (let i = 0; i < 20; i++) await tick();
    expect(taken).toBe(false);
    finish!();
    await tx;
    // COMMIT gave it back: the waiting thread has it without waiting out a stuck turn.
    for (let i = 0; i < 20; i++) await tick();
    expect(taken).toBe(true);
    await take;
    turn.release();
    // And free again: taking it needs no wait.
    let again = false;
    const retake = turn.acquire().then(() => {
      again = true;
    });
    for (let i = 0; i < 20; i++) await tick();
    expect(again).toBe(true);
    await retake;
    turn.release();
  });

  it('a rolled-back transaction gives the turn back', async () => {
    await expect(
      store.transaction(async (t) => {
        await sql`insert into t (n) values (3)`.execute(t);
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    // The turn is free again: taking it needs no wait (a free turn is taken without yielding to a timer).
    let taken = false;
    const take = turn.acquire().then(() => {
      taken = true;
    });
    for (let i = 0; i < 20; i++) await tick();
    expect(taken).toBe(true);
    await take;
    // And the next write on the same connection waits for it like any other.
    let written = false;
    const write = sql`insert into t (n) values (4)`.execute(store.db).then(() => {
      written = true;
    });
    for (let i = 0; i < 20; i++) await tick();
    expect(written).toBe(false);
    turn.release();
    await write;
    const rows = await sql<{ n: number }>`select n from t order by n`.execute(store.db);
    expect(rows.rows.map((r) => r.n)).toEqual([1, 2, 4]);
  });

  it('a raw statement that writes waits for the turn, whatever its case and leading space; a raw read on the same connection does not', async () => {
    const statements = [
      sql`  INSERT into t (n) values (30)`,
      sql`Replace into t (n) values (31)`,
      sql`UPDATE t set n = 32 where n = 31`,
      sql`
delete from t where n = 32`,
      sql`CREATE table t_raw (n integer)`,
      sql`alter TABLE t_raw add column m integer`,
      sql`Drop table t_raw`,
    ];
    const seen: number[][] = [];
    for (const statement of statements) {
      await turn.acquire();
      let done = false;
      const run = statement.execute(store.db).then(() => {
        done = true;
      });
      for (let i = 0; i < 20; i++) await tick();
      expect(done).toBe(false);
      turn.release();
      await run;
      seen.push((await sql<{ n: number }>`select n from t where n >= 30 order by n`.execute(store.db)).rows.map((r) => r.n));
    }
    expect(seen).toEqual([[30], [30, 31], [30, 32], [30], [30], [30], [30]]);
    await sql`delete from t where n = 30`.execute(store.db);
    // Reads go ahead while another thread holds the turn, on this connection too.
    await turn.acquire();
    try {
      const read = await sql<{ n: number }>`  SELECT count(*) as n from t`.execute(store.db);
      const built = await store.db.selectFrom('deliveries').select('id').execute();
      expect([read.rows.length, built]).toEqual([1, []]);
    } finally {
      turn.release();
    }
  });

  it('hands the turn to one thread at a time, across worker threads', async () => {
    // Each of three threads takes the turn 200 times and, holding it, reads a shared counter,
    // yields to its event loop, and writes it back plus one: without mutual exclusion updates are lost.
    const shared = new SharedArrayBuffer(8);
    const counter = new Int32Array(new SharedArrayBuffer(4));
    const src = `
      const { workerData, parentPort } = require('node:worker_threads');
      const cells = new Int32Array(workerData.turn);
      const counter = new Int32Array(workerData.counter);
      (async () => {
        for (let i = 0; i < 200; i++) {
          const ticket = Atomics.add(cells, 0, 1);
          for (;;) {
            const serving = Atomics.load(cells, 1);
            if (((serving - ticket) | 0) >= 0) break;
            const w = Atomics.waitAsync(cells, 1, serving, 10000);
            // As WriteTurn does: a pending waitAsync alone does not keep the thread alive.
            const keep = setTimeout(() => {}, 11000);
            if (w.async) await w.value;
            clearTimeout(keep);
          }
          const v = Atomics.load(counter, 0);
          await new Promise((r) => setImmediate(r));
          Atomics.store(counter, 0, v + 1);
          Atomics.add(cells, 1, 1);
          Atomics.notify(cells, 1);
        }
        parentPort.postMessage('done');
      })();`;
    // Two plain workers follow WriteTurn's protocol; this thread uses the class itself.
    const workers = [0, 1].map(() => new Worker(src, { eval: true, workerData: { turn: shared, counter: counter.buffer } }));
    const mine = new WriteTurn(shared);
    const own = (async () => {
      for (let i = 0; i < 200; i++) {
        await mine.acquire();
        const v = Atomics.load(counter, 0);
        await tick();
        Atomics.store(counter, 0, v + 1);
        mine.release();
      }
    })();
    await Promise.all([own, ...workers.map((w) => new Promise((r) => w.once('message', r)))]);
    await Promise.all(workers.map((w) => w.terminate()));
    expect(Atomics.load(counter, 0)).toBe(600);
  });

  it('skips a turn held by a thread that never gives it back', async () => {
    const stuck = new WriteTurn(new SharedArrayBuffer(8), 50);
    await stuck.acquire();
    const t0 = Date.now();
    await stuck.acquire();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(40);
  });
});
