import { describe, expect, it } from 'vitest';
import type { ClaimedDelivery } from '../../src/delivery/claim.js';
import { HandoffCount, HandoffTaker } from '../../src/delivery/handoff/index.js';
import type { Subscription } from '../../src/webhooks/subscription-row.js';

const OWNER = 'dispatcher-1';
const LIMIT = 8;

let next = 0;
const delivery = (): ClaimedDelivery => ({
  id: `d${++next}`,
  accountId: 'acc',
  subscriptionId: 'sub',
  eventId: null,
  eventType: 'stock.changed',
  attempts: 0,
  url: 'http://127.0.0.1/',
  headers: {},
  body: '{}',
  createdMs: 0,
});
const NO_SUBSCRIPTIONS: Subscription[] = [];

/**
 * The dispatcher's side of the handoff as the dispatcher drives it (delivery/dispatcher.ts): it
 * queues what it accepts (the slots count it, then held(d)), and a delivery leaves it by ended(d)
 * before the slots let it go. `gone` plays a subscription deleted meanwhile: accept() releases
 * those without queuing them. After every call into the taker it checks the load published
 * against the claimed deliveries in the slots: one too high for a moment is allowed, lower never.
 */
class Dispatcher {
  readonly count: HandoffCount;
  readonly taker: HandoffTaker;
  /** Queued and in flight, as SendSlots counts them. */
  private total = 0;
  /** Of those, the ones it claimed (the test knows which it gave). */
  private claimedInSlots = 0;
  readonly released: string[] = [];
  readonly accepted: string[] = [];
  readonly lows: number[] = [];
  readonly logged: unknown[] = [];

  constructor(private readonly gone = false) {
    this.count = new HandoffCount();
    this.taker = new HandoffTaker({
      owner: OWNER,
      limit: LIMIT,
      leaseDurationMs: 60_000,
      buffer: this.count.buffer,
      accept: async (ds) => this.accept(ds),
      release: async (ids) => void this.released.push(...ids),
      log: (msg, err) => void this.logged.push([msg, err]),
    });
  }

  private check(): void {
    const { load } = this.count.read();
    if (load < this.claimedInSlots) this.lows.push(load - this.claimedInSlots);
  }

  private accept(ds: ClaimedDelivery[]): void {
    for (const d of ds) {
      this.accepted.push(d.id);
      if (this.gone) {
        this.taker.ended(d);
        this.check();
        this.released.push(d.id);
      } else this.queue(d, false);
    }
  }

  queue(d: ClaimedDelivery, claimed = true): void {
    this.total++;
    if (claimed) this.claimedInSlots++;
    this.taker.load(this.total);
    this.check();
    this.taker.held(d);
    this.check();
  }

  /** Sent, or given back from the queue: the same two steps, in this order, on both paths. */
  end(d: ClaimedDelivery, claimed: boolean): void {
    this.taker.ended(d);
    this.check();
    this.total--;
    if (claimed) this.claimedInSlots--;
    this.taker.load(this.total);
    this.check();
  }
}

/** What give() started has settled: accept() and release() here resolve at once. */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

type Path = 'sent' | 'given back from the queue' | 'released as it arrives (subscription gone)' | 'given while the dispatcher stops';

const PATHS: Array<{ path: Path; queued: boolean; gone: boolean; stopping: boolean }> = [
  { path: 'sent', queued: true, gone: false, stopping: false },
  { path: 'given back from the queue', queued: true, gone: false, stopping: false },
  { path: 'released as it arrives (subscription gone)', queued: false, gone: true, stopping: false },
  { path: 'given while the dispatcher stops', queued: false, gone: false, stopping: true },
];

const TABLE = PATHS.flatMap((p) => [0, 2].flatMap((claimed) => [1, 3].map((given) => ({ ...p, claimed, given }))));

