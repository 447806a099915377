import { describe, expect, it } from 'vitest';
import { ResultBatcher, type BatcherClock, type ResultBatcherOptions } from '../../src/delivery/result-batcher.js';
import type { AttemptResult } from '../../src/delivery/finish.js';
import type { Store } from '../../src/storage/database.js';
import { attemptResult, claimed } from '../support/store-rows.js';

/*
 * The result batcher against a scripted store and a fake clock: the batching delay, the batch size,
 * and the retry with backoff while the database is unreachable are checked as exact times and
 * delays, without waiting for any of them. (The real store's side is in
 * test/storage/conformance/result-writes.test.ts.)
 */

const T0 = 1_800_000_000_000;

/** A timer set on the fake clock; `fire` moves time to its end and runs it. */
interface FakeTimer {
  id: number;
  ms: number;
  fn: () => void;
}

/**
 * Time moves only when a timer is fired. In `auto` mode every timer fires on its own (on the next
 * turn of the event loop), so a whole retry sequence runs through; more than 50 timers means the
 * batcher never gives up, and the clock refuses (the write then rejects and the test fails).
 */
class FakeClock implements BatcherClock {
  t = T0;
  /** Every delay asked for, in order. */
  readonly asked: number[] = [];
  pending: FakeTimer[] = [];
  private ids = 0;

  constructor(private readonly auto = false) {}

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    if (this.asked.length >= 50) throw new Error('fake clock: more than 50 timers (retrying forever?)');
    this.asked.push(ms);
    const timer = { id: ++this.ids, ms, fn };
    this.pending.push(timer);
    if (this.auto) setImmediate(() => this.pending.includes(timer) && this.run(timer));
    return timer.id;
  }

  clearTimeout(handle: unknown): void {
    this.pending = this.pending.filter((t) => t.id !== handle);
  }

  /** Fires the oldest pending timer. */
  fire(): void {
    const timer = this.pending[0];
    if (!timer) throw new Error('fake clock: no timer pending');
    this.run(timer);
  }

  private run(timer: FakeTimer): void {
    this.pending = this.pending.filter((t) => t !== timer);
    this.t += timer.ms;
    timer.fn();
  }
}

const lost = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

/** A store whose writeResults throws the scripted errors in turn, then succeeds; it records each call. */
function scriptedStore(script: Array<Error | 'ok'>, rest: Error | 'ok' = 'ok') {
  const calls: Array<{ now: number; ids: string[] }> = [];
  const store = {
    writeResults: async (w: { now: number; attempts: Array<{ delivery_id: string }> }) => {
      calls.push({ now: w.now, ids: w.attempts.map((a) => a.delivery_id) });
      const next = script.length > 0 ? script.shift() : rest;
      if (next !== 'ok') throw next;
    },
  } as unknown as Store;
  return { store, calls };
}

const result = (id: string): AttemptResult => attemptResult(claimed(id, 'acct', 'hook'), true, T0);

function setup(script: Array<Error | 'ok'>, opts: Partial<ResultBatcherOptions> & { rest?: Error | 'ok'; auto?: boolean } = {}) {
  const { store, calls } = scriptedStore(script, opts.rest);
  const clock = new FakeClock(opts.auto ?? true);
  const logs: Array<[string, unknown]> = [];
  const written: Array<{ ids: string[]; now: number }> = [];
  const batcher = new ResultBatcher(store, {
    owner: 'me',
    afterWrite: async (batch, now) => void written.push({ ids: batch.map((r) => r.delivery.id), now }),
    log: (msg, err) => logs.push([msg, err]),
    clock,
    ...opts,
  });
  return { batcher, clock, calls, logs, written };
}

const retrying = (ms: number) => `writing attempt results failed; trying again in ${ms} ms`;

