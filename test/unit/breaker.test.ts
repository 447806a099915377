import { describe, expect, it } from 'vitest';
import { EndpointBreakers } from '../../src/delivery/breaker/index.js';
import { Breakers, DEFAULT_BREAKER } from '../../src/delivery/breaker/local.js';
import type { Store } from '../../src/storage/database.js';

describe('circuit breaker', () => {
  it('defaults: opens after 5 consecutive failures for 30 s, backing off up to 10 min', () => {
    expect(DEFAULT_BREAKER).toEqual({ threshold: 5, cooldownMs: 30_000, maxCooldownMs: 600_000 });
  });

  it('opens on the threshold-th consecutive failure, not before; a success resets the count', () => {
    const b = new Breakers();
    for (let i = 0; i < 4; i++) expect(b.record('e', false, 0)).toBeNull();
    b.record('e', true, 0);
    for (let i = 0; i < 4; i++) expect(b.record('e', false, 0)).toBeNull();
    expect(b.record('e', false, 1000)).toBe(31_000);
    expect(b.state('e', 1000)).toBe('open');
    expect(b.acquire('e', 30_999)).toBe(false);
    expect(b.blocked(30_999)).toEqual(['e']);
  });

  it('half-open hands out exactly one probe; a failed probe doubles the cooldown up to the maximum', () => {
    const b = new Breakers({ threshold: 1, cooldownMs: 100, maxCooldownMs: 300 });
    expect(b.record('e', false, 0)).toBe(100);
    expect(b.state('e', 100)).toBe('half-open');
    expect(b.acquire('e', 100)).toBe(true);
    expect(b.acquire('e', 100)).toBe(false);
    expect(b.record('e', false, 100)).toBe(300); // 200 ms cooldown
    expect(b.acquire('e', 300)).toBe(true);
    expect(b.record('e', false, 300)).toBe(600); // capped at 300 ms
    expect(b.acquire('e', 600)).toBe(true);
    b.record('e', true, 610);
    expect(b.state('e', 610)).toBe('closed');
    expect(b.counts(610)).toEqual({ closed: 0, open: 0, 'half-open': 0 });
  });

  it('keeps endpoints apart', () => {
    const b = new Breakers({ threshold: 2, cooldownMs: 1000, maxCooldownMs: 1000 });
    b.record('a', false, 0);
    b.record('a', false, 0);
    b.record('b', false, 0);
    expect(b.acquire('a', 10)).toBe(false);
    expect(b.acquire('b', 10)).toBe(true);
    expect(b.counts(10)).toEqual({ closed: 1, open: 1, 'half-open': 0 });
  });
});

