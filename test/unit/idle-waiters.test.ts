import { describe, expect, it } from 'vitest';
import { IdleWaiters } from '../../src/delivery/idle-waiters.js';

/*
 * Waiters for "nothing in flight". Whether a wait has resolved is read after a setImmediate: a
 * promise resolved by check() settles in the microtasks before it, so 'pending' there is absence
 * proven by a later event, not by a delay.
 */
async function state(p: Promise<void>): Promise<'resolved' | 'pending'> {
  let resolved = false;
  void p.then(() => (resolved = true));
  await new Promise((r) => setImmediate(r));
  return resolved ? 'resolved' : 'pending';
}

describe('IdleWaiters', () => {
  it('resolves at once when already idle', async () => {
    const w = new IdleWaiters(() => true);
    expect(await state(w.wait())).toBe('resolved');
  });

  it('a waiter stays pending through checks while busy, and resolves at the first check that finds it idle', async () => {
    let idle = false;
    const w = new IdleWaiters(() => idle);
    const a = w.wait();
    const b = w.wait();
    expect(await state(a)).toBe('pending');
    w.check();
    expect([await state(a), await state(b)]).toEqual(['pending', 'pending']);
    idle = true;
    w.check();
    expect([await state(a), await state(b)]).toEqual(['resolved', 'resolved']);
  });

  it('works again for the next round of waiters', async () => {
    let idle = false;
    const w = new IdleWaiters(() => idle);
    const first = w.wait();
    idle = true;
    w.check();
    expect(await state(first)).toBe('resolved');
    idle = false;
    const second = w.wait();
    expect(await state(second)).toBe('pending');
    idle = true;
    expect(() => w.check()).not.toThrow();
    expect(await state(second)).toBe('resolved');
    expect(() => w.check()).not.toThrow(); // nobody left waiting
  });
});
