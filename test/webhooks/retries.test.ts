import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, type TestAccount, type TestEnv } from '../support/env.js';
import { call, events, post, product, warehouse } from '../support/fixtures.js';
import { eventually, Receiver, type Reply } from '../support/receiver.js';

async function subscribe(env: TestEnv, a: TestAccount, url: string, extra: object = {}) {
  return (await call(env, a, 'POST', '/api/v1/webhooks', { url, events: ['document.posted'], ...extra }, 201)).body;
}

async function receipt(env: TestEnv, a: TestAccount) {
  const w = await warehouse(env, a);
  const p = await product(env, a);
  return post(env, a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
}

async function deliveryOf(env: TestEnv, a: TestAccount, webhookId: string) {
  const list = await call(env, a, 'GET', `/api/v1/webhooks/${webhookId}/deliveries`, undefined, 200);
  return (await call(env, a, 'GET', `/api/v1/deliveries/${list.body.data[0].id}`, undefined, 200)).body;
}

describeEachDb(
  'retries, 410, Retry-After and the attempt log',
  (env) => {
    let rx: Receiver;
    beforeAll(async () => {
      rx = await Receiver.start((r): Reply => {
        const path = r.url.split('?')[0];
        const seen = rx.requests.filter((x) => x.url.split('?')[0] === path).length;
        if (path.startsWith('/flaky')) return seen <= 2 ? { status: 500, body: 'boom' } : { status: 204 };
        if (path.startsWith('/once')) return seen <= 1 ? { status: 500 } : { status: 200 };
        if (path.startsWith('/down')) return { status: 503, body: 'x'.repeat(20_000) };
        if (path.startsWith('/gone')) return { status: 410 };
        if (path.startsWith('/slowdown')) return seen === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 };
        if (path.startsWith('/redirect')) return { status: 302, headers: { location: rx.url('/elsewhere') } };
        return { status: 200 };
      });
    });
    afterAll(async () => rx.close());

    it('retries on the override schedule with the same id and the same bytes, then succeeds', async () => {
      const a = await env().newAccount();
      const sub = await subscribe(env(), a, rx.url('/flaky-1'), { retrySchedule: [0.3, 0.3], basicAuth: { username: 'mk', password: 's3cret' } });
      expect(sub.retrySchedule).toEqual([0.3, 0.3]);
      await receipt(env(), a);
      await eventually(() => rx.requests.filter((r) => r.url === '/flaky-1').length === 3, 10_000);
      const got = rx.requests.filter((r) => r.url === '/flaky-1');
      expect(new Set(got.map((r) => r.headers['webhook-id'])).size).toBe(1);
      expect(new Set(got.map((r) => r.body)).size).toBe(1);
      expect(got.map((r) => r.headers.authorization)).toEqual(Array(3).fill(`Basic ${Buffer.from('mk:s3cret').toString('base64')}`));
      // 0.3 s ± 10% jitter between attempts.
      for (const gap of [got[1].at - got[0].at, got[2].at - got[1].at]) {
        expect(gap).toBeGreaterThanOrEqual(260);
        expect(gap).toBeLessThan(2500);
      }
      const d = await eventually(async () => {
        const x = await deliveryOf(env(), a, sub.id);
        return x.status === 'succeeded' && x;
      });
      expect(d).toMatchObject({ attempts: 3, lastStatusCode: 204 });
      expect(d.attemptLog.map((x: any) => [x.attempt, x.outcome, x.response?.status, x.error?.kind])).toEqual([
        [1, 'retry', 500, 'bad_status'],
        [2, 'retry', 500, 'bad_status'],
        [3, 'succeeded', 204, undefined],
      ]);
      expect(d.attemptLog[0].response.body).toBe('boom');
      // Credentials never reach the log.
      expect(d.attemptLog[0].request.headers.authorization).toBe('Basic ***');
      expect(d.attemptLog[0].request.headers['webhook-id']).toBe(d.id);
    });

    it('fails after the last retry, keeps 8 KiB of the response, and can be retried by hand', async () => {
      const a = await env().newAccount();
      const sub = await subscribe(env(), a, rx.url('/down-1'), { retrySchedule: [0.1] });
      await receipt(env(), a);
      const d = await eventually(async () => {
        const x = await deliveryOf(env(), a, sub.id);
        return x.status === 'failed' && x;
      });
      expect(d.attempts).toBe(2);
      expect(d.attemptLog[1].response.body).toHaveLength(8192);
      const before = rx.requests.filter((r) => r.url === '/down-1').length;
      const again = await call(env(), a, 'POST', `/api/v1/deliveries/${d.id}/retry`, undefined, 202);
      expect(again.body.status).toBe('pending');
      await eventually(() => rx.requests.filter((r) => r.url === '/down-1').length === before + 1);
      const after = await eventually(async () => {
        const x = await deliveryOf(env(), a, sub.id);
        return x.status === 'failed' && x.attempts === 3 && x;
      });
      expect(after.attemptLog).toHaveLength(3);
      const twice = await call(env(), a, 'POST', `/api/v1/deliveries/${d.id}/retry`, undefined, 202);
      expect(twice.body.status).toBe('pending');
      const conflict = await call(env(), a, 'POST', `/api/v1/deliveries/${d.id}/retry`);
      expect([409, 202]).toContain(conflict.status);
    });

    it('a 410 disables the subscription, holds its deliveries and emits webhook.disabled', async () => {
      const a = await env().newAccount();
      const gone = await subscribe(env(), a, rx.url('/gone-1'));
      const watcher = await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/watcher'), events: ['webhook.disabled'] }, 201);
      await receipt(env(), a);
      const sub = await eventually(async () => {
        const s = (await call(env(), a, 'GET', `/api/v1/webhooks/${gone.id}`, undefined, 200)).body;
        return !s.enabled && s;
      });
      expect(sub.disabledReason).toBe('the endpoint answered 410 Gone');
      const ev = (await events(env(), a)).find((e) => e.type === 'webhook.disabled');
      expect(ev?.data).toMatchObject({ webhookId: gone.id, reason: 'the endpoint answered 410 Gone' });
      await eventually(() => rx.requests.some((r) => r.url === '/watcher' && JSON.parse(r.body).data.webhookId === gone.id));
      expect(rx.requests.filter((r) => r.url === '/gone-1')).toHaveLength(1);
      // A disabled subscription gets no new deliveries.
      await receipt(env(), a);
      const all = await call(env(), a, 'GET', `/api/v1/webhooks/${gone.id}/deliveries`, undefined, 200);
      expect(all.body.data.map((d: any) => d.status)).toEqual(['failed']);
      expect(watcher.body.id).toBeDefined();
    });

    it('disabling holds pending deliveries; enabling sends them at once', async () => {
      const a = await env().newAccount();
      const sub = await subscribe(env(), a, rx.url('/once-1'), { retrySchedule: [600] });
      await receipt(env(), a);
      await eventually(async () => (await deliveryOf(env(), a, sub.id)).attempts === 1);
      await call(env(), a, 'PATCH', `/api/v1/webhooks/${sub.id}`, { enabled: false }, 200);
      expect((await deliveryOf(env(), a, sub.id)).status).toBe('held');
      const retry = await call(env(), a, 'POST', `/api/v1/deliveries/${(await deliveryOf(env(), a, sub.id)).id}/retry`, undefined, 422);
      expect(retry.body.error.code).toBe('INVALID_STATE');
      await call(env(), a, 'PATCH', `/api/v1/webhooks/${sub.id}`, { enabled: true }, 200);
      const d = await eventually(async () => {
        const x = await deliveryOf(env(), a, sub.id);
        return x.status === 'succeeded' && x;
      }, 5000);
      expect(d.attempts).toBe(2);
    });

    it('honours Retry-After on 429 instead of the schedule', async () => {
      const a = await env().newAccount();
      const sub = await subscribe(env(), a, rx.url('/slowdown-1'), { retrySchedule: [60] });
      await receipt(env(), a);
      await eventually(() => rx.requests.filter((r) => r.url === '/slowdown-1').length === 2, 6000);
      const got = rx.requests.filter((r) => r.url === '/slowdown-1');
      const gap = got[1].at - got[0].at;
      expect(gap).toBeGreaterThanOrEqual(900);
      expect(gap).toBeLessThan(4000);
      await eventually(async () => (await deliveryOf(env(), a, sub.id)).status === 'succeeded');
    });

    it('does not follow redirects: a 302 is a failed attempt', async () => {
      const a = await env().newAccount();
      const sub = await subscribe(env(), a, rx.url('/redirect-1'), { retrySchedule: [] });
      await receipt(env(), a);
      const d = await eventually(async () => {
        const x = await deliveryOf(env(), a, sub.id);
        return x.status === 'failed' && x;
      });
      expect(d.attemptLog[0]).toMatchObject({ outcome: 'failed', response: { status: 302 }, error: { kind: 'bad_status' } });
      expect(rx.requests.some((r) => r.url === '/elsewhere')).toBe(false);
    });

    it('a refused connection is logged with its error kind', async () => {
      const a = await env().newAccount();
      const sub = await subscribe(env(), a, 'http://127.0.0.1:9/nothing-listens', { retrySchedule: [] });
      await receipt(env(), a);
      const d = await eventually(async () => {
        const x = await deliveryOf(env(), a, sub.id);
        return x.status === 'failed' && x;
      });
      expect(d.attemptLog[0]).toMatchObject({ response: null, error: { kind: 'refused' } });
    });
  },
  { dispatcher: { pollMs: 100 } },
);
