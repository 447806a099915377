import { describe, expect, it } from 'vitest';
import { announcedAccounts, Announcer, MAX_NAMED } from '../../src/storage/postgres/announcer.js';
import { latch } from '../support/receiver.js';

describe('announcing new deliveries after commit', () => {
  it('keeps one announcement in flight and folds the requests made meanwhile into one more', async () => {
    const gates: Array<() => void> = [];
    let sent = 0;
    const a = new Announcer(
      () =>
        new Promise<void>((resolve) => {
          sent++;
          gates.push(resolve);
        }),
      () => {},
      0,
    );
    a.request();
    for (let i = 0; i < 50; i++) a.request();
    expect(sent).toBe(1);
    gates[0]();
    await new Promise((r) => setImmediate(r));
    expect(sent).toBe(2);
    gates[1]();
    await new Promise((r) => setImmediate(r));
    expect(sent).toBe(2);
    // Idle again: the next request goes out at once.
    a.request();
    expect(sent).toBe(3);
  });

  it('waits a few milliseconds before announcing, so a burst of commits makes one announcement', async () => {
    const payloads: string[] = [];
    const first = latch();
    const marker = latch();
    const a = new Announcer(
      async (payload) => {
        payloads.push(payload);
        if (payloads.length === 1) first.open();
        if (payload === 'marker') marker.open();
      },
      () => {},
      20,
    );
    for (let i = 0; i < 30; i++) a.request();
    expect(payloads).toEqual([]);
    await first.promise;
    // A request made after the first announcement is announced after it: had the burst made more
    // than one, the others would have gone out before the marker (one at a time, in order).
    a.request(['marker']);
    await marker.promise;
    expect(payloads).toEqual(['', 'marker']);
  });

  it('logs a failed announcement and keeps announcing', async () => {
    const logged: string[] = [];
    let calls = 0;
    const done = latch();
    const a = new Announcer(
      async () => {
        calls++;
        if (calls === 1) throw new Error('connection lost');
        done.open();
      },
      (msg) => logged.push(msg),
      0,
    );
    a.request();
    await new Promise((r) => setImmediate(r));
    a.request();
    await done.promise;
    expect(calls).toBe(2);
    expect(logged).toEqual(['announcing new deliveries failed; other workers find them at their next poll']);
  });

  it('names the accounts of the requests it folds together, and none once one request was for unknown accounts', async () => {
    const payloads: string[] = [];
    const gates: Array<() => void> = [];
    const a = new Announcer(
      (payload) =>
        new Promise<void>((resolve) => {
          payloads.push(payload);
          gates.push(resolve);
        }),
      () => {},
      0,
    );
    a.request(['acc-1']);
    a.request(['acc-2', 'acc-3']);
    a.request(['acc-2']);
    gates[0]();
    await new Promise((r) => setImmediate(r));
    a.request(['acc-4']);
    a.request(); // a nudge: which accounts is not known
    gates[1]();
    await new Promise((r) => setImmediate(r));
    a.request(Array.from({ length: MAX_NAMED + 1 }, (_, i) => `acc-${i}`));
    gates[2]();
    await new Promise((r) => setImmediate(r));
    expect(payloads).toEqual(['acc-1', 'acc-2,acc-3', '', '']);
    expect(payloads.map(announcedAccounts)).toEqual([['acc-1'], ['acc-2', 'acc-3'], undefined, undefined]);
  });

  it('reads a payload it did not write as naming no account', () => {
    expect(announcedAccounts(undefined)).toBeUndefined();
    expect(announcedAccounts('a,,b')).toBeUndefined();
    expect(announcedAccounts(Array.from({ length: MAX_NAMED + 1 }, (_, i) => `x${i}`).join(','))).toBeUndefined();
    expect(announcedAccounts('x1,x2')).toEqual(['x1', 'x2']);
  });

  it('names up to MAX_NAMED accounts; an empty list or an unknown request makes the next announcement name none, whatever follows', async () => {
    const sent: string[] = [];
    const a = new Announcer(async (p) => void sent.push(p), () => {}, 0);
    const exactly = Array.from({ length: MAX_NAMED }, (_, i) => `acc-${i}`);
    a.request(exactly);
    a.request(['late']);
    await new Promise((r) => setImmediate(r));
    // The first went out at once (no delay); the second folded into one more.
    expect(sent).toEqual([exactly.join(','), 'late']);
    expect(announcedAccounts(exactly.join(','))).toEqual(exactly);
    sent.length = 0;
    const gates: Array<() => void> = [];
    const held = new Announcer(
      (p) =>
        new Promise<void>((resolve) => {
          sent.push(p);
          gates.push(resolve);
        }),
      () => {},
      0,
    );
    held.request(['x']);
    // Meanwhile: an empty list means unknown accounts, and named ones after it do not narrow it.
    held.request([]);
    held.request(['y']);
    gates[0]();
    await new Promise((r) => setImmediate(r));
    held.request(['z']);
    gates[1]();
    await new Promise((r) => setImmediate(r));
    gates[2]?.();
    expect(sent).toEqual(['x', '', 'z']);
  });

  it('once closed, asks for nothing more and logs no failure of the announcement in flight', async () => {
    const sent: string[] = [];
    const logged: string[] = [];
    const failing = latch();
    const a = new Announcer(
      async (p) => {
        sent.push(p);
        await failing.promise;
        throw new Error('connection closed');
      },
      (msg) => logged.push(msg),
      0,
    );
    a.request(['a']);
    a.request(['b']);
    a.close();
    a.request(['c']);
    failing.open();
    // Microtasks drain before setImmediate: the failed send has settled by then.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    // Idle and closed: a request now starts nothing either.
    a.request(['d']);
    await new Promise((r) => setImmediate(r));
    // Neither the folded request ('b') nor a later one went out, and the failure on the way out was not logged.
    expect([sent, logged]).toEqual([['a'], []]);
  });
});
