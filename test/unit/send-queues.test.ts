import { describe, expect, it } from 'vitest';
import { SendSlots, type Completion, type Slotted } from '../../src/delivery/slots/index.js';

/**
 * The send slots with their queues (delivery/slots/index.ts): who starts when, what leaves, and the
 * facts a send's end reports. Sends here are promises the test settles by hand, so every step is
 * decided by an event, never by time.
 */
interface D extends Slotted {
  id: string;
}

/** Subscriptions a1, a2, a3 of account A (maxInFlight 8), b1 of B (maxInFlight 1). */
const LIMITS: Record<string, { accountId: string; maxInFlight: number }> = {
  a1: { accountId: 'A', maxInFlight: 8 },
  a2: { accountId: 'A', maxInFlight: 8 },
  a3: { accountId: 'A', maxInFlight: 8 },
  b1: { accountId: 'B', maxInFlight: 1 },
};

function harness(opts: { concurrency?: number; share?: number; batch?: number; closed?: Set<string> } = {}) {
  const sending = new Map<string, () => void>();
  const log: string[] = [];
  const loads: number[] = [];
  const completions: Completion[] = [];
  let onCompleted: (() => void) | null = null;
  const slots = new SendSlots<D>(opts.concurrency ?? 16, opts.share ?? 4, opts.batch ?? 200, {
    limitOf: (id) => LIMITS[id],
    mayStart: (id) => !opts.closed?.has(id),
    send: (d) =>
      new Promise<void>((resolve) => {
        log.push(`send ${d.id}`);
        sending.set(d.id, resolve);
      }),
    leaving: (d) => log.push(`leaving ${d.id} at load ${loads[loads.length - 1]}`),
    completed: (c) => {
      completions.push(c);
      onCompleted?.();
    },
    onLoad: (load) => loads.push(load),
  });
  /** Ends one send and waits for its completion to be reported. */
  const end = async (id: string): Promise<Completion> => {
    const done = new Promise<void>((r) => (onCompleted = r));
    const settle = sending.get(id);
    if (!settle) throw new Error(`${id} is not being sent`);
    sending.delete(id);
    settle();
    await done;
    return completions[completions.length - 1] as Completion;
  };
  const queue = (sub: string, ...ids: string[]) => {
    for (const id of ids) slots.queue({ id, subscriptionId: sub, accountId: LIMITS[sub]?.accountId ?? '?' });
  };
  return { slots, log, loads, end, queue, sending: () => [...sending.keys()] };
}

