import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPrincipal, issueToken } from '../../src/accounts/tokens.js';
import { openStore, type Store } from '../../src/storage/database.js';
import { WriteTurn } from '../../src/storage/sqlite/write-turn.js';
import { insertAccount, insertWebhook } from '../support/store-rows.js';
import { OtherThread } from '../support/write-turn.js';

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('the write turn threads of one process share (SQLite)', () => {
  let dir: string;
  let store: Store;
  /** The delivery thread's side of the turn, as this thread sees it. */
  let other: OtherThread;
  let turn: WriteTurn;
  let accountId: string;
  let webhookId: string;
  let token: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stockhook-turn-'));
    other = new OtherThread(new SharedArrayBuffer(8));
    turn = other.turn;
    store = await openStore(join(dir, 't.db'), { writeTurn: other.buffer });
    await store.autocommit((db) => sql`create table t (n integer primary key)`.execute(db));
    accountId = await insertAccount(store);
    webhookId = await insertWebhook(store, accountId);
    token = await issueToken(store.db, accountId, 'user', 0);
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const has = async (n: number) => (await sql<{ n: number }>`select n from t where n = ${n}`.execute(store.db)).rows.length === 1;
  /** This thread's reads while a write waits: an authentication, as every request makes, and a plain read. */
  const readsAndHas = async (n: number) => {
    const principal = await findPrincipal(store.db, token);
    expect(principal?.accountId).toBe(accountId);
    return has(n);
  };

  it('while the other thread holds the turn, reads go ahead and a transaction waits for it before taking the connection', async () => {
    const tx = (log: string[]) =>
      store.transaction(async (t) => {
        log.push('body');
        await sql`insert into t (n) values (1)`.execute(t);
      });
    expect(await other.holdWhile(tx, () => readsAndHas(1))).toEqual({ order: ['read', 'released', 'body', 'written'], before: false, after: true });
  });

  it('a grouped write, a result batch and an autocommit write wait for it too, with reads going ahead', async () => {
    const grouped = (log: string[]) =>
      store.write(async (t) => {
        log.push('body');
        await sql`insert into t (n) values (2)`.execute(t);
      });
    expect(await other.holdWhile(grouped, () => readsAndHas(2))).toEqual({ order: ['read', 'released', 'body', 'written'], before: false, after: true });

    const failing = async () =>
      (await store.db.selectFrom('webhooks').select('failing_since_ms').where('id', '=', webhookId).executeTakeFirstOrThrow()).failing_since_ms !== null;
    const batch = () => store.writeResults({ owner: 'w', now: 5, attempts: [], states: [], failing: [webhookId], healthy: [] });
    expect(await other.holdWhile(batch, failing)).toEqual({ order: ['read', 'released', 'written'], before: false, after: true });

    // A raw statement no pattern would take for a write: the turn is taken around it all the same.
    const raw = () => store.autocommit((db) => sql`with v(n) as (values (3)) insert into t (n) select n from v`.execute(db));
    expect(await other.holdWhile(raw, () => readsAndHas(3))).toEqual({ order: ['read', 'released', 'written'], before: false, after: true });
    const update = () => store.autocommit((db) => sql`with v(n) as (values (4)) update t set n = (select n from v) where n = 3`.execute(db));
    expect(await other.holdWhile(update, () => readsAndHas(4))).toEqual({ order: ['read', 'released', 'written'], before: false, after: true });
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
    // Mid-transaction, after a write and a read: the other thread's ticket waits behind it.
    const log: string[] = [];
    const take = turn.acquire().then(() => log.push('taken'));
    await other.untilQueued(2);
    log.push('committing');
    finish!();
    await tx;
    await take;
    expect(log).toEqual(['committing', 'taken']);
    expect(other.queued()).toBe(1);
    turn.release();
    expect(other.queued()).toBe(0);
  });

  /** The turn is free, with its counters in step: the next acquire is served at once, and a write waits for a holder again. */
  async function expectTurnGivenBack(n: number): Promise<void> {
    expect(other.queued()).toBe(0);
    let taken = false;
    const take = turn.acquire().then(() => (taken = true));
    // A free turn is taken without waiting: no timer, no notification.
    await tick();
    expect(taken).toBe(true);
    await take;
    turn.release();
    const write = () => store.autocommit((db) => sql`insert into t (n) values (${n})`.execute(db));
    expect(await other.holdWhile(write, () => has(n))).toEqual({ order: ['read', 'released', 'written'], before: false, after: true });
  }

  it('a transaction that fails at BEGIN, in its body or at COMMIT gives the turn back exactly once', async () => {
    // BEGIN: the connection is in a transaction already, so BEGIN IMMEDIATE is refused.
    await sql`begin`.execute(store.db);
    await expect(store.transaction(async (t) => sql`insert into t (n) values (50)`.execute(t))).rejects.toThrow(/within a transaction/);
    await sql`rollback`.execute(store.db);
    await expectTurnGivenBack(51);

    await expect(
      store.transaction(async (t) => {
        await sql`insert into t (n) values (52)`.execute(t);
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    await expectTurnGivenBack(53);

    // COMMIT: a deferred foreign key still broken when the transaction commits.
    await store.autocommit(async (db) => {
      await sql`create table parent (id integer primary key)`.execute(db);
      await sql`create table child (id integer primary key, parent_id integer references parent (id) deferrable initially deferred)`.execute(db);
    });
    await sql`pragma foreign_keys = on`.execute(store.db);
    try {
      await expect(store.transaction(async (t) => sql`insert into child (id, parent_id) values (1, 99)`.execute(t))).rejects.toThrow(/FOREIGN KEY/);
    } finally {
      await sql`pragma foreign_keys = off`.execute(store.db);
    }
    expect((await sql<{ n: number }>`select count(*) as n from child`.execute(store.db)).rows[0].n).toBe(0);
    await expectTurnGivenBack(54);
    expect(await Promise.all([50, 52].map(has))).toEqual([false, false]);
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
