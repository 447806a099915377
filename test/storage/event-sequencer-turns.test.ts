import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EventSequencer } from '../../src/storage/postgres/event-sequencer.js';
import type { Database } from '../../src/storage/schema.js';

/**
 * The PostgreSQL event sequencer's scheduling (storage/postgres/event-sequencer.ts) without a
 * database: each run's transaction is a promise the test settles, so which runs start, when
 * requests answer and which timers exist are exact. Vitest's fake timers stand in for the clock:
 * nothing here waits for real time. The numbering itself is tested on PostgreSQL
 * (postgres-event-sequencer*.test.ts).
 */
describe('the event sequencer\'s turns (no database)', () => {
  /** A stand-in database: every run is one transaction, answered by the test with the rows it numbered. */
  const fakeDb = () => {
    const runs: Array<{ finish(numbered: number): void; fail(err: Error): void }> = [];
    const db = {
      transaction: () => ({
        execute: () =>
          new Promise<number>((resolve, reject) => {
            runs.push({ finish: resolve, fail: reject });
          }),
      }),
    } as unknown as Kysely<Database>;
    return { db, runs };
  };
  /** Lets every settled promise's continuations run (no timers involved). */
  const settle = async () => {
    for (let i = 0; i < 10; i++) await Promise.resolve();
  };

  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a request while a run is in flight is answered by one more run after it; further requests meanwhile share that run', async () => {
    const { db, runs } = fakeDb();
    const s = new EventSequencer(db, () => {}, 0);
    const answered: string[] = [];
    const first = s.request().then(() => answered.push('first'));
    expect(runs).toHaveLength(1);
    const queued = s.request();
    expect(s.request()).toBe(queued);
    void queued.then(() => answered.push('queued'));
    runs[0].finish(3);
    await settle();
    await first;
    expect([answered, runs.length]).toEqual([['first'], 2]);
    runs[1].finish(0);
    await queued;
    expect(answered).toEqual(['first', 'queued']);
    // Nothing in flight: the next request starts a run of its own, and a request behind it queues anew.
    const again = s.request();
    expect(runs).toHaveLength(3);
    const behind = s.request();
    expect(behind).not.toBe(queued);
    runs[2].finish(0);
    await again;
    await settle();
    expect(runs).toHaveLength(4);
    runs[3].finish(0);
    await behind;
    s.close();
  });

  it('a run that numbered a full batch runs again at once; a shorter one ends the run', async () => {
    const { db, runs } = fakeDb();
    const s = new EventSequencer(db, () => {}, 0);
    let done = false;
    const r = s.request().then(() => (done = true));
    runs[0].finish(5_000);
    await settle();
    expect([runs.length, done]).toEqual([2, false]);
    runs[1].finish(4_999);
    await r;
    expect(runs).toHaveLength(2);
    s.close();
  });

  it('a failed run is logged and answers the request; closed meanwhile, it logs nothing', async () => {
    const { db, runs } = fakeDb();
    const logged: Array<[string, unknown]> = [];
    const s = new EventSequencer(db, (msg, err) => logged.push([msg, (err as Error).message]), 0);
    const r = s.request();
    runs[0].fail(new Error('relation "events" does not exist'));
    await r;
    expect(logged).toEqual([['numbering events failed; the next run numbers them', 'relation "events" does not exist']]);
    const r2 = s.request();
    s.close();
    runs[1].fail(new Error('connection lost'));
    await r2;
    expect(logged).toHaveLength(1);
    // Closed: requests answer at once and start nothing.
    await s.request();
    expect(runs).toHaveLength(2);
  });

  it('soon(): one run 10 ms after the first call, none for the calls meanwhile, and again after it fired', async () => {
    const { db, runs } = fakeDb();
    const s = new EventSequencer(db, () => {}, 0);
    s.soon();
    s.soon();
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(9);
    expect(runs).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(runs).toHaveLength(1);
    runs[0].finish(0);
    await settle();
    s.soon();
    vi.advanceTimersByTime(10);
    expect(runs).toHaveLength(2);
    runs[1].finish(0);
    s.soon();
    s.close();
    expect(vi.getTimerCount()).toBe(0);
    s.soon();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('the poll: one timer once started (none with a period of 0, none once closed), a run per period', async () => {
    const { db, runs } = fakeDb();
    const off = new EventSequencer(db, () => {}, 0);
    off.start();
    expect(vi.getTimerCount()).toBe(0);
    const s = new EventSequencer(db, () => {}, 20);
    s.start();
    s.start();
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(20);
    expect(runs).toHaveLength(1);
    runs[0].finish(0);
    await settle();
    vi.advanceTimersByTime(20);
    expect(runs).toHaveLength(2);
    runs[1].finish(0);
    s.close();
    expect(vi.getTimerCount()).toBe(0);
    s.start();
    const closedFirst = new EventSequencer(db, () => {}, 20);
    closedFirst.close();
    closedFirst.start();
    expect(vi.getTimerCount()).toBe(0);
  });
});