describe('the dispatcher’s side of the handoff: held and ended', () => {
  it.each(TABLE)('$path: $given given among $claimed claimed frees each given one once, and the load leaves the held ones out', ({ queued, gone, stopping, claimed, given }) =>
    (async () => {
      const f = new Dispatcher(gone);
      f.taker.open();
      const claimedOnes = Array.from({ length: claimed }, delivery);
      for (const d of claimedOnes) f.queue(d);
      expect(f.count.read()).toEqual({ outstanding: 0, load: claimed, limit: LIMIT });

      // The write reserves when it leases, and gives after its commit.
      expect(f.taker.reserve(given)).toBe(OWNER);
      expect(f.count.read().outstanding).toBe(given);
      if (stopping) f.taker.close();
      const givenOnes = Array.from({ length: given }, delivery);
      f.taker.give(givenOnes, NO_SUBSCRIPTIONS, OWNER);
      await settled();

      const ids = givenOnes.map((d) => d.id);
      expect(f.accepted).toEqual(stopping ? [] : ids);
      expect(f.released).toEqual(queued ? [] : ids);
      // Held: counted in outstanding only. Released at once: no longer outstanding.
      expect(f.count.read()).toEqual({ outstanding: queued ? given : 0, load: claimed, limit: LIMIT });

      if (queued) for (const d of givenOnes) f.end(d, false);
      for (const d of claimedOnes) f.end(d, true);
      expect(f.count.read()).toEqual({ outstanding: 0, load: 0, limit: LIMIT });
      // A second end of the same delivery, on any path, frees nothing more.
      for (const d of [...givenOnes, ...claimedOnes]) f.taker.ended(d);
      expect(f.count.read()).toEqual({ outstanding: 0, load: 0, limit: LIMIT });
      expect(f.lows).toEqual([]);
      expect(f.logged).toEqual([]);
    })(),
  );

  it('publishes, at every step, the claimed load alone, however given and claimed deliveries interleave', () => {
    const f = new Dispatcher();
    f.taker.open();
    const a = delivery();
    const b = delivery();
    const c = delivery();
    const x = delivery();
    expect(f.taker.reserve(3)).toBe(OWNER);
    f.taker.give([a, b, c], NO_SUBSCRIPTIONS, OWNER);
    const steps: Array<[string, () => void]> = [
      ['claim x', () => f.queue(x)],
      ['send a', () => f.end(a, false)],
      ['send x', () => f.end(x, true)],
      ['give back b', () => f.end(b, false)],
      ['send c', () => f.end(c, false)],
    ];
    const seen = steps.map(([step, run]) => {
      run();
      return [step, f.count.read().outstanding, f.count.read().load];
    });
    expect(seen).toEqual([
      ['claim x', 3, 1],
      ['send a', 2, 1],
      ['send x', 2, 0],
      ['give back b', 1, 0],
      ['send c', 0, 0],
    ]);
    expect(f.lows).toEqual([]);
  });

  it('reserves only while open and within the limit, counting the claimed load', () => {
    const f = new Dispatcher();
    expect([f.taker.ownerFor(1), f.taker.reserve(1)]).toEqual([null, null]);
    f.taker.open();
    for (let i = 0; i < 3; i++) f.queue(delivery());
    expect([f.taker.ownerFor(5), f.taker.ownerFor(6), f.taker.reserve(6)]).toEqual([OWNER, null, null]);
    expect([f.taker.reserve(4), f.taker.reserve(2), f.taker.reserve(1)]).toEqual([OWNER, null, OWNER]);
    expect(f.count.read()).toEqual({ outstanding: 5, load: 3, limit: LIMIT });
    f.taker.close();
    expect(f.taker.reserve(0)).toBeNull();
  });

  it('gives back a rolled-back write’s reservation to its owner only, and sends nothing given to another owner', () =>
    (async () => {
      const f = new Dispatcher();
      f.taker.open();
      expect(f.taker.reserve(4)).toBe(OWNER);
      f.taker.unreserve(1, 'a-restarted-thread');
      expect(f.count.read().outstanding).toBe(4);
      f.taker.unreserve(1, OWNER);
      expect(f.count.read().outstanding).toBe(3);
      const d = delivery();
      f.taker.give([d], NO_SUBSCRIPTIONS, 'a-restarted-thread');
      await settled();
      expect([f.accepted, f.released]).toEqual([[], []]);
      // Not given here: ending it frees nothing.
      f.taker.ended(d);
      expect(f.count.read()).toEqual({ outstanding: 3, load: 0, limit: LIMIT });
    })());

  it('a take whose accept fails is logged, and what it was given stays counted until it ends (its lease keeps it)', () =>
    (async () => {
      const count = new HandoffCount();
      const logged: Array<[string, string]> = [];
      const taker = new HandoffTaker({
        owner: OWNER,
        limit: LIMIT,
        leaseDurationMs: 60_000,
        buffer: count.buffer,
        accept: async () => Promise.reject(new Error('database away')),
        release: async () => {},
        log: (msg, err) => void logged.push([msg, (err as Error).message]),
      });
      taker.open();
      expect(taker.reserve(2)).toBe(OWNER);
      const given = [delivery(), delivery()];
      taker.give(given, NO_SUBSCRIPTIONS, OWNER);
      await settled();
      expect(logged).toEqual([['taking handed-off deliveries failed', 'database away']]);
      expect(count.read().outstanding).toBe(2);
      for (const d of given) taker.ended(d);
      expect(count.read().outstanding).toBe(0);
    })());
});