describe('send slots and their queues', () => {
  it('starts a subscription’s queue up to its endpoint limit (half the account’s share); the rest waits and excludes it from claims', () => {
    const h = harness({ share: 4 });
    h.queue('a1', 'd1', 'd2', 'd3');
    expect(h.slots.subscriptionsAtLimit()).toEqual(['a1']); // 3 queued ≥ limit 2
    h.slots.start('a1');
    expect(h.sending()).toEqual(['d1', 'd2']);
    expect(h.slots.subscriptionsAtLimit()).toEqual(['a1']); // 2 in flight + 1 queued
    expect([h.slots.inFlight, h.slots.empty, h.slots.claimLimit()]).toEqual([2, false, 4]);
  });

  it('a subscription is at its limit from exactly its endpoint limit of queued and in-flight work, not one before', () => {
    const h = harness({ share: 4 });
    h.queue('a1', 'd1');
    expect(h.slots.subscriptionsAtLimit()).toEqual([]); // 1 queued < limit 2
    h.queue('a1', 'd2');
    expect(h.slots.subscriptionsAtLimit()).toEqual(['a1']); // 2 queued = limit 2
    h.slots.start('a1');
    expect(h.sending()).toEqual(['d1', 'd2']);
    expect(h.slots.subscriptionsAtLimit()).toEqual([]); // its queue is empty, so gone: nothing waits
  });

  it('the end of a send starts the next of its queue; it leaves while it still counts in the load', async () => {
    const h = harness({ share: 4 });
    h.queue('a1', 'd1', 'd2', 'd3');
    h.slots.start('a1');
    expect(await h.end('d1')).toEqual({ wasFull: false, wasAtShare: false, atShare: false, subscriptionAtLimit: false });
    expect(h.sending()).toEqual(['d2', 'd3']);
    expect(h.log).toEqual(['send d1', 'send d2', 'leaving d1 at load 3', 'send d3']);
    await h.end('d2');
    await h.end('d3');
    expect([h.slots.empty, h.loads[h.loads.length - 1]]).toEqual([true, 0]);
  });

  it('when the account’s whole share was in flight, a send’s end starts the account’s other queues', async () => {
    const h = harness({ share: 4 });
    h.queue('a1', 'x1', 'x2');
    h.queue('a2', 'y1', 'y2');
    h.queue('a3', 'z1');
    for (const s of ['a1', 'a2', 'a3']) h.slots.start(s);
    expect(h.sending()).toEqual(['x1', 'x2', 'y1', 'y2']); // A's share of 4 is in flight; z1 waits
    const c = await h.end('x1'); // a1 has nothing queued: only the account rule can start z1
    expect(h.sending()).toEqual(['x2', 'y1', 'y2', 'z1']);
    // A's load was 5 (4 in flight, z1 queued) and is 4 after: still at its share.
    expect(c).toEqual({ wasFull: false, wasAtShare: true, atShare: true, subscriptionAtLimit: false });
  });

  it('reports the completion facts measured before and after the slot is freed', async () => {
    // 6 slots, share 4: A's 4 and B's 2 fill the worker, and A is at its share.
    const h = harness({ concurrency: 6, share: 4 });
    h.queue('a1', 'd1', 'd2', 'd3', 'd4');
    h.queue('b1', 'e1', 'e2');
    h.slots.start('a1');
    h.slots.start('b1');
    expect([h.slots.claimLimit(), h.slots.accountsAtShare()]).toEqual([0, ['A']]);
    expect(await h.end('e1')).toEqual({ wasFull: true, wasAtShare: false, atShare: false, subscriptionAtLimit: false });
    // e2 started, e1's slot is free: room for a claim. A drops below its share; a1 still has d2, d3 in flight and d4 queued.
    expect(await h.end('d1')).toEqual({ wasFull: false, wasAtShare: true, atShare: false, subscriptionAtLimit: true });
  });

  it('a refused start stops the queue; giveBack takes it out, each leaving while it counts', () => {
    const closed = new Set(['a1']);
    const h = harness({ closed });
    h.queue('a1', 'd1', 'd2');
    h.slots.start('a1');
    expect(h.sending()).toEqual([]);
    expect(h.slots.giveBack('a1').map((d) => d.id)).toEqual(['d1', 'd2']);
    expect(h.log).toEqual(['leaving d1 at load 2', 'leaving d2 at load 1']);
    expect([h.slots.empty, h.slots.subscriptionsAtLimit(), h.slots.giveBack('a1')]).toEqual([true, [], []]);
  });

  it('giveBackAll takes every queue out and leaves what is in flight', async () => {
    const h = harness({ share: 4 });
    h.queue('a1', 'd1', 'd2', 'd3');
    h.queue('b1', 'e1', 'e2');
    h.slots.start('a1');
    h.slots.start('b1');
    expect(h.slots.giveBackAll().map((d) => d.id)).toEqual(['d3', 'e2']);
    expect([h.slots.inFlight, h.slots.empty]).toEqual([3, false]);
    await h.end('d1');
    expect(h.sending()).toEqual(['d2', 'e1']); // nothing queued is started any more
  });

  it('a queue of a subscription it does not know is not started', () => {
    const h = harness();
    h.queue('gone', 'd1');
    h.slots.start('gone');
    expect([h.sending(), h.slots.empty, h.slots.subscriptionsAtLimit()]).toEqual([[], false, []]);
  });
});
