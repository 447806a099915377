import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Dispatcher, type DispatcherOptions } from '../../src/delivery/dispatcher.js';
import { Sender } from '../../src/delivery/sender.js';
import { toSubscription } from '../../src/webhooks/subscription-row.js';
import type { Store } from '../../src/storage/database.js';
import { describeEachDb } from '../support/env.js';
import { failingStore } from '../support/failing-store.js';
import { watchLoopRests } from '../support/loop-rests.js';
import { eventually, latch, Receiver } from '../support/receiver.js';
import { deliveryRows, insertAccount, insertDeliveries, insertWebhook, leases } from '../support/store-rows.js';

/**
 * The dispatcher's own paths, each on a dispatcher of the test's over a real store, with a clock the
 * test moves: the heartbeat moves the leases of what is in flight to clock + lease, and touches
 * nothing while nothing is; a claimed delivery whose subscription was disabled or deleted meanwhile
 * is given back unsent; a subscription being removed gets only its 'application.uninstalled' hook,
 * the rest are cancelled; wake() claims at once; drained() waits for the result rows; and a failed
 * send is logged with the kind of its failure.
 * The deliveries are written straight into the table, which announces nothing: only the dispatcher's
 * start, wake() or its poll (longer than any wait here) claims them.
 */

// One watch for the file: describeEachDb runs its body once per database.
const loop = watchLoopRests();
afterAll(() => loop.restore());

/** The injected clock's start: what is due, leases and attempt times are read from it. */
const T0 = 1_800_000_000_000;
const LEASE_MS = 3000;

/** One delivery of the endpoint to `url`, due then (created just before: no format gives up on it). */
async function insertTo(store: Store, e: { accountId: string; webhookId: string }, url: string, due: number, eventType = 'stock.changed'): Promise<string> {
  const [id] = await insertDeliveries(store, [{ ...e, due, createdMs: due - 1000 }]);
  await store.db.updateTable('deliveries').set({ url, event_type: eventType }).where('id', '=', id).execute();
  return id;
}

