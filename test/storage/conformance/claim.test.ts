import { beforeEach, expect, it } from 'vitest';
import { cancelClaim, claimDue, nextDueAt, releaseClaims } from '../../../src/delivery/claim.js';
import type { Store } from '../../../src/storage/database.js';
import { describeEachDb } from '../../support/env.js';
import { deliveryRows, finishesOrWaits, heldTransaction, insertAccount, insertDeliveries, insertWebhook, leases } from '../../support/store-rows.js';

/*
 * Store conformance: claiming due deliveries (delivery/claim.ts). A claim takes the pending rows
 * that are due, earliest first, up to its limit, and leases them to its worker in the same statement;
 * a leased row is nobody else's until the lease runs out, and then it is taken over with the same
 * id and attempts. Release and cancel touch only the caller's own leases.
 */

const NOW = 1_800_000_000_000;
const LEASE = 30_000;

describeEachDb('store conformance: claims and leases', (env) => {
  // claimDue looks at every account's rows: each test starts from an empty queue.
  beforeEach(async () => {
    await env().store.db.deleteFrom('deliveries').execute();
  });

  const endpoint = async () => {
    const accountId = await insertAccount(env().store);
    return { accountId, webhookId: await insertWebhook(env().store, accountId) };
  };
  const claim = (owner: string, now: number, limit = 100, exclude: { subscriptions?: string[]; accounts?: string[] } = {}, store: Store = env().store) =>
    claimDue(store, { owner, limit, now, leaseMs: LEASE, subscriptions: exclude.subscriptions ?? [], accounts: exclude.accounts ?? [] });
  const sorted = (ids: string[]) => [...ids].sort();

  it('claims the due pending rows, earliest first up to the limit, leasing them to the worker and nothing else', async () => {
    const e = await endpoint();
    // Inserted out of due order, so id order is not due order.
    const ids = await insertDeliveries(env().store, [
      { ...e, due: NOW - 1_000, attempts: 2, createdMs: NOW - 9_000, coalesceKey: 'k1' }, // 0: due third
      { ...e, due: NOW - 3_000 }, // 1: due first
      { ...e, due: NOW }, // 2: due exactly now
      { ...e, due: NOW - 2_000 }, // 3: due second
      { ...e, due: NOW + 1 }, // 4: not yet due
      { ...e, due: NOW - 5_000, status: 'succeeded', completedMs: NOW - 5_000 }, // 5: finished
      { ...e, due: NOW - 5_000, status: 'failed', completedMs: NOW - 5_000 }, // 6: failed, waits for a retry by hand
      { ...e, due: NOW - 5_000, status: 'held' }, // 7: held
    ]);
    const first = await claim('w1', NOW, 3);
    expect(sorted(first.map((d) => d.id))).toEqual(sorted([ids[1], ids[3], ids[0]]));
    const third = first.find((d) => d.id === ids[0]);
    expect(third).toEqual({
      id: ids[0],
      accountId: e.accountId,
      subscriptionId: e.webhookId,
      eventId: null,
      eventType: 'stock.changed',
      attempts: 2,
      url: 'http://127.0.0.1:9/x',
      headers: { 'x-row': '0' },
      body: '{"row":0}',
      createdMs: NOW - 9_000,
    });
    expect((await claim('w1', NOW, 3)).map((d) => d.id)).toEqual([ids[2]]);
    const leased = { owner: 'w1', due: NOW + LEASE, status: 'pending' };
    expect(await leases(env().store, ids)).toEqual([
      { ...leased, attempts: 2 },
      { ...leased, attempts: 0 },
      { ...leased, attempts: 0 },
      { ...leased, attempts: 0 },
      { owner: null, due: NOW + 1, status: 'pending', attempts: 0 },
      { owner: null, due: NOW - 5_000, status: 'succeeded', attempts: 0 },
      { owner: null, due: NOW - 5_000, status: 'failed', attempts: 0 },
      { owner: null, due: NOW - 5_000, status: 'held', attempts: 0 },
    ]);
    // A claimed row no longer coalesces with later changes.
    expect((await deliveryRows(env().store, [ids[0]]))[0]?.coalesce_key).toBeNull();
  });

  it('hands its rows back oldest first (by creation, then id), whatever order the statement returned them in', async () => {
    const e = await endpoint();
    // Written newest first, two of them created in the same millisecond: those two go in id order.
    const ids = await insertDeliveries(
      env().store,
      [NOW - 1_000, NOW - 5_000, NOW - 3_000, NOW - 5_000, NOW - 4_000].map((createdMs) => ({ ...e, due: NOW - 100, createdMs })),
    );
    const twins = [ids[1], ids[3]].sort();
    expect((await claim('w1', NOW)).map((d) => d.id)).toEqual([...twins, ids[4], ids[2], ids[0]]);
  });

  it('leaves out the endpoints and accounts it is told to', async () => {
    const [a, b, c] = [await endpoint(), await endpoint(), await endpoint()];
    const ids = await insertDeliveries(env().store, [
      { ...a, due: NOW - 3 },
      { ...b, due: NOW - 2 },
      { ...c, due: NOW - 1 },
    ]);
    const got = await claim('w1', NOW, 100, { subscriptions: [a.webhookId], accounts: [c.accountId] });
    expect(got.map((d) => d.id)).toEqual([ids[1]]);
    expect((await leases(env().store, ids)).map((l) => l?.owner)).toEqual([null, 'w1', null]);
  });

  it('a lease is nobody else’s until it runs out, then another worker takes the row over with the same id and attempts', async () => {
    const e = await endpoint();
    const [id] = await insertDeliveries(env().store, [{ ...e, due: NOW, attempts: 1 }]);
    expect((await claim('w1', NOW)).map((d) => d.id)).toEqual([id]);
    expect(await claim('w2', NOW + LEASE - 1)).toEqual([]);
    expect(await leases(env().store, [id])).toEqual([{ owner: 'w1', due: NOW + LEASE, status: 'pending', attempts: 1 }]);
    const taken = await claim('w2', NOW + LEASE);
    expect(taken.map((d) => [d.id, d.attempts])).toEqual([[id, 1]]);
    expect(await leases(env().store, [id])).toEqual([{ owner: 'w2', due: NOW + 2 * LEASE, status: 'pending', attempts: 1 }]);
  });

  it('a claim passes over rows another worker’s claim holds and never takes a row twice', async () => {
    const e = await endpoint();
    const ids = await insertDeliveries(env().store, Array.from({ length: 8 }, (_, i) => ({ ...e, due: NOW - 100 + i })));
    const store = env().store;
    if (store.name === 'sqlite') {
      // One writer: two claims in flight run one after the other, each a single statement.
      const [x, y] = await Promise.all([claim('w1', NOW, 5), claim('w2', NOW, 5)]);
      expect(sorted([...x, ...y].map((d) => d.id))).toEqual(sorted(ids));
      expect(x.length + y.length).toBe(8);
      return;
    }
    // PostgreSQL: w1's claim is held uncommitted, its rows locked, while w2 claims. w2 must finish
    // while w1 still holds them: a claim that waited (FOR UPDATE without SKIP LOCKED) would stall
    // every worker behind the slowest claim.
    const held = await heldTransaction(store, async (tx) => (await claim('w1', NOW, 5, {}, tx)).map((d) => d.id));
    const w1 = held.value;
    const w2Done = claim('w2', NOW, 5);
    let first: string;
    try {
      first = await finishesOrWaits(store, w2Done);
    } finally {
      // Whatever happened, w1 commits, so no later test waits behind its locks.
      await held.commit();
    }
    expect(first).toBe('finished');
    const w2 = (await w2Done).map((d) => d.id);
    expect(sorted(w1)).toEqual(sorted(ids.slice(0, 5)));
    expect(sorted(w2)).toEqual(sorted(ids.slice(5)));
    const owners = (await leases(store, ids)).map((l) => l?.owner);
    expect(owners).toEqual([...Array(5).fill('w1'), ...Array(3).fill('w2')]);
  });

  it('release and cancel touch only the caller’s own pending leases', async () => {
    const e = await endpoint();
    const ids = await insertDeliveries(env().store, [
      { ...e, due: NOW + LEASE, owner: 'w1', attempts: 1 },
      { ...e, due: NOW + LEASE, owner: 'w2', attempts: 1 },
      { ...e, due: NOW + LEASE, owner: 'w1', attempts: 1 },
      { ...e, due: NOW + LEASE, owner: 'w2', attempts: 1 },
    ]);
    await releaseClaims(env().store, 'w1', [ids[0], ids[1]], NOW + 5);
    await cancelClaim(env().store, 'w1', ids[2], 'refused by its format', NOW + 6);
    await cancelClaim(env().store, 'w1', ids[3], 'refused by its format', NOW + 6);
    expect(await leases(env().store, ids)).toEqual([
      { owner: null, due: NOW + 5, status: 'pending', attempts: 1 },
      { owner: 'w2', due: NOW + LEASE, status: 'pending', attempts: 1 },
      { owner: null, due: NOW + LEASE, status: 'cancelled', attempts: 1 },
      { owner: 'w2', due: NOW + LEASE, status: 'pending', attempts: 1 },
    ]);
    const cancelled = (await deliveryRows(env().store, [ids[2]]))[0];
    expect([cancelled?.last_error, Number(cancelled?.completed_ms)]).toEqual(['refused by its format', NOW + 6]);
  });

  it('the next due time is the earliest pending row due after the given time', async () => {
    const e = await endpoint();
    await insertDeliveries(env().store, [
      { ...e, due: NOW - 10 }, // already due: the caller's claim left it out
      { ...e, due: NOW + 700 },
      { ...e, due: NOW + 300, status: 'succeeded', completedMs: NOW },
      { ...e, due: NOW + 500 },
    ]);
    expect(await nextDueAt(env().store, NOW)).toBe(NOW + 500);
    expect(await nextDueAt(env().store, NOW + 700)).toBeNull();
  });
});