describe('result batcher: a lost database connection', () => {
  it('is retried after 1 s, then 2 s, and the batch is written once the database is back', async () => {
    const errors = [lost(), lost()];
    const { batcher, clock, calls, logs, written } = setup([...errors]);
    batcher.add(result('a'));
    batcher.add(result('b'));
    await batcher.flush();
    expect(calls).toEqual([
      { now: T0, ids: ['a', 'b'] },
      { now: T0 + 1000, ids: ['a', 'b'] },
      { now: T0 + 3000, ids: ['a', 'b'] },
    ]);
    expect(clock.asked.slice(1)).toEqual([1000, 2000]); // [0] is the batching delay flush() cancelled
    expect(logs).toEqual([
      [retrying(1000), errors[0]],
      [retrying(2000), errors[1]],
    ]);
    expect(written).toEqual([{ ids: ['a', 'b'], now: T0 + 3000 }]);
    expect(batcher.pending).toBe(0);
  });

  it('backs off doubling up to 10 s and gives up once the next try would be 60 s after the first', async () => {
    const { batcher, clock, calls, logs, written } = setup(Array.from({ length: 9 }, lost), { maxDelayMs: 5 });
    batcher.add(result('a'));
    await batcher.flush();
    const sleeps = [1000, 2000, 4000, 8000, 10_000, 10_000, 10_000, 10_000];
    expect(clock.asked).toEqual([5, ...sleeps]);
    expect(calls.map((c) => c.now - T0)).toEqual([0, 1000, 3000, 7000, 15_000, 25_000, 35_000, 45_000, 55_000]);
    expect(logs.map(([msg]) => msg)).toEqual([...sleeps.map(retrying), 'writing attempt results failed']);
    expect(written).toEqual([]);
    // Given up, not stuck: the next batch is written.
    batcher.add(result('b'));
    await batcher.flush();
    expect(written).toEqual([{ ids: ['b'], now: T0 + 55_000 }]);
  });

  it('gives up before a try that would start exactly giveUpMs after the first', async () => {
    const { batcher, calls, logs } = setup([], { rest: lost(), giveUpMs: 55_000 });
    batcher.add(result('a'));
    await batcher.flush();
    expect(calls.map((c) => c.now - T0)).toEqual([0, 1000, 3000, 7000, 15_000, 25_000, 35_000, 45_000]);
    expect(logs.map(([msg]) => msg)).toEqual([...[1000, 2000, 4000, 8000, 10_000, 10_000, 10_000].map(retrying), 'writing attempt results failed']);
  });

  it('an error of the write itself is not retried', async () => {
    const boom = Object.assign(new Error('UNIQUE constraint failed'), { code: 'SQLITE_CONSTRAINT' });
    const { batcher, clock, calls, logs, written } = setup([boom]);
    batcher.add(result('a'));
    await batcher.flush();
    expect([calls.length, clock.asked.slice(1), logs, written]).toEqual([1, [], [['writing attempt results failed', boom]], []]);
    // The batcher goes on: the next batch is written.
    batcher.add(result('b'));
    await batcher.flush();
    expect(written).toEqual([{ ids: ['b'], now: T0 }]);
  });

  it('once closing, a lost connection is not retried (the leases run out instead)', async () => {
    const err = lost();
    const { batcher, calls, logs, written } = setup([err]);
    batcher.close();
    batcher.add(result('a'));
    await batcher.flush();
    expect([calls.length, logs, written]).toEqual([1, [['writing attempt results failed', err]], []]);
  });
});

describe('result batcher: batching', () => {
  it('writes a lone result after the 10 ms default delay, one timer at a time', async () => {
    const { batcher, clock, calls, written } = setup([], { auto: false });
    batcher.add(result('a'));
    batcher.add(result('b'));
    expect([clock.asked, calls.length, batcher.pending]).toEqual([[10], 0, 2]);
    clock.fire();
    await batcher.settled();
    expect([calls, written]).toEqual([[{ now: T0 + 10, ids: ['a', 'b'] }], [{ ids: ['a', 'b'], now: T0 + 10 }]]);
    batcher.add(result('c'));
    expect(clock.asked).toEqual([10, 10]);
  });

  it('flush cancels the pending delay, and the next result starts a new one', async () => {
    const { batcher, clock, written } = setup([], { auto: false, maxDelayMs: 70 });
    batcher.add(result('a'));
    expect(clock.pending.map((t) => t.ms)).toEqual([70]);
    await batcher.flush();
    expect([clock.pending, written]).toEqual([[], [{ ids: ['a'], now: T0 }]]);
    batcher.add(result('b'));
    expect(clock.pending.map((t) => t.ms)).toEqual([70]);
    await batcher.flush();
    expect(written.map((w) => w.ids)).toEqual([['a'], ['b']]);
  });

  it('a full batch (200 by default) is written at once, without waiting for the delay', async () => {
    const { batcher, clock, calls, written } = setup([], { auto: false });
    for (let i = 0; i < 199; i++) batcher.add(result(`r${i}`));
    await batcher.settled();
    expect([calls.length, batcher.pending]).toEqual([0, 199]);
    batcher.add(result('r199'));
    await batcher.settled();
    expect([calls.length, written[0]?.ids.length, batcher.pending, clock.pending]).toEqual([1, 200, 0, []]);
  });

  it('maxBatch sets the size of a full batch', async () => {
    const { batcher, written } = setup([], { auto: false, maxBatch: 2 });
    batcher.add(result('a'));
    expect(batcher.pending).toBe(1);
    batcher.add(result('b'));
    await batcher.settled();
    expect([written, batcher.pending]).toEqual([[{ ids: ['a', 'b'], now: T0 }], 0]);
  });

  it('settled resolves once the writes started so far, afterWrite included, are done', async () => {
    const { batcher, written } = setup([], { auto: false });
    batcher.add(result('a'));
    void batcher.flush();
    await batcher.settled();
    expect(written).toEqual([{ ids: ['a'], now: T0 }]);
  });

  it('a failing afterWrite is logged and does not stop later batches', async () => {
    const boom = new Error('disable failed');
    const { batcher, logs, calls } = setup([], { auto: false, afterWrite: async () => Promise.reject(boom) });
    batcher.add(result('a'));
    await batcher.flush();
    batcher.add(result('b'));
    await batcher.flush();
    expect(calls.map((c) => c.ids)).toEqual([['a'], ['b']]);
    expect(logs).toEqual([
      ['after writing attempt results', boom],
      ['after writing attempt results', boom],
    ]);
  });
});
