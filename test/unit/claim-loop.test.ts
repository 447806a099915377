import { afterAll, describe, expect, it } from 'vitest';
import { ClaimLoop, type ClaimWork } from '../../src/delivery/claim-loop.js';
import { wakeAccounts } from '../../src/delivery/wake-signal.js';
import type { StoredEvent } from '../../src/events/catalog.js';
import { watchLoopRests } from '../support/loop-rests.js';
import { eventually } from '../support/wait.js';

/**
 * The claim loop does what the claim scheduler decides (claim-loop.ts), against a fake dispatcher:
 * which calls it makes, in which order, and that a wake ends its rest. The poll is an hour, so every
 * turn after the first comes from a wake; the loop's rests are watched, not timed.
 */
const rests = watchLoopRests();
afterAll(() => rests.restore());

const HOUR = 3_600_000;

interface Fake extends ClaimWork {
  calls: string[];
  limit: number;
  /** Rows the next claims bring, one entry per claim (then 0). */
  batches: number[];
  /** When set, claims wait for this before answering. */
  hold: Promise<void> | null;
}

function fake(): Fake {
  const f: Fake = {
    calls: [],
    limit: 10,
    batches: [],
    hold: null,
    claimLimit: () => f.limit,
    exclusions: async (now) => {
      f.calls.push(`exclusions ${typeof now}`);
      return { subscriptions: ['s1'], accounts: [] };
    },
    accountOf: () => undefined,
    atShare: (account) => account === 'busy',
    claim: async (o) => {
      f.calls.push(`claim ${o.limit} [${o.subscriptions.join(',')}]`);
      if (f.hold) await f.hold;
      return f.batches.shift() ?? 0;
    },
    nextDueAt: async () => {
      f.calls.push('nextDue');
      return null;
    },
    log: (msg) => f.calls.push(`log ${msg}`),
  };
  return f;
}

/** Waits for the loop's next rest after `before` rests. */
const restedAfter = (before: number) => eventually(() => rests.atRest && rests.rests > before, 10_000, 1, 'the loop at rest');

/** A loop over a fake with no room (claim limit 0), started and at its first rest. */
async function fullAtRest(): Promise<{ f: Fake; loop: ClaimLoop }> {
  const f = fake();
  f.limit = 0;
  const loop = new ClaimLoop(HOUR, f);
  const before = rests.rests;
  void loop.start();
  await restedAfter(before);
  return { f, loop };
}