describe('circuit breaker: what the claim loop and the shared breaker read', () => {
  const opts = { threshold: 3, cooldownMs: 100, maxCooldownMs: 1000 };

  it('reopenAt is null for an unknown or a failing-but-closed endpoint, and the reopen time once open', () => {
    const b = new Breakers(opts);
    expect(b.reopenAt('e')).toBeNull();
    b.record('e', false, 0);
    expect(b.reopenAt('e')).toBeNull();
    b.record('e', false, 0);
    expect(b.record('e', false, 50)).toBe(150);
    expect(b.reopenAt('e')).toBe(150);
    expect(b.reopenAt('other')).toBeNull();
  });

  it('blocks an open endpoint until its reopen time, then not until its probe goes out, then until the probe ends', () => {
    const b = new Breakers(opts);
    b.record('e', false, 0);
    expect(b.blocked(0)).toEqual([]); // failing but still closed
    b.record('e', false, 0);
    b.record('e', false, 0);
    expect(b.blocked(99)).toEqual(['e']);
    expect(b.blocked(100)).toEqual([]); // half-open: free for its one probe
    expect(b.acquire('e', 100)).toBe(true);
    expect(b.blocked(100)).toEqual(['e']); // the probe is in flight
    expect(b.blocked(10_000)).toEqual(['e']);
  });

  it('a failure reported while already open (a send that was in flight) neither reopens nor extends the pause', () => {
    const b = new Breakers(opts);
    for (let i = 0; i < 3; i++) b.record('e', false, 0);
    expect(b.reopenAt('e')).toBe(100);
    expect(b.record('e', false, 40)).toBeNull();
    expect(b.reopenAt('e')).toBe(100);
    expect(b.cooldownOf('e')).toBe(100);
  });

  it('paused lists only open or half-open endpoints', () => {
    const b = new Breakers(opts);
    expect(b.paused()).toEqual([]);
    b.record('failing', false, 0);
    expect(b.paused()).toEqual([]);
    for (let i = 0; i < 3; i++) b.record('open', false, 0);
    expect(b.paused()).toEqual(['open']);
    expect(b.state('open', 100)).toBe('half-open');
    expect(b.paused()).toEqual(['open']);
  });

  it('cooldownOf is the configured cooldown for an unknown endpoint and the current one after a failed probe', () => {
    const b = new Breakers(opts);
    expect(b.cooldownOf('e')).toBe(100);
    for (let i = 0; i < 3; i++) b.record('e', false, 0);
    expect(b.acquire('e', 100)).toBe(true);
    expect(b.record('e', false, 100)).toBe(300);
    expect(b.cooldownOf('e')).toBe(200);
    expect(b.cooldownOf('other')).toBe(100);
  });

  it('adopt mirrors a pause recorded elsewhere: open until then, one probe after', () => {
    const b = new Breakers(opts);
    b.adopt('e', 500, 400);
    expect([b.state('e', 499), b.reopenAt('e'), b.cooldownOf('e'), b.blocked(499), b.paused()]).toEqual(['open', 500, 400, ['e'], ['e']]);
    expect(b.acquire('e', 499)).toBe(false);
    expect(b.acquire('e', 500)).toBe(true);
    expect(b.acquire('e', 500)).toBe(false);
    // A failed probe doubles the adopted cooldown.
    expect(b.record('e', false, 500)).toBe(1300);
  });

  it('adopt takes a later pause, but not an earlier or equal one, and never replaces a probe in flight', () => {
    const b = new Breakers(opts);
    for (let i = 0; i < 3; i++) b.record('e', false, 0); // open until 100, cooldown 100
    b.adopt('e', 50, 700);
    expect([b.reopenAt('e'), b.cooldownOf('e')]).toEqual([100, 100]);
    b.adopt('e', 100, 700);
    expect([b.reopenAt('e'), b.cooldownOf('e')]).toEqual([100, 100]);
    b.adopt('e', 101, 700);
    expect([b.reopenAt('e'), b.cooldownOf('e')]).toEqual([101, 700]);
    expect(b.acquire('e', 101)).toBe(true); // our probe is out
    b.adopt('e', 5000, 900);
    expect([b.reopenAt('e'), b.cooldownOf('e'), b.blocked(101)]).toEqual([101, 700, ['e']]);
    expect(b.acquire('e', 5000)).toBe(false); // still the one probe
    // The probe's own result decides: a failure doubles the cooldown (capped at 1000) from its time.
    expect(b.record('e', false, 200)).toBe(1200);
  });

  it('adopt on a failing-but-closed endpoint opens it', () => {
    const b = new Breakers(opts);
    b.record('e', false, 0);
    b.adopt('e', 300, 200);
    expect([b.state('e', 299), b.reopenAt('e'), b.cooldownOf('e')]).toEqual(['open', 300, 200]);
  });

  it('forget lifts an open pause, but keeps a probe in flight and the failure count of a closed endpoint', () => {
    const b = new Breakers(opts);
    expect(() => b.forget('unknown')).not.toThrow();
    for (let i = 0; i < 3; i++) b.record('open', false, 0);
    b.forget('open');
    expect([b.state('open', 0), b.reopenAt('open'), b.paused()]).toEqual(['closed', null, []]);

    b.record('failing', false, 0);
    b.record('failing', false, 0);
    b.forget('failing');
    expect(b.record('failing', false, 10)).toBe(110); // still the third consecutive failure

    const p = new Breakers(opts);
    for (let i = 0; i < 3; i++) p.record('probing', false, 0);
    expect(p.acquire('probing', 100)).toBe(true);
    p.forget('probing');
    expect([p.state('probing', 100), p.blocked(100), p.acquire('probing', 100)]).toEqual(['half-open', ['probing'], false]);
  });
});

describe('endpoint breakers while the database is away', () => {
  it('a failure still opens this worker’s breaker and reports the pause; the failed share and the failed read are each logged', async () => {
    const away = (): never => {
      throw new Error('database away');
    };
    // Every write (autocommit) and every read (db.selectFrom) of the pause rows fails.
    const store = { autocommit: async () => away(), db: { selectFrom: away } } as unknown as Store;
    const logged: [string, string][] = [];
    const b = new EndpointBreakers(store, { owner: 'w', leaseMs: 1000, breaker: { threshold: 1, cooldownMs: 500, maxCooldownMs: 1000 }, log: (m, e) => logged.push([m, (e as Error).message]) });
    expect(await b.recorded('e', false, 1000, true)).toEqual({ change: 'paused', reopenAt: 1500, cooldownMs: 500 });
    expect(logged).toEqual([['sharing breaker state failed', 'database away']]);
    // The read fails: logged, and the endpoint is still held, by this worker's own open breaker.
    expect(await b.blocked(1100)).toEqual(['e']);
    expect(logged).toEqual([
      ['sharing breaker state failed', 'database away'],
      ['reading shared breaker state failed', 'database away'],
    ]);
  });
});

describe('endpoint breakers: what a result changes', () => {
  /** A store that records how many writes were asked of it and reads no pause rows. */
  const quietStore = () => {
    const seen = { writes: 0 };
    const chain: unknown = new Proxy(() => {}, { get: (_t, key) => (key === 'execute' ? async () => [] : () => chain) });
    return { seen, store: { autocommit: async () => void seen.writes++, db: chain } as unknown as Store };
  };
  const breakers = (store: Store) => new EndpointBreakers(store, { owner: 'w', leaseMs: 1000, breaker: { threshold: 2, cooldownMs: 500, maxCooldownMs: 1000 }, log: () => {} });

  it('a success on a closed breaker changes nothing and writes nothing', async () => {
    const { seen, store } = quietStore();
    const b = breakers(store);
    expect(await b.recorded('e', true, 1000, true)).toEqual({ change: null });
    expect(seen.writes).toBe(0);
  });

  it('a format without the protections is never recorded: failures past the threshold leave its breaker closed', async () => {
    const { seen, store } = quietStore();
    const b = breakers(store);
    for (let i = 0; i < 5; i++) expect(await b.recorded('vendor', false, 1000 + i, false)).toEqual({ change: null });
    expect([b.state('vendor', 1010), await b.blocked(1010), seen.writes]).toEqual(['closed', [], 0]);
  });
});
