import { describe, expect, it } from 'vitest';
import { SendSlots } from '../../src/delivery/send-slots.js';

/**
 * One account never has more than its share in flight (send-slots.ts): the per-endpoint limit alone
 * is half the share, so an account with three or more endpoints would pass its share without the
 * account-wide check. A claim may bring an account up to just under twice its share (queued), so
 * the check at start is what holds the line.
 */
describe('send slots: one account’s share of the worker', () => {
  it('an account’s deliveries start until its share is in flight, across all its endpoints; another account’s still start', () => {
    const slots = new SendSlots(16, 4);
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
});