describe('claim loop: the dispatcher’s turns, as the scheduler decides them', () => {
  it('claims until a claim is short, reads the next due time, rests; a wake ends the rest; stop ends the loop', async () => {
    const f = fake();
    f.batches = [10, 4];
    const loop = new ClaimLoop(HOUR, f);
    const before = rests.rests;
    loop.start();
    await restedAfter(before);
    expect(f.calls).toEqual(['exclusions number', 'claim 10 [s1]', 'exclusions number', 'claim 10 [s1]', 'nextDue']);
    // Dry: the same exclusions and nothing new. A completion with no room made wakes the loop and
    // it rests again without claiming; new work makes it claim.
    const n = rests.rests;
    loop.tell({ type: 'completed', wasFull: false, wasAtShare: false, atShare: false, subscriptionAtLimit: false });
    await restedAfter(n);
    expect(f.calls.slice(5)).toEqual(['exclusions number']);
    const m = rests.rests;
    loop.tell({ type: 'wake', atShare: [] });
    await restedAfter(m);
    expect(f.calls.slice(6)).toEqual(['exclusions number', 'claim 10 [s1]', 'nextDue']);
    await loop.stop();
    expect(rests.atRest).toBe(false);
  });

  it('a wake during a claim is not lost: the loop takes another turn instead of resting', async () => {
    const f = fake();
    let release = (): void => {};
    f.hold = new Promise<void>((resolve) => (release = resolve));
    const loop = new ClaimLoop(HOUR, f);
    const before = rests.rests;
    loop.start();
    await eventually(() => f.calls.length === 2, 10_000, 1, 'the first claim under way');
    loop.tell({ type: 'wake', atShare: [] });
    f.hold = null;
    release();
    await restedAfter(before);
    expect(f.calls).toEqual(['exclusions number', 'claim 10 [s1]', 'nextDue', 'exclusions number', 'claim 10 [s1]', 'nextDue']);
    await loop.stop();
  });

  it('full: a wake for new work ends the rest, and the loop rests again at once without claiming', async () => {
    const { f, loop } = await fullAtRest();
    for (let i = 1; i <= 3; i++) {
      const n = rests.rests;
      loop.tell({ type: 'wake', atShare: [] });
      await restedAfter(n);
      // One rest per wake: the wake is cleared when the loop finds itself full (no livelock).
      expect(rests.rests).toBe(n + 1);
    }
    expect(f.calls).toEqual([]);
    // Room again: the completion that made it wakes a claim.
    f.limit = 5;
    const n = rests.rests;
    loop.tell({ type: 'completed', wasFull: true, wasAtShare: false, atShare: false, subscriptionAtLimit: false });
    await restedAfter(n);
    expect(f.calls).toEqual(['exclusions number', 'claim 5 [s1]', 'nextDue']);
    await loop.stop();
  });

  it('a wake naming only accounts at their share leaves the loop at rest; one naming an account below it ends the rest', async () => {
    // Full: every turn rests again at once, so a turn is one more rest and no call.
    const { f, loop } = await fullAtRest();
    const macrotask = () => new Promise<void>((resolve) => setImmediate(resolve));
    // The control: a woken turn runs in microtasks, so one macrotask later it has rested again.
    const n = rests.rests;
    loop.wake(['A', 'busy']);
    await macrotask();
    expect([rests.rests, rests.atRest]).toEqual([n + 1, true]);
    // The same window after a wake for 'busy' alone (at its share in the fake): no turn was taken.
    loop.wake(['busy']);
    await macrotask();
    expect([rests.rests, rests.atRest]).toEqual([n + 1, true]);
    expect(f.calls).toEqual([]);
    await loop.stop();
  });

  it('a failed turn is logged and the loop backs off; a wake ends the backoff', async () => {
    const f = fake();
    let fail = true;
    f.exclusions = async () => {
      f.calls.push('exclusions');
      if (fail) throw new Error('database away');
      return { subscriptions: [], accounts: [] };
    };
    const loop = new ClaimLoop(HOUR, f);
    const before = rests.rests;
    loop.start();
    await restedAfter(before);
    expect(f.calls).toEqual(['exclusions', 'log dispatcher loop error']);
    fail = false;
    const n = rests.rests;
    loop.tell({ type: 'gaveBack' });
    await restedAfter(n);
    expect(f.calls.slice(2)).toEqual(['exclusions', 'claim 10 []', 'nextDue']);
    await loop.stop();
  });

  it('listens to its wake sources from start: a commit of this process, another process’s NOTIFY and a nudge each end a rest; stop closes the listener', async () => {
    const f = fake();
    let commit: ((events: StoredEvent[]) => void) | null = null;
    let notify: ((accounts: string[] | undefined) => void) | null = null;
    let closed = 0;
    const loop = new ClaimLoop(HOUR, f);
    const before = rests.rests;
    await loop.start({
      commits: (l) => (commit = l),
      listen: async (l) => {
        notify = l;
        return { close: async () => void closed++ };
      },
    });
    await restedAfter(before);
    expect(f.calls).toEqual(['exclusions number', 'claim 10 [s1]', 'nextDue']);
    const n = rests.rests;
    commit!([{ accountId: 'A' } as StoredEvent]);
    await restedAfter(n);
    expect(f.calls.slice(3)).toEqual(['exclusions number', 'claim 10 [s1]', 'nextDue']);
    const m = rests.rests;
    notify!(undefined);
    await restedAfter(m);
    expect(f.calls.slice(6)).toEqual(['exclusions number', 'claim 10 [s1]', 'nextDue']);
    // A nudge (a delivery retried by hand: a commit with no events) names no account, and wakes all the same.
    const k = rests.rests;
    commit!([]);
    await restedAfter(k);
    expect(f.calls.slice(9)).toEqual(['exclusions number', 'claim 10 [s1]', 'nextDue']);
    expect(closed).toBe(0);
    await loop.stop();
    expect(closed).toBe(1);
  });

  it('a commit names the accounts of its events, once each; a nudge names none (unknown, not an empty list: the host merges wakes, and an empty list would read as "no account")', () => {
    const ev = (accountId: string) => ({ accountId }) as StoredEvent;
    expect(wakeAccounts([ev('A'), ev('B'), ev('A')])).toEqual(['A', 'B']);
    expect(wakeAccounts([])).toBeUndefined();
  });
});
