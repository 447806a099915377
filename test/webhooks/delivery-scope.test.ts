import { expect, it } from 'vitest';
import { timeOrderedId } from '../../src/storage/time-ordered-id.js';
import { describeEachDb } from '../support/env.js';
import { call } from '../support/fixtures.js';

/**
 * The delivery log belongs to its account: another account's token can neither read a delivery
 * (its body and attempts are the owner's business) nor send it again, and either attempt changes
 * nothing: 404 NOT_FOUND, as for an id that does not exist.
 */
describeEachDb('a delivery is its account’s own', (env) => {
  it('another account gets 404 for GET /deliveries/:id and POST /deliveries/:id/retry, sees none in its list, and the delivery is unchanged', async () => {
    const a = await env().newAccount();
    const b = await env().newAccount();
    const sub = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: 'http://127.0.0.1:9/owned', events: ['document.posted'] }, 201)).body;
    await call(env(), b, 'POST', '/api/v1/webhooks', { url: 'http://127.0.0.1:9/other', events: ['document.posted'] }, 201);
    const id = timeOrderedId();
    const now = Date.now();
    await env()
      .store.db.insertInto('deliveries')
      .values({
        id,
        account_id: a.id,
        webhook_id: sub.id,
        event_id: null,
        event_type: 'document.posted',
        status: 'failed',
        attempts: 1,
        next_attempt_ms: now - 60_000,
        lease_owner: null,
        coalesce_key: null,
        url: 'http://127.0.0.1:9/owned',
        headers: '{}',
        body: '{"secret":"account A only"}',
        last_status_code: 500,
        last_error: 'HTTP 500',
        created_ms: now - 60_000,
        completed_ms: now - 30_000,
      })
      .execute();
    const row = () => env().store.db.selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const before = await row();
    const notFound = { error: { code: 'NOT_FOUND', details: { object: 'delivery', id } } };

    const read = await call(env(), b, 'GET', `/api/v1/deliveries/${id}`, undefined, 404);
    expect(read.body).toMatchObject(notFound);
    expect(JSON.stringify(read.body)).not.toContain('account A only');
    const retry = await call(env(), b, 'POST', `/api/v1/deliveries/${id}/retry`, undefined, 404);
    expect(retry.body).toMatchObject(notFound);
    expect((await call(env(), b, 'GET', '/api/v1/deliveries?limit=100', undefined, 200)).body.data).toEqual([]);
    expect(await row()).toEqual(before);

    // The owner reads it, body and all, and can send it again.
    const own = await call(env(), a, 'GET', `/api/v1/deliveries/${id}`, undefined, 200);
    expect(own.body).toMatchObject({ id, status: 'failed', body: '{"secret":"account A only"}' });
    expect((await call(env(), a, 'GET', '/api/v1/deliveries?limit=100', undefined, 200)).body.data.map((d: { id: string }) => d.id)).toEqual([id]);
    const again = await call(env(), a, 'POST', `/api/v1/deliveries/${id}/retry`, undefined, 202);
    expect(again.body).toMatchObject({ id, status: 'pending' });
  });
});
