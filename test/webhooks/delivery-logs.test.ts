import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../support/env.js';
import { call, post, product, warehouse } from '../support/fixtures.js';
import { LEVEL, recordingLogger } from '../support/log-records.js';
import { eventually, Receiver } from '../support/receiver.js';

/*
 * What delivery tells the operator's log (docs/operations/metrics-and-logs.md): a failed attempt at
 * warn with its status, subscription and endpoint (never the URL's query), a success only at debug,
 * the breaker's pause and resume, and a subscription disabled by stockhook itself.
 */

const rec = recordingLogger();

describeEachDb(
  'delivery log records',
  (env) => {
    let rx: Receiver;
    let sick = true;
    beforeAll(async () => {
      rx = await Receiver.start((r) => {
        if (r.path === '/always-500') return { status: 500 };
        if (r.path === '/gone') return { status: 410 };
        if (r.path === '/sick') return sick ? { status: 503 } : { status: 200 };
        return { status: 200 };
      });
    });
    afterAll(async () => rx.close());

    it('a success is logged at debug; a failed attempt at warn with its status, and the URL without its query', async () => {
      const a = await env().newAccount();
      const w = await warehouse(env(), a);
      const p = await product(env(), a);
      const ok = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/fine'), events: ['document.posted'] }, 201)).body;
      const bad = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: `${rx.url('/always-500')}?key=s3cret-in-query`, events: ['document.posted'], retrySchedule: [3600] }, 201)).body;
      await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      const failed = await eventually(() => rec.withCode('delivery.attempt_failed').find((r) => r.subscription === bad.id));
      expect(failed).toMatchObject({
        level: LEVEL.warn,
        status: 500,
        account: a.id,
        endpoint: rx.url('/always-500'),
        attempt: 1,
        outcome: 'retry',
        errorKind: 'bad_status',
        format: 'native',
        eventType: 'document.posted',
      });
      expect(Date.parse(String(failed.nextAttemptAt))).toBeGreaterThan(Date.now());
      expect(failed.msg).toContain(`webhook attempt 1 to ${rx.url('/always-500')} failed`);
      const succeeded = await eventually(() => rec.withCode('delivery.succeeded').find((r) => r.subscription === ok.id));
      expect(succeeded).toMatchObject({ level: LEVEL.debug, status: 200, endpoint: rx.url('/fine'), attempt: 1 });
      expect(JSON.stringify(rec.records)).not.toContain('s3cret-in-query');
    });

    it('the breaker logs its pause at warn and its resume at info', async () => {
      const a = await env().newAccount();
      const w = await warehouse(env(), a);
      const p = await product(env(), a);
      const sub = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/sick'), events: ['document.posted'], maxInFlight: 1, retrySchedule: [0.05, 0.05] }, 201)).body;
      for (let i = 0; i < 3; i++) await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      const paused = await eventually(() => rec.withCode('breaker.paused').find((r) => r.subscription === sub.id), 10_000);
      expect(paused).toMatchObject({ level: LEVEL.warn, account: a.id, endpoint: rx.url('/sick'), cooldownMs: 500 });
      expect(Date.parse(String(paused.until))).toBeGreaterThan(Number(paused.time));
      // Three failures opened it (threshold 3), each logged with the receiver's 503, before the pause.
      const failures = rec.withCode('delivery.attempt_failed').filter((r) => r.subscription === sub.id);
      expect(failures.slice(0, 3).map((r) => [r.status, rec.records.indexOf(r) < rec.records.indexOf(paused)])).toEqual([[503, true], [503, true], [503, true]]);
      expect(rec.withCode('breaker.resumed').filter((r) => r.subscription === sub.id)).toEqual([]);
      sick = false;
      const resumed = await eventually(() => rec.withCode('breaker.resumed').find((r) => r.subscription === sub.id), 15_000);
      expect(resumed).toMatchObject({ level: LEVEL.info, account: a.id, endpoint: rx.url('/sick') });
      expect(rec.records.indexOf(resumed)).toBeGreaterThan(rec.records.indexOf(paused));
    });

    it('a subscription stockhook disables is logged at warn with the reason: 410 Gone, and 5 days of failures', async () => {
      const a = await env().newAccount();
      const w = await warehouse(env(), a);
      const p = await product(env(), a);
      const gone = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/gone'), events: ['document.posted'] }, 201)).body;
      const failing = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/always-500'), events: ['document.posted'], retrySchedule: [3600] }, 201)).body;
      const fiveDaysAgo = Date.now() - 5 * 24 * 3600 * 1000 - 1000;
      await env().store.db.updateTable('webhooks').set({ failing_since_ms: fiveDaysAgo }).where('id', '=', failing.id).execute();
      await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      const disabled = (id: string) => rec.withCode('subscription.auto_disabled').filter((r) => r.subscription === id);
      await eventually(() => disabled(gone.id).length === 1 && disabled(failing.id).length === 1, 10_000);
      expect(disabled(gone.id)).toMatchObject([{ level: LEVEL.warn, account: a.id, endpoint: rx.url('/gone'), reason: 'the endpoint answered 410 Gone' }]);
      expect(disabled(failing.id)).toMatchObject([{ level: LEVEL.warn, account: a.id, endpoint: rx.url('/always-500'), reason: 'the endpoint has been failing for 5 days' }]);
      expect(rec.withCode('delivery.attempt_failed').find((r) => r.subscription === gone.id)).toMatchObject({ status: 410, outcome: 'gone' });
      // The subscriptions are disabled indeed.
      for (const id of [gone.id, failing.id]) expect((await call(env(), a, 'GET', `/api/v1/webhooks/${id}`, undefined, 200)).body.enabled).toBe(false);
    });
  },
  { dispatcher: { pollMs: 50, concurrency: 8, events: rec.logger, breaker: { threshold: 3, cooldownMs: 500, maxCooldownMs: 1000 } } },
);
