import { expect, it } from 'vitest';
import type { ClaimedDelivery } from '../../src/delivery/claim.js';
import { writeResults, type AttemptResult } from '../../src/delivery/finish.js';
import { timeOrderedId } from '../../src/storage/time-ordered-id.js';
import { describeEachDb } from '../support/env.js';
import { call } from '../support/fixtures.js';

/**
 * A batch of attempt results is written at once (finish.ts: one transaction on SQLite, one
 * statement on PostgreSQL): attempt rows, each delivery's new state, and the webhook's failing-since
 * mark, only for deliveries this worker still leases.
 */
describeEachDb('writing a batch of attempt results', (env) => {
  const OWNER = 'worker-under-test';

  async function setup() {
    const a = await env().newAccount();
    const sub = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: 'http://127.0.0.1:9/x', events: ['document.posted'] }, 201)).body;
    const now = Date.now();
    const ids = [timeOrderedId(), timeOrderedId(), timeOrderedId()];
    await env()
      .store.db.insertInto('deliveries')
      .values(
        ids.map((id, i) => ({
          id,
          account_id: a.id,
          webhook_id: sub.id,
          event_id: null,
          event_type: 'document.posted',
          status: 'pending',
          attempts: 0,
          next_attempt_ms: now + 30_000,
          // The third was taken over by another worker after this one's lease ran out.
          lease_owner: i === 2 ? 'someone-else' : OWNER,
          coalesce_key: null,
          url: 'http://127.0.0.1:9/x',
          headers: '{}',
          body: '{}',
          last_status_code: null,
          last_error: null,
          created_ms: now,
          completed_ms: null,
        })),
      )
      .execute();
    const delivery = (id: string): ClaimedDelivery => ({ id, accountId: a.id, subscriptionId: sub.id, eventId: null, eventType: 'document.posted', attempts: 0, url: 'http://127.0.0.1:9/x', headers: {}, body: '{}', createdMs: now });
    return { sub, ids, delivery, now };
  }

  const result = (d: ClaimedDelivery, ok: boolean, now: number): AttemptResult => ({
    delivery: d,
    attemptNo: 1,
    startedMs: now,
    durationMs: 1.5,
    requestHeaders: { 'content-type': 'application/json' },
    responseStatus: ok ? 200 : 500,
    responseHeaders: { server: 'test' },
    responseBody: ok ? 'ok' : 'boom',
    errorKind: ok ? null : 'bad_status',
    errorMessage: ok ? null : 'HTTP 500',
    outcome: ok ? 'succeeded' : 'retry',
    nextAttemptMs: ok ? null : now + 60_000,
  });

  const webhook = (id: string) => env().store.db.selectFrom('webhooks').select('failing_since_ms').where('id', '=', id).executeTakeFirstOrThrow();
  /** The rows in the order of the ids given. */
  const rows = async (ids: string[]) => {
    const found = await env().store.db.selectFrom('deliveries').selectAll().where('id', 'in', ids).execute();
    return ids.map((id) => found.find((r) => r.id === id)!);
  };

  it('a failure and a success of one endpoint in one batch leave it healthy; only leased rows change; every attempt is logged', async () => {
    const { sub, ids, delivery, now } = await setup();
    await env().store.db.updateTable('webhooks').set({ failing_since_ms: now - 1000 }).where('id', '=', sub.id).execute();
    await writeResults(env().store, OWNER, [result(delivery(ids[0]), false, now), result(delivery(ids[1]), true, now), result(delivery(ids[2]), true, now)], now);
    expect(Number((await webhook(sub.id)).failing_since_ms ?? 0)).toBe(0);
    const [retried, sent, takenOver] = await rows(ids);
    expect(retried).toMatchObject({ status: 'pending', attempts: 1, last_status_code: 500, last_error: 'HTTP 500', lease_owner: null, completed_ms: null });
    expect(Number(retried.next_attempt_ms)).toBe(now + 60_000);
    expect(sent).toMatchObject({ status: 'succeeded', attempts: 1, last_status_code: 200, last_error: null, lease_owner: null });
    expect(Number(sent.completed_ms)).toBe(now);
    // Not this worker's any more: its state is the other worker's to write.
    expect(takenOver).toMatchObject({ status: 'pending', attempts: 0, lease_owner: 'someone-else' });
    const logged = await env().store.db.selectFrom('attempts').selectAll().where('delivery_id', 'in', ids).execute();
    const attempts = ids.map((id) => logged.find((x) => x.delivery_id === id)!);
    expect(logged).toHaveLength(3);
    expect(attempts.map((x) => [x.delivery_id, x.outcome, x.response_status, x.error_kind])).toEqual([
      [ids[0], 'retry', 500, 'bad_status'],
      [ids[1], 'succeeded', 200, null],
      [ids[2], 'succeeded', 200, null],
    ]);
    expect(JSON.parse(attempts[0].request_headers)).toEqual({ 'content-type': 'application/json' });
    expect(Number(attempts[0].duration_ms)).toBe(1.5);
  });

  it('a batch of failures marks the endpoint failing since then, and keeps the first mark', async () => {
    const { sub, ids, delivery, now } = await setup();
    await writeResults(env().store, OWNER, [result(delivery(ids[0]), false, now)], now);
    expect(Number((await webhook(sub.id)).failing_since_ms)).toBe(now);
    await writeResults(env().store, OWNER, [result({ ...delivery(ids[1]) }, false, now + 5000)], now + 5000);
    expect(Number((await webhook(sub.id)).failing_since_ms)).toBe(now);
  });
});
