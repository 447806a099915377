import { beforeEach, expect, it } from 'vitest';
import { claimDue } from '../../../src/delivery/claim.js';
import { writeResults, type AttemptResult } from '../../../src/delivery/finish.js';
import { ResultBatcher } from '../../../src/delivery/result-batcher.js';
import { describeEachDb } from '../../support/env.js';
import { attemptResult, claimed, deliveryRows, insertAccount, insertDeliveries, insertWebhook } from '../../support/store-rows.js';

/*
 * Store conformance: a batch of attempt results is written at once (finish.ts: one transaction on
 * SQLite, one statement on PostgreSQL): attempt rows, each delivery's new state, and the endpoint's
 * failing-since mark, the new state only for deliveries this worker still leases. A worker whose
 * lease ran out and was taken over has its attempt logged, but the row is the new holder's to write.
 */

const NOW = 1_800_000_000_000;
const LEASE = 30_000;
const OWNER = 'worker-under-test';

describeEachDb('store conformance: result writes', (env) => {
  beforeEach(async () => {
    await env().store.db.deleteFrom('deliveries').execute();
  });

  async function setup(owners: Array<string | null> = [OWNER, OWNER, 'someone-else']) {
    const accountId = await insertAccount(env().store);
    const webhookId = await insertWebhook(env().store, accountId);
    const ids = await insertDeliveries(env().store, owners.map((owner) => ({ accountId, webhookId, due: NOW + LEASE, owner })));
    return { accountId, webhookId, ids, delivery: (id: string, attempts = 0) => claimed(id, accountId, webhookId, attempts) };
  }

  const failingSince = async (id: string) =>
    (await env().store.db.selectFrom('webhooks').select('failing_since_ms').where('id', '=', id).executeTakeFirstOrThrow()).failing_since_ms;
  const attemptsOf = async (ids: string[]) => {
    const logged = await env().store.db.selectFrom('attempts').selectAll().where('delivery_id', 'in', ids).orderBy('id').execute();
    return logged.map((x) => [x.delivery_id, x.attempt_no, x.outcome, x.response_status, x.error_kind]);
  };

  it('a failure and a success of one endpoint in one batch leave it healthy; only leased rows change; every attempt is logged', async () => {
    const { webhookId, ids, delivery } = await setup();
    await env().store.db.updateTable('webhooks').set({ failing_since_ms: NOW - 1000 }).where('id', '=', webhookId).execute();
    await writeResults(env().store, OWNER, [attemptResult(delivery(ids[0]), false, NOW), attemptResult(delivery(ids[1]), true, NOW), attemptResult(delivery(ids[2]), true, NOW)], NOW);
    expect(await failingSince(webhookId)).toBeNull();
    const [retried, sent, takenOver] = await deliveryRows(env().store, ids);
    expect(retried).toMatchObject({ status: 'pending', attempts: 1, last_status_code: 500, last_error: 'HTTP 500', lease_owner: null, completed_ms: null });
    expect(Number(retried?.next_attempt_ms)).toBe(NOW + 60_000);
    expect(sent).toMatchObject({ status: 'succeeded', attempts: 1, last_status_code: 200, last_error: null, lease_owner: null });
    expect(Number(sent?.completed_ms)).toBe(NOW);
    // Not this worker's any more: its state is the other worker's to write.
    expect(takenOver).toMatchObject({ status: 'pending', attempts: 0, lease_owner: 'someone-else', last_status_code: null, completed_ms: null });
    expect(Number(takenOver?.next_attempt_ms)).toBe(NOW + LEASE);
    expect(await attemptsOf(ids)).toEqual([
      [ids[0], 1, 'retry', 500, 'bad_status'],
      [ids[1], 1, 'succeeded', 200, null],
      [ids[2], 1, 'succeeded', 200, null],
    ]);
    const [first] = await env().store.db.selectFrom('attempts').selectAll().where('delivery_id', '=', ids[0]).execute();
    expect([JSON.parse(first.request_headers), Number(first.duration_ms), Number(first.started_ms)]).toEqual([{ 'content-type': 'application/json' }, 1.5, NOW]);
    // Every column of the attempt row, as the attempt reported it.
    const logged = await env().store.db.selectFrom('attempts').selectAll().where('delivery_id', 'in', [ids[0], ids[1]]).orderBy('attempt_no').execute();
    const byDelivery = (id: string) => logged.find((a) => a.delivery_id === id);
    for (const [id, body, message] of [[ids[0], 'boom', 'HTTP 500'], [ids[1], 'ok', null]] as const) {
      const a = byDelivery(id);
      expect([a?.webhook_id, JSON.parse(a?.response_headers ?? 'null'), a?.response_body, a?.error_message]).toEqual([webhookId, { server: 'test' }, body, message]);
    }
  });

  it('tries made at once under one lease: every try is logged, the delivery takes the last one\'s state, beside another delivery of the batch', async () => {
    const { ids, delivery } = await setup([OWNER, OWNER]);
    const first = attemptResult(delivery(ids[0]), false, NOW);
    const second = attemptResult(delivery(ids[0], 1), false, NOW + 10);
    const last = { ...attemptResult(delivery(ids[0], 2), true, NOW + 20), earlier: [first, second] };
    await writeResults(env().store, OWNER, [last, attemptResult(delivery(ids[1]), false, NOW + 20)], NOW + 20);
    expect(await attemptsOf(ids)).toEqual([
      [ids[0], 1, 'retry', 500, 'bad_status'],
      [ids[0], 2, 'retry', 500, 'bad_status'],
      [ids[0], 3, 'succeeded', 200, null],
      [ids[1], 1, 'retry', 500, 'bad_status'],
    ]);
    const [sent, retried] = await deliveryRows(env().store, ids);
    expect(sent).toMatchObject({ status: 'succeeded', attempts: 3, last_status_code: 200, last_error: null, lease_owner: null });
    expect(retried).toMatchObject({ status: 'pending', attempts: 1, last_status_code: 500, last_error: 'HTTP 500', lease_owner: null });
  });

  it('a healthy endpoint with a failure and a success in one batch stays healthy: it is never marked failing', async () => {
    // PostgreSQL writes both marks in one statement from one snapshot: an endpoint in both lists
    // would be marked failing there (the healthy mark finds nothing to clear yet).
    const { webhookId, ids, delivery } = await setup([OWNER, OWNER]);
    await writeResults(env().store, OWNER, [attemptResult(delivery(ids[0]), false, NOW), attemptResult(delivery(ids[1]), true, NOW)], NOW);
    expect(await failingSince(webhookId)).toBeNull();
  });

  it('a 410 Gone ends the delivery failed (a status the API knows), its attempt logged as gone', async () => {
    const { ids, delivery } = await setup([OWNER]);
    const gone: AttemptResult = { ...attemptResult(delivery(ids[0]), false, NOW), responseStatus: 410, errorMessage: 'HTTP 410', outcome: 'gone', nextAttemptMs: null };
    await writeResults(env().store, OWNER, [gone], NOW);
    const [row] = await deliveryRows(env().store, ids);
    expect([row?.status, Number(row?.completed_ms), row?.lease_owner, row?.last_status_code]).toEqual(['failed', NOW, null, 410]);
    expect(await attemptsOf(ids)).toEqual([[ids[0], 1, 'gone', 410, 'bad_status']]);
  });

  it('a batch of failures marks the endpoint failing since then, and keeps the first mark', async () => {
    const { webhookId, ids, delivery } = await setup();
    await writeResults(env().store, OWNER, [attemptResult(delivery(ids[0]), false, NOW)], NOW);
    expect(Number(await failingSince(webhookId))).toBe(NOW);
    await writeResults(env().store, OWNER, [attemptResult(delivery(ids[1]), false, NOW + 5000)], NOW + 5000);
    expect(Number(await failingSince(webhookId))).toBe(NOW);
  });

  it('the result of a worker whose lease was taken over is logged but does not finish the row; the new holder’s result does', async () => {
    const { ids } = await setup([null]);
    const [id] = ids;
    await env().store.db.updateTable('deliveries').set({ next_attempt_ms: NOW }).where('id', '=', id).execute();
    const claim = (owner: string, now: number) => claimDue(env().store, { owner, limit: 10, now, leaseMs: LEASE, subscriptions: [], accounts: [] });
    const [byOld] = await claim('old', NOW);
    // The old worker's lease runs out unrenewed; the new one takes the row over.
    const [byNew] = await claim('new', NOW + LEASE);
    expect([byOld.id, byNew.id, byNew.attempts]).toEqual([id, id, 0]);
    await writeResults(env().store, 'old', [attemptResult(byOld, true, NOW + LEASE + 10)], NOW + LEASE + 10);
    const [afterOld] = await deliveryRows(env().store, [id]);
    expect(afterOld).toMatchObject({ status: 'pending', attempts: 0, lease_owner: 'new', completed_ms: null, last_status_code: null });
    expect(Number(afterOld?.next_attempt_ms)).toBe(NOW + 2 * LEASE);
    await writeResults(env().store, 'new', [attemptResult(byNew, false, NOW + LEASE + 20)], NOW + LEASE + 20);
    const [afterNew] = await deliveryRows(env().store, [id]);
    expect(afterNew).toMatchObject({ status: 'pending', attempts: 1, lease_owner: null, completed_ms: null, last_status_code: 500 });
    expect(Number(afterNew?.next_attempt_ms)).toBe(NOW + LEASE + 20 + 60_000);
    expect(await attemptsOf([id])).toEqual([
      [id, 1, 'succeeded', 200, null],
      [id, 1, 'retry', 500, 'bad_status'],
    ]);
  });

  it('a removal deletes a subscription being removed with its last result and cancels what else waited; not without the lease, nor one not being removed', async () => {
    const store = env().store;
    const accountId = await insertAccount(store);
    const removing = await insertWebhook(store, accountId, { removing_ms: NOW - 1000 });
    const plain = await insertWebhook(store, accountId);
    const lost = await insertWebhook(store, accountId, { removing_ms: NOW - 1000 });
    const [last, stray, strayHeld] = await insertDeliveries(store, [
      { accountId, webhookId: removing, due: NOW + LEASE, owner: OWNER },
      { accountId, webhookId: removing, due: NOW + 5000 },
      { accountId, webhookId: removing, due: NOW + 5000, status: 'held' },
    ]);
    // What else waits for the subscriptions that stay is left as it was.
    const [plainLast, plainWaiting] = await insertDeliveries(store, [
      { accountId, webhookId: plain, due: NOW + LEASE, owner: OWNER },
      { accountId, webhookId: plain, due: NOW + 5000 },
    ]);
    const [lostLast, lostWaiting] = await insertDeliveries(store, [
      { accountId, webhookId: lost, due: NOW + LEASE, owner: 'someone-else' },
      { accountId, webhookId: lost, due: NOW + 5000 },
    ]);
    const other = await insertWebhook(store, accountId);
    const [otherTry] = await insertDeliveries(store, [{ accountId, webhookId: other, due: NOW + LEASE, owner: OWNER }]);
    const ended = (id: string, webhookId: string): AttemptResult => ({
      ...attemptResult(claimed(id, accountId, webhookId), false, NOW),
      outcome: 'failed',
      nextAttemptMs: null,
      endsSubscription: true,
    });
    const batch = [ended(last, removing), ended(plainLast, plain), ended(lostLast, lost), attemptResult(claimed(otherTry, accountId, other), false, NOW)];
    await writeResults(store, OWNER, batch, NOW);
    const left = await store.db.selectFrom('webhooks').select('id').where('account_id', '=', accountId).execute();
    expect(left.map((r) => r.id).sort()).toEqual([plain, lost, other].sort());
    const [lastRow, strayRow, plainRow, lostRow] = await deliveryRows(store, [last, stray, plainLast, lostLast]);
    expect(lastRow).toMatchObject({ status: 'failed', attempts: 1, lease_owner: null });
    expect([strayRow?.status, Number(strayRow?.completed_ms)]).toEqual(['cancelled', NOW]);
    expect(plainRow).toMatchObject({ status: 'failed', attempts: 1 });
    expect(lostRow).toMatchObject({ status: 'pending', attempts: 0, lease_owner: 'someone-else' });
    const [heldRow, plainWaitingRow, lostWaitingRow] = await deliveryRows(store, [strayHeld, plainWaiting, lostWaiting]);
    expect([heldRow?.status, Number(heldRow?.completed_ms)]).toEqual(['cancelled', NOW]);
    expect([plainWaitingRow?.status, plainWaitingRow?.completed_ms, lostWaitingRow?.status, lostWaitingRow?.completed_ms]).toEqual(['pending', null, 'pending', null]);
    // The batch's other endpoints get their marks as ever.
    expect(Number(await failingSince(other))).toBe(NOW);
    expect(await attemptsOf([last, plainLast, lostLast, otherTry])).toHaveLength(4);
  });

  it('a batch bigger than one statement’s rows logs each attempt once and finishes each delivery', async () => {
    const { accountId, webhookId } = await setup([]);
    const ids = await insertDeliveries(env().store, Array.from({ length: 250 }, () => ({ accountId, webhookId, due: NOW + LEASE, owner: OWNER })));
    await writeResults(env().store, OWNER, ids.map((id) => attemptResult(claimed(id, accountId, webhookId), true, NOW)), NOW);
    const logged = await env().store.db.selectFrom('attempts').select('delivery_id').where('delivery_id', 'in', ids).execute();
    expect(logged.map((a) => a.delivery_id).sort()).toEqual([...ids].sort());
    const rows = await deliveryRows(env().store, ids);
    expect(new Set(rows.map((r) => `${r?.status} ${r?.attempts} ${r?.lease_owner}`))).toEqual(new Set(['succeeded 1 null']));
  });

  it('the result batcher writes through the same lease guard, and tells afterWrite what it wrote', async () => {
    const { ids, delivery } = await setup([OWNER, 'someone-else']);
    const written: string[][] = [];
    const logged: string[] = [];
    const batcher = new ResultBatcher(env().store, {
      owner: OWNER,
      maxBatch: 1000,
      afterWrite: async (batch: AttemptResult[]) => void written.push(batch.map((r) => r.delivery.id)),
      log: (msg) => logged.push(msg),
    });
    batcher.add(attemptResult(delivery(ids[0]), true, NOW));
    batcher.add(attemptResult(delivery(ids[1]), true, NOW));
    await batcher.flush();
    expect([written, logged, batcher.pending]).toEqual([[[ids[0], ids[1]]], [], 0]);
    const [mine, theirs] = await deliveryRows(env().store, ids);
    expect([mine?.status, mine?.lease_owner, theirs?.status, theirs?.lease_owner]).toEqual(['succeeded', null, 'pending', 'someone-else']);
    expect((await attemptsOf(ids)).map((a) => a[0])).toEqual(ids);
  });
});