describeEachDb('the dispatcher’s paths', (env) => {
  let rx: Receiver;
  /** Paths whose answers wait for their gate. */
  const gates = new Map<string, ReturnType<typeof latch>>();
  beforeAll(async () => {
    // /gone-* answers 410 and /sick-* 500, each once its gate (if any) opens; everything else 200.
    const status = (path: string) => (path.startsWith('/gone-') ? 410 : path.startsWith('/sick-') ? 500 : 200);
    rx = await Receiver.start((r) => ({ status: status(r.path), body: '{"ok":true}', hold: gates.get(r.path)?.promise }));
  });
  afterAll(async () => {
    for (const g of gates.values()) g.open();
    await rx.close();
  });

  let now = T0;
  const started: Dispatcher[] = [];
  /** A started dispatcher on the injected clock; its poll never comes within a test. */
  const start = async (opts: DispatcherOptions = {}, before?: (d: Dispatcher) => void): Promise<Dispatcher> => {
    const d = new Dispatcher(env().ctx, { pollMs: 600_000, leaseMs: LEASE_MS, clock: () => now, ...opts });
    before?.(d);
    started.push(d);
    await d.start();
    return d;
  };
  const endpoint = async (extra: Parameters<typeof insertWebhook>[2] = {}) => {
    const accountId = await insertAccount(env().store);
    return { accountId, webhookId: await insertWebhook(env().store, accountId, extra) };
  };
  const lease = async (id: string) => (await leases(env().store, [id]))[0];
  const attemptsOf = (id: string) =>
    env()
      .store.db.selectFrom('attempts')
      .select(['attempt_no', 'outcome', 'response_status', 'error_kind', 'error_message', 'started_ms'])
      .where('delivery_id', '=', id)
      .execute();

  /**
   * As a write that hands its deliveries over, after its reservation: the rows leased to the
   * dispatcher's owner; the returned function gives them with their subscriptions as they are now.
   */
  const leasedToGive = async (d: Dispatcher, ids: string[]): Promise<() => void> => {
    await env().store.db.updateTable('deliveries').set({ lease_owner: d.owner, next_attempt_ms: T0 + LEASE_MS }).where('id', 'in', ids).execute();
    const rows = (await deliveryRows(env().store, ids)).filter((r) => r !== undefined);
    const given = rows.map((r) => ({
      id: r.id, accountId: r.account_id, subscriptionId: r.webhook_id, eventId: null, eventType: r.event_type,
      attempts: 0, url: r.url, headers: {}, body: r.body, createdMs: Number(r.created_ms),
    }));
    const subIds = [...new Set(rows.map((r) => r.webhook_id))];
    const subs = (await env().store.db.selectFrom('webhooks').selectAll().where('id', 'in', subIds).execute()).map(toSubscription);
    return () => d.handoff.give(given, subs, d.owner);
  };

  beforeEach(async () => {
    now = T0;
    // Each test's dispatcher claims whatever is due: nothing of an earlier test may be.
    await env().store.db.deleteFrom('deliveries').execute();
  });
  afterEach(async () => {
    for (const g of gates.values()) g.open();
    gates.clear();
    for (const d of started.splice(0)) await d.stop(1000);
  });

  it('the heartbeat moves the lease of a delivery in flight to the clock’s now + the lease', async () => {
    gates.set('/slow', latch());
    const id = await insertTo(env().store, await endpoint(), rx.url('/slow'), T0 - 1000);
    const d = await start();
    await eventually(() => rx.on('/slow').length === 1);
    expect(await lease(id)).toEqual({ owner: d.owner, due: T0 + LEASE_MS, status: 'pending', attempts: 0 });
    // The clock moves on while the answer is held: the next beat (every second) extends from it.
    now = T0 + 60_000;
    await eventually(async () => (await lease(id))?.due === T0 + 60_000 + LEASE_MS, 10_000, 25, 'lease extended from the moved clock');
    expect(await lease(id)).toEqual({ owner: d.owner, due: T0 + 60_000 + LEASE_MS, status: 'pending', attempts: 0 });
    gates.get('/slow')?.open();
    await eventually(async () => (await lease(id))?.status === 'succeeded');
    expect(await lease(id)).toMatchObject({ owner: null, attempts: 1 });
    expect(rx.on('/slow')).toHaveLength(1);
  });

  it('a heartbeat whose write fails is logged, and the delivery in flight still ends in its result', async () => {
    gates.set('/beat', latch());
    const id = await insertTo(env().store, await endpoint(), rx.url('/beat'), T0 - 1000);
    // The store as the dispatcher sees it: its one-statement writes (the heartbeat among them) fail while `away`.
    let away = false;
    const store = env().store;
    const flaky = failingStore(store, 'autocommit', () => away);
    const logged: string[] = [];
    const d = new Dispatcher({ ...env().ctx, store: flaky }, { pollMs: 600_000, leaseMs: LEASE_MS, clock: () => now, log: (m, e) => logged.push(`${m}: ${(e as Error).message}`) });
    started.push(d);
    await d.start();
    await eventually(() => rx.on('/beat').length === 1);
    away = true;
    await eventually(() => logged.length > 0, 10_000, 25, 'a failed heartbeat logged');
    away = false;
    expect(logged[0]).toBe('lease heartbeat failed: database away');
    gates.get('/beat')?.open();
    await eventually(async () => (await lease(id))?.status === 'succeeded');
    expect(await lease(id)).toMatchObject({ owner: null, attempts: 1 });
  });

  it('with nothing in flight a beat writes nothing: a row leased to this owner keeps its due time', async () => {
    const owner = `paths-idle-${env().db}`;
    // Leased to this owner and pending, but not in flight: what a beat with nothing in flight would move.
    const [planted] = await insertDeliveries(env().store, [{ ...(await endpoint()), due: T0 + 3_600_000, owner, createdMs: T0 }]);
    let beats = 0;
    await start({ owner }, (d) => {
      const inner = d as unknown as { extend(): Promise<void> };
      const extend = inner.extend.bind(d);
      inner.extend = async () => {
        await extend();
        beats++;
      };
    });
    await eventually(() => beats >= 1, 10_000, 25, 'a heartbeat ran to its end');
    expect(await lease(planted)).toEqual({ owner, due: T0 + 3_600_000, status: 'pending', attempts: 0 });
  });

  it('a claimed delivery whose subscription was disabled meanwhile is given back unsent, its attempts unchanged', async () => {
    const off = await endpoint();
    const disabled = await insertTo(env().store, off, rx.url('/disabled'), T0 - 2000);
    const sent = await insertTo(env().store, await endpoint(), rx.url('/enabled'), T0 - 1000);
    // Disabled after its delivery was written and before the claim: the delivery is still pending.
    await env().store.db.updateTable('webhooks').set({ enabled: 0 }).where('id', '=', off.webhookId).execute();
    await start();
    // One claim took both (due order): the enabled one is sent, the other released at the clock's now.
    await eventually(async () => (await lease(sent))?.status === 'succeeded');
    await eventually(async () => (await lease(disabled))?.due === T0, 10_000, 25, 'the disabled endpoint’s delivery released');
    expect(await lease(disabled)).toEqual({ owner: null, due: T0, status: 'pending', attempts: 0 });
    expect(await attemptsOf(disabled)).toEqual([]);
    expect(rx.on('/enabled')).toHaveLength(1);
    expect(rx.on('/disabled')).toHaveLength(0);
  });

  it('a claimed delivery whose subscription was deleted meanwhile is given back, though the dispatcher knew the subscription', async () => {
    const e = await endpoint();
    const first = await insertTo(env().store, e, rx.url('/deleted'), T0 - 1000);
    const d = await start();
    await eventually(async () => (await lease(first))?.status === 'succeeded');
    // The subscription's row goes, one of its deliveries stays pending: the dispatcher still has the row it read before.
    await env().store.db.deleteFrom('webhooks').where('id', '=', e.webhookId).execute();
    const later = await insertTo(env().store, e, rx.url('/deleted'), T0 - 500);
    // Claimed together with it, a delivery of a subscription that is still there: the claim's
    // subscription rows are not empty, and none of them is the deleted one.
    const neighbour = await insertTo(env().store, await endpoint(), rx.url('/kept'), T0 - 400);
    d.wake();
    await eventually(async () => (await lease(neighbour))?.status === 'succeeded');
    await eventually(async () => (await lease(later))?.due === T0, 10_000, 25, 'the deleted endpoint’s delivery released');
    expect(await lease(later)).toEqual({ owner: null, due: T0, status: 'pending', attempts: 0 });
    expect(rx.on('/deleted').map((r) => r.headers['webhook-id'])).toEqual([first]);
    expect(rx.on('/kept')).toHaveLength(1);
  });

  it('a give-back or a cancel that fails is logged, and the rest of the claim is still sent', async () => {
    const off = await endpoint();
    const removing = await endpoint({ removing_ms: T0 - 10_000 });
    const disabled = await insertTo(env().store, off, rx.url('/off'), T0 - 3000);
    const retired = await insertTo(env().store, removing, rx.url('/retired'), T0 - 2000);
    const sent = await insertTo(env().store, await endpoint(), rx.url('/on'), T0 - 1000);
    await env().store.db.updateTable('webhooks').set({ enabled: 0 }).where('id', '=', off.webhookId).execute();
    // The claim is the first one-statement write; the give-back and the cancel after it fail. A
    // long lease puts the first heartbeat (another such write) minutes away.
    const leaseMs = 600_000;
    let writes = 0;
    const flaky = failingStore(env().store, 'autocommit', () => ++writes === 2 || writes === 3);
    const logged: string[] = [];
    const d = new Dispatcher({ ...env().ctx, store: flaky }, { pollMs: 600_000, leaseMs, clock: () => now, log: (m, e) => logged.push(`${m}: ${(e as Error).message}`) });
    started.push(d);
    await d.start();
    await eventually(async () => (await lease(sent))?.status === 'succeeded');
    expect(rx.on('/on')).toHaveLength(1);
    expect(logged).toEqual(['giving back claims failed: database away', 'cancelling a claim failed: database away']);
    // Neither write happened: both rows are still this worker's lease, unsent, for a later claim to take when it runs out.
    expect(await lease(disabled)).toEqual({ owner: d.owner, due: T0 + leaseMs, status: 'pending', attempts: 0 });
    expect(await lease(retired)).toEqual({ owner: d.owner, due: T0 + leaseMs, status: 'pending', attempts: 0 });
    expect([rx.on('/off'), rx.on('/retired')]).toEqual([[], []]);
  });

  it('a stop whose give-back fails is logged, and the delivery it could not give back stays this worker’s lease, unsent', async () => {
    gates.set('/one-at-a-time', latch());
    const e = await endpoint({ max_in_flight: 1 });
    const first = await insertTo(env().store, e, rx.url('/one-at-a-time'), T0 - 2000);
    const queued = await insertTo(env().store, e, rx.url('/one-at-a-time'), T0 - 1000);
    let away = false;
    const logged: string[] = [];
    const d = new Dispatcher(
      { ...env().ctx, store: failingStore(env().store, 'autocommit', () => away) },
      { pollMs: 600_000, leaseMs: LEASE_MS, clock: () => now, log: (m, err) => logged.push(`${m}: ${(err as Error).message}`) },
    );
    await d.start();
    // One in flight (its answer held), the other queued behind the endpoint's limit of one.
    await eventually(() => rx.on('/one-at-a-time').length === 1);
    expect(await lease(queued)).toEqual({ owner: d.owner, due: T0 + LEASE_MS, status: 'pending', attempts: 0 });
    away = true;
    const stopped = d.stop(10_000);
    await eventually(() => logged.includes('release failed: database away'), 10_000, 10, 'the failed give-back logged');
    away = false;
    gates.get('/one-at-a-time')?.open();
    await stopped;
    // A heartbeat that fell in the same moment fails too, and says so; nothing else is logged.
    expect(logged.filter((m) => m !== 'lease heartbeat failed: database away')).toEqual(['release failed: database away']);
    expect(await lease(queued)).toEqual({ owner: d.owner, due: T0 + LEASE_MS, status: 'pending', attempts: 0 });
    expect(await lease(first)).toMatchObject({ owner: null, status: 'succeeded', attempts: 1 });
    expect(rx.on('/one-at-a-time').map((r) => r.headers['webhook-id'])).toEqual([first]);
  });

  it('deliveries handed over for a subscription disabled or being removed meanwhile leave the handoff’s count as they are released or cancelled', async () => {
    // Four slots, a share of two: the handoff takes at most two at a time.
    const d = await start({ concurrency: 4 });
    await eventually(() => loop.atRest, 10_000, 10, 'the dispatcher loop at rest');
    const off = await endpoint();
    const removing = await endpoint({ removing_ms: T0 - 10_000 });
    await env().store.db.updateTable('webhooks').set({ enabled: 0 }).where('id', '=', off.webhookId).execute();
    // As a write that hands its deliveries over: it reserves, leases the rows to the owner, commits and gives.
    expect(d.handoff.reserve(2)).toBe(d.owner);
    const ids = [await insertTo(env().store, off, rx.url('/off'), T0 - 1000), await insertTo(env().store, removing, rx.url('/removing'), T0 - 1000)];
    const give = await leasedToGive(d, ids);
    // Full: nothing more can be reserved until the two end.
    expect(d.handoff.reserve(1)).toBeNull();
    give();
    await eventually(async () => (await deliveryRows(env().store, ids)).every((r) => r?.lease_owner === null), 10_000, 10, 'both ended');
    const [released, cancelled] = await deliveryRows(env().store, ids);
    expect([released?.status, cancelled?.status, cancelled?.last_error]).toEqual(['pending', 'cancelled', 'the subscription is being removed']);
    // Both freed their place: the whole share can be reserved again.
    expect(d.handoff.reserve(2)).toBe(d.owner);
    d.handoff.unreserve(2, d.owner);
    expect([rx.on('/off'), rx.on('/removing')]).toEqual([[], []]);
  });

  it('deliveries handed over and sent free their place in the handoff’s count when they end', async () => {
    const d = await start({ concurrency: 4 });
    await eventually(() => loop.atRest, 10_000, 10, 'the dispatcher loop at rest');
    const on = await endpoint();
    expect(d.handoff.reserve(2)).toBe(d.owner);
    const ids = [await insertTo(env().store, on, rx.url('/handed'), T0 - 1000), await insertTo(env().store, on, rx.url('/handed'), T0 - 1000)];
    (await leasedToGive(d, ids))();
    await eventually(async () => (await leases(env().store, ids)).every((l) => l?.status === 'succeeded'), 10_000, 10, 'both sent');
    await d.drained();
    expect(rx.on('/handed')).toHaveLength(2);
    // Each freed its place as it left the slots: the whole share can be reserved again.
    expect(d.handoff.reserve(2)).toBe(d.owner);
    d.handoff.unreserve(2, d.owner);
  });

  it('a subscription being removed is sent its application.uninstalled delivery; any other is cancelled unsent', async () => {
    const e = await endpoint({ removing_ms: T0 - 10_000 });
    const other = await insertTo(env().store, e, rx.url('/removing'), T0 - 2000);
    const last = await insertTo(env().store, e, rx.url('/removing'), T0 - 1000, 'application.uninstalled');
    await start();
    await eventually(() => rx.on('/removing').length === 1);
    expect(rx.on('/removing')[0].headers['webhook-id']).toBe(last);
    // Its result ends the subscription (finish.ts): once the row is gone, that result is written.
    await eventually(async () => (await env().store.db.selectFrom('webhooks').select('id').where('id', '=', e.webhookId).executeTakeFirst()) === undefined);
    const [o, l] = await deliveryRows(env().store, [other, last]);
    expect({ status: o?.status, owner: o?.lease_owner, attempts: Number(o?.attempts), completed: Number(o?.completed_ms), reason: o?.last_error }).toEqual({
      status: 'cancelled',
      owner: null,
      attempts: 0,
      completed: T0,
      reason: 'the subscription is being removed',
    });
    expect({ status: l?.status, attempts: Number(l?.attempts) }).toEqual({ status: 'succeeded', attempts: 1 });
    expect(await attemptsOf(other)).toEqual([]);
    expect(rx.on('/removing')).toHaveLength(1);
  });

  it('a 410 whose disable fails is logged after the attempt, and its result is still written', async () => {
    gates.set('/gone-away', latch());
    const e = await endpoint();
    const id = await insertTo(env().store, e, rx.url('/gone-away'), T0 - 1000);
    let away = false;
    const logged: string[] = [];
    const flaky = new Dispatcher(
      { ...env().ctx, store: failingStore(env().store, 'write', () => away) },
      { pollMs: 600_000, leaseMs: LEASE_MS, clock: () => now, log: (m, err) => logged.push(`${m}: ${(err as Error).message}`) },
    );
    started.push(flaky);
    await flaky.start();
    await eventually(() => rx.on('/gone-away').length === 1, 10_000, 10, 'the request at the receiver');
    // The disable after the 410 is a write of its own: the database is away for it.
    away = true;
    gates.get('/gone-away')?.open();
    await eventually(() => logged.includes('after an attempt: updating the breaker or the subscription failed: database away'), 10_000, 10, 'the failed disable logged');
    away = false;
    await flaky.drained();
    expect(await lease(id)).toMatchObject({ owner: null, status: 'failed', attempts: 1 });
    const sub = await env().store.db.selectFrom('webhooks').select(['enabled']).where('id', '=', e.webhookId).executeTakeFirstOrThrow();
    expect(Number(sub.enabled)).toBe(1);
  });

  it('a breaker that opens while the database is away logs the failed give-back, and the dispatcher still drains', async () => {
    gates.set('/sick-away', latch());
    const e = await endpoint({ max_in_flight: 1 });
    const first = await insertTo(env().store, e, rx.url('/sick-away'), T0 - 2000);
    const queued = await insertTo(env().store, e, rx.url('/sick-away'), T0 - 1000);
    let away = false;
    const logged: string[] = [];
    const d = new Dispatcher(
      { ...env().ctx, store: failingStore(env().store, 'autocommit', () => away) },
      { pollMs: 600_000, leaseMs: LEASE_MS, clock: () => now, breaker: { threshold: 1, cooldownMs: 3_600_000, maxCooldownMs: 3_600_000 }, log: (m, err) => logged.push(`${m}: ${(err as Error).message}`) },
    );
    started.push(d);
    await d.start();
    await eventually(() => rx.on('/sick-away').length === 1, 10_000, 10, 'the first request at the receiver');
    away = true;
    gates.get('/sick-away')?.open();
    await eventually(() => logged.includes('pausing endpoint failed: database away'), 10_000, 10, 'the failed give-back logged');
    away = false;
    await d.drained();
    // The queued one was never sent, and stays this worker's lease (its give-back failed): a later claim takes it when that runs out.
    expect(rx.on('/sick-away').map((r) => r.headers['webhook-id'])).toEqual([first]);
    expect(await lease(queued)).toMatchObject({ owner: d.owner, status: 'pending', attempts: 0 });
  });

  it('a second start() is a no-op: one loop claims, and a delivery goes out once', async () => {
    const logged: string[] = [];
    const d = await start({ log: (m) => logged.push(m) });
    await d.start();
    await eventually(() => loop.atRest, 10_000, 10, 'the dispatcher loop at rest');
    const id = await insertTo(env().store, await endpoint(), rx.url('/started-twice'), T0 - 1000);
    d.wake();
    await eventually(async () => (await lease(id))?.status === 'succeeded', 10_000, 10, 'the delivery sent');
    await d.drained();
    expect(rx.on('/started-twice').map((r) => r.headers['webhook-id'])).toEqual([id]);
    expect(logged).toEqual([]);
  });

  it('deliveries handed over once stop() has begun are given back at once, not kept leased until the lease runs out', async () => {
    const d = await start();
    const on = await endpoint();
    const ids = [await insertTo(env().store, on, rx.url('/after-stop'), T0 - 1000), await insertTo(env().store, on, rx.url('/after-stop'), T0 - 1000)];
    const give = await leasedToGive(d, ids);
    await d.stop(1000);
    give();
    await eventually(async () => (await leases(env().store, ids)).every((l) => l?.owner === null), 10_000, 10, 'both given back');
    expect(await leases(env().store, ids)).toEqual(ids.map(() => ({ owner: null, due: T0, status: 'pending', attempts: 0 })));
    expect(rx.on('/after-stop')).toEqual([]);
  });

  it('wake() claims at once what nothing announced', async () => {
    const d = await start();
    // The start's claim found nothing: the loop rests until its poll, ten minutes away.
    await eventually(() => loop.atRest, 10_000, 10, 'the dispatcher loop at rest');
    const rests = loop.rests;
    const id = await insertTo(env().store, await endpoint(), rx.url('/woken'), T0 - 1000);
    // Written behind the dispatcher's back: still resting in the same wait, the row unclaimed.
    expect(await lease(id)).toEqual({ owner: null, due: T0 - 1000, status: 'pending', attempts: 0 });
    expect([loop.atRest, loop.rests]).toEqual([true, rests]);
    d.wake();
    await eventually(() => rx.on('/woken').length === 1);
    await eventually(async () => (await lease(id))?.status === 'succeeded');
    expect(rx.on('/woken')[0].headers['webhook-id']).toBe(id);
  });

  it('drained() resolves once the result is written: the attempt row and the succeeded delivery are there', async () => {
    gates.set('/drained', latch());
    const id = await insertTo(env().store, await endpoint(), rx.url('/drained'), T0 - 1000);
    const d = await start();
    await eventually(() => rx.on('/drained').length === 1);
    let drained = false;
    const done = d.drained().then(() => (drained = true));
    // The answer is held: the delivery is in flight, so nothing is drained yet.
    expect(await lease(id)).toEqual({ owner: d.owner, due: T0 + LEASE_MS, status: 'pending', attempts: 0 });
    expect(drained).toBe(false);
    gates.get('/drained')?.open();
    await done;
    const attempts = (await attemptsOf(id)).map((a) => ({ ...a, started_ms: Number(a.started_ms) }));
    expect(attempts).toEqual([{ attempt_no: 1, outcome: 'succeeded', response_status: 200, error_kind: null, error_message: null, started_ms: T0 }]);
    const [row] = await deliveryRows(env().store, [id]);
    expect({ status: row?.status, owner: row?.lease_owner, attempts: Number(row?.attempts), completed: Number(row?.completed_ms) }).toEqual({
      status: 'succeeded',
      owner: null,
      attempts: 1,
      completed: T0,
    });
  });

  it('a failed send is logged with its kind: a name that does not resolve is dns, TLS to a plain HTTP port is tls', async () => {
    const dns = await insertTo(env().store, await endpoint(), 'http://nothing.invalid/hook', T0 - 2000);
    const tls = await insertTo(env().store, await endpoint(), `https://127.0.0.1:${rx.port}/tls`, T0 - 1000);
    await start();
    const logged = async (id: string) => eventually(async () => (await attemptsOf(id))[0], 10_000, 25, 'the attempt logged');
    const [d, t] = [await logged(dns), await logged(tls)];
    expect({ kind: d.error_kind, outcome: d.outcome, status: d.response_status }).toEqual({ kind: 'dns', outcome: 'retry', status: null });
    expect(d.error_message).toMatch(/^getaddrinfo (ENOTFOUND|EAI_AGAIN) nothing\.invalid$/);
    expect({ kind: t.error_kind, outcome: t.outcome, status: t.response_status }).toEqual({ kind: 'tls', outcome: 'retry', status: null });
    expect(t.error_message).toMatch(/wrong version number/);
    // The TLS handshake reached the receiver's port, but no HTTP request did.
    expect(rx.on('/tls')).toHaveLength(0);
  });
});

