import { describe, expect, it } from 'vitest';
import { SlotCounts } from '../../src/delivery/slots/counts.js';

/**
 * One account never has more than its share in flight (slots/counts.ts): the per-endpoint limit alone
 * is half the share, so an account with three or more endpoints would pass its share without the
 * account-wide check. A claim may bring an account up to just under twice its share (queued), so
 * the check at start is what holds the line.
 */
describe('send slots: one account’s share of the worker', () => {
  it('an account’s deliveries start until its share is in flight, across all its endpoints; another account’s still start', () => {
    const slots = new SlotCounts(16, 4);
    // Claimed: 3 rows (load 3, under the share), then a claim of up to 4 more: 7 queued for A.
    slots.queued('A', 7);
    slots.queued('B', 1);
    const started: string[] = [];
    // A's endpoints each allow 8 in flight; the endpoint limit is half the share (2).
    for (const sub of ['a1', 'a2', 'a3', 'a4', 'a1', 'a2', 'a3']) {
      if (slots.canStart('A', sub, 8)) {
        slots.started('A', sub);
        started.push(sub);
      }
    }
    expect(started).toEqual(['a1', 'a2', 'a3', 'a4']);
    expect(slots.accountBusy('A')).toBe(true);
    expect(slots.canStart('A', 'a4', 8)).toBe(false);
    expect(slots.canStart('B', 'b1', 8)).toBe(true);
    // One of A's finishes: exactly one more of A's may start, on any endpoint under its own limit.
    slots.finished('A', 'a2');
    expect(slots.accountBusy('A')).toBe(false);
    expect(slots.canStart('A', 'a3', 8)).toBe(true);
    slots.started('A', 'a3');
    expect(slots.canStart('A', 'a1', 8)).toBe(false);
    expect(slots.inFlightTotal).toBe(4);
  });

  it('one endpoint may hold half its account’s share (at least one), never more than its own maxInFlight', () => {
    expect([1, 2, 3, 4, 5, 9].map((share) => new SlotCounts(16, share).endpointLimit(8))).toEqual([1, 1, 1, 2, 2, 4]);
    expect(new SlotCounts(16, 8).endpointLimit(3)).toBe(3);
    expect(new SlotCounts(16, 8).endpointLimit(4)).toBe(4);
  });

  it('a claim brings at most the free slots, the batch size and one account’s share, and leaves out accounts whose load reached it', () => {
    const loads: number[] = [];
    const slots = new SlotCounts(10, 4, (load) => loads.push(load));
    expect([slots.room(), slots.claimLimit(100), slots.claimLimit(3)]).toEqual([10, 4, 3]);
    slots.queued('A', 3);
    slots.queued('B', 4);
    // A's load is under its share, B's has reached it; room is what neither holds.
    expect([slots.atShare('A'), slots.atShare('B'), slots.accountsAtShare()]).toEqual([false, true, ['B']]);
    expect([slots.room(), slots.claimLimit(100)]).toEqual([3, 3]);
    slots.started('B', 'b1');
    slots.started('B', 'b2');
    // Starting moves a slot from queued to in flight: the room and each account's load stay.
    expect([slots.queuedTotal, slots.inFlightTotal, slots.room(), slots.accountsAtShare()]).toEqual([5, 2, 3, ['B']]);
    slots.queued('A', 1);
    expect(slots.accountsAtShare()).toEqual(['A', 'B']);
    // Given back unsent (released): the slot and the account's load are free again.
    slots.unqueued('A', 2);
    slots.finished('B', 'b1');
    expect([slots.queuedTotal, slots.inFlightTotal, slots.room(), slots.accountsAtShare()]).toEqual([4, 1, 5, []]);
    expect([slots.subscriptionInFlight('b1'), slots.subscriptionInFlight('b2')]).toEqual([0, 1]);
    // The handoff is told the load (queued + in flight) after each change that moves it.
    expect(loads).toEqual([3, 7, 8, 6, 5]);
  });

  it('an account whose deliveries all finished holds nothing: it is busy no more, at its share no more, and its slots are free', () => {
    const slots = new SlotCounts(8, 2);
    slots.queued('A', 2);
    slots.started('A', 'a1');
    slots.started('A', 'a1');
    expect([slots.accountBusy('A'), slots.canStart('A', 'a2', 8)]).toEqual([true, false]);
    slots.finished('A', 'a1');
    slots.finished('A', 'a1');
    expect([slots.accountBusy('A'), slots.atShare('A'), slots.accountsAtShare(), slots.subscriptionInFlight('a1')]).toEqual([false, false, [], 0]);
    expect([slots.queuedTotal, slots.inFlightTotal, slots.room()]).toEqual([0, 0, 8]);
  });
});
