import type { Insertable } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/events/catalog.js';
import { Outbox } from '../../src/events/outbox.js';
import { HandoffCount, handoffTarget, HandoffWriter } from '../../src/delivery/handoff/index.js';
import type { DeliveryTable } from '../../src/storage/schema.js';
import type { Subscription } from '../../src/webhooks/subscription-row.js';

const NOW = 1_000_000;
const LEASE_MS = 30_000;

const event = (): StoredEvent =>
  ({ id: `e${Math.random()}`, accountId: 'acc', seq: 1, type: 'stock.changed', object: 'stock', objectId: '1', action: 'changed', occurredAt: NOW, data: {} }) as StoredEvent;
const sub = (id: string, pausedUntil: number | null = null) => ({ id, accountId: 'acc', pausedUntil }) as Subscription;
const row = (id: string, webhookId: string, over: Partial<Insertable<DeliveryTable>> = {}): Insertable<DeliveryTable> => ({
  id,
  account_id: 'acc',
  webhook_id: webhookId,
  event_id: 'e',
  event_type: 'stock.changed',
  status: 'pending',
  attempts: 0,
  next_attempt_ms: NOW,
  lease_owner: null,
  coalesce_key: null,
  url: 'http://127.0.0.1/',
  headers: '{}',
  body: '{}',
  last_status_code: null,
  last_error: null,
  created_ms: NOW,
  completed_ms: null,
  ...over,
});

/** A writer on a real outbox, handing to a target with a real count (limit 4) owned by `owner`. */
function setup() {
  // The writer listens to the outbox's commit and abandon signals; these tests write no events.
  const noRows = { numberInWrite: () => Promise.reject(new Error('no events are written here')), insert: () => Promise.reject(new Error('no events are written here')) };
  const outbox = new Outbox(noRows);
  const writer = new HandoffWriter(outbox);
  const count = new HandoffCount();
  count.setLimit(4);
  const side = { count, owner: 'o1', taking: true };
  const gifts: Array<{ ids: string[]; subs: string[]; owner: string }> = [];
  writer.connect(handoffTarget(() => side, LEASE_MS, (ds, subs, owner) => gifts.push({ ids: ds.map((d) => d.id), subs: subs.map((s) => s.id), owner })));
  const claimable: StoredEvent[][] = [];
  writer.onClaimable((events) => claimable.push(events));
  return { outbox, writer, count, side, gifts, claimable };
}

describe('the writing side of the handoff', () => {
  it.each([
    { name: 'every row eligible', rows: () => [row('a', 's1'), row('b', 's2')], leased: ['a', 'b'], all: true },
    { name: 'a coalesced row', rows: () => [row('a', 's1'), row('b', 's2', { coalesce_key: 'k' })], leased: ['a'], all: false },
    { name: 'a row due later', rows: () => [row('a', 's1', { next_attempt_ms: NOW + 1 }), row('b', 's2')], leased: ['b'], all: false },
    { name: 'a row of a paused endpoint', rows: () => [row('a', 's1'), row('b', 'paused')], leased: ['a'], all: false },
    { name: 'a row of an endpoint whose pause ends now', rows: () => [row('a', 's1'), row('b', 'resumed')], leased: ['a', 'b'], all: true },
    { name: 'a row due now', rows: () => [row('a', 's1', { next_attempt_ms: NOW })], leased: ['a'], all: true },
    { name: 'more than the limit', rows: () => ['a', 'b', 'c', 'd', 'e'].map((id) => row(id, 's1')), leased: [], all: false },
  ])('$name: leases in the write, gives after the commit, and wakes a claim unless it gave all', ({ rows, leased, all }) => {
    const { outbox, writer, count, gifts, claimable } = setup();
    const events = [event()];
    const written = rows();
    writer.lease(events, written, [sub('s1'), sub('s2'), sub('paused', NOW + 5), sub('resumed', NOW)], NOW);
    expect(written.filter((r) => r.lease_owner === 'o1').map((r) => [r.id, r.next_attempt_ms])).toEqual(leased.map((id) => [id, NOW + LEASE_MS]));
    expect(written.filter((r) => r.lease_owner === null).map((r) => r.id)).toEqual(written.map((r) => r.id).filter((id) => !leased.includes(id)));
    expect(count.read().outstanding).toBe(leased.length);
    // Nothing is given before the commit.
    expect(gifts).toEqual([]);
    outbox.committed(events);
    expect(gifts).toEqual(leased.length === 0 ? [] : [{ ids: leased, subs: [...new Set(written.filter((r) => leased.includes(r.id)).map((r) => r.webhook_id))], owner: 'o1' }]);
    expect(writer.gaveAll(events)).toBe(all);
    expect(claimable).toEqual(all ? [] : [events]);
    // A second commit notice gives nothing twice, and a write that gave all still counts as given.
    outbox.committed(events);
    expect(gifts).toHaveLength(leased.length === 0 ? 0 : 1);
    expect(writer.gaveAll(events)).toBe(all);
    expect(claimable).toEqual(all ? [] : [events, events]);
  });

  it('gives a rolled-back write’s reservation back, and nothing to send', () => {
    const { outbox, writer, count, gifts, claimable } = setup();
    const events = [event()];
    writer.lease(events, [row('a', 's1'), row('b', 's1')], [sub('s1')], NOW);
    expect(count.read().outstanding).toBe(2);
    outbox.abandoned([events]);
    expect(count.read().outstanding).toBe(0);
    expect(writer.gaveAll(events)).toBe(false);
    expect([gifts, claimable]).toEqual([[], []]);
  });

  it('leaves a reservation of an ended owner and its deliveries to the lease and the claim', () => {
    const { outbox, writer, count, side, gifts } = setup();
    const rolledBack = [event()];
    const committed = [event()];
    writer.lease(rolledBack, [row('a', 's1')], [sub('s1')], NOW);
    writer.lease(committed, [row('b', 's1')], [sub('s1')], NOW);
    // The delivery thread restarted: a new owner with a new count.
    const old = count;
    side.owner = 'o2';
    side.count = new HandoffCount();
    outbox.abandoned([rolledBack]);
    outbox.committed(committed);
    expect([old.read().outstanding, side.count.read().outstanding, gifts]).toEqual([2, 0, []]);
  });

  it('leases nothing while the dispatcher takes nothing, and a nudge wakes a claim', () => {
    const { outbox, writer, count, side, claimable } = setup();
    side.taking = false;
    const events = [event()];
    const written = [row('a', 's1')];
    writer.lease(events, written, [sub('s1')], NOW);
    outbox.committed(events);
    outbox.nudge();
    expect([written[0].lease_owner, count.read().outstanding, writer.gaveAll(events)]).toEqual([null, 0, false]);
    expect(claimable).toEqual([events, []]);
  });
});