/** The sender's failure kinds, without a database: what the attempt log records for each. */
describe('the sender classifies a failed send', () => {
  let server: Receiver;
  let port = 0;
  const open = new Sender({ allowPrivateTargets: true });
  const guarded = new Sender({ allowPrivateTargets: false });
  beforeAll(async () => {
    server = await Receiver.start(() => ({ status: 200, body: '{}' }));
    port = server.port;
  });
  afterAll(async () => {
    await open.close();
    await guarded.close();
    await server.close();
  });

  it('a name that does not resolve: dns, with private targets allowed or not (the guarded lookup passes the resolver’s error on)', async () => {
    for (const s of [open, guarded]) {
      const out = await s.send('acc', `http://nothing.invalid:${port}/dns`, {}, '{}', 10_000);
      expect(out).toMatchObject({ ok: false, kind: 'dns' });
      expect(out.ok === false && out.message).toMatch(/^getaddrinfo (ENOTFOUND|EAI_AGAIN) nothing\.invalid$/);
    }
  });

  it('TLS to a port that speaks plain HTTP: tls', async () => {
    const out = await open.send('acc', `https://127.0.0.1:${port}/tls`, {}, '{}', 10_000);
    expect(out).toMatchObject({ ok: false, kind: 'tls' });
    expect(out.ok === false && out.message).toMatch(/wrong version number/);
  });

  it('a loopback target while private targets are not allowed: blocked, and nothing reaches it', async () => {
    expect(await guarded.send('acc', `http://127.0.0.1:${port}/ip`, {}, '{}', 10_000)).toEqual({
      ok: false,
      kind: 'blocked',
      message: '127.0.0.1 is a loopback, private or otherwise non-public address',
    });
    expect(await guarded.send('acc', `http://localhost:${port}/name`, {}, '{}', 10_000)).toEqual({
      ok: false,
      kind: 'blocked',
      message: 'localhost is a loopback, private or otherwise non-public address',
    });
    // What the same server receives next is the first request it sees.
    expect(await open.send('acc', `http://127.0.0.1:${port}/after`, {}, '{}', 10_000)).toMatchObject({ ok: true, status: 200 });
    expect(server.requests.map((r) => r.url)).toEqual(['/after']);
  });
});
