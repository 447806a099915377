import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, type TestAccount, type TestEnv } from '../support/env.js';
import { call, events, post, product, warehouse } from '../support/fixtures.js';
import { eventually, latch, Receiver, type Reply } from '../support/receiver.js';

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
  const body = (await call(env, a, 'GET', `/api/v1/deliveries/${list.body.data[0].id}`, undefined, 200)).body;
  // When this read came back: whatever the row says was decided before it.
  return Object.assign(body, { readAt: Date.now() });
}

/** When an attempt ended, by the attempt log. */
const endOf = (attempt: { startedAt: string; durationMs: number }) => Date.parse(attempt.startedAt) + attempt.durationMs;

/** How long the dispatcher scheduled after the delivery's last attempt (read while it is pending). */
const scheduledWait = (d: any) => Date.parse(d.nextAttemptAt) - endOf(d.attemptLog.at(-1));

/**
 * The most a retry can be due after the read that saw it scheduled, when the wait chosen was at most
 * `maxWaitMs`: the decision came after the attempt ended (scheduledWait's lower bounds) and before
 * the read. Both bounds are orders of events, so a loaded machine cannot fail them.
 */
const dueNoLaterThan = (d: any, maxWaitMs: number) => expect(Date.parse(d.nextAttemptAt)).toBeLessThanOrEqual(d.readAt + maxWaitMs);

/** Gaps between consecutive attempts, from the end of one to the start of the next. */
const gaps = (d: any) => d.attemptLog.slice(1).map((x: any, i: number) => Date.parse(x.startedAt) - endOf(d.attemptLog[i]));

describeEachDb(
  'retries, 410, Retry-After and the attempt log',
  (env) => {
    let rx: Receiver;
    /** While set, answers to /down-* wait for it. */
    let downGate: Promise<void> | undefined;
    /** The Retry-After each path answered, as sent. */
    const sentRetryAfter = new Map<string, string>();
    beforeAll(async () => {
      rx = await Receiver.start((r): Reply => {
        const path = r.path;
        const seen = rx.on(path).length;
        if (path.startsWith('/flaky')) return seen <= 2 ? { status: 500, body: 'boom' } : { status: 204 };
        if (path.startsWith('/once')) return seen <= 1 ? { status: 500 } : { status: 200 };
        if (path.startsWith('/down')) return { status: 503, body: 'x'.repeat(20_000), hold: downGate };
        if (path.startsWith('/always-500')) return { status: 500 };
        if (path.startsWith('/unavailable-')) {
          if (seen > 1) return { status: 200 };
          const retryAfter: Record<string, string> = {
            '/unavailable-30s': '30',
            '/unavailable-0s': '0',
            '/unavailable-2d': String(2 * 24 * 3600),
            '/unavailable-date': new Date(Date.now() + 40_000).toUTCString(),
          };
          sentRetryAfter.set(path, retryAfter[path]);
          return { status: 503, headers: { 'retry-after': retryAfter[path] } };
        }
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
      const d = await eventually(async () => {
        const x = await deliveryOf(env(), a, sub.id);
        return x.status === 'succeeded' && x;
      });
      expect(d).toMatchObject({ attempts: 3, lastStatusCode: 204 });
      // Never before 0.3 s - 10% after the previous attempt (the spread is checked below, from the schedule).
      for (const gap of gaps(d)) expect(gap).toBeGreaterThanOrEqual(270 - 2);
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
      // Retrying a delivery that is already waiting or in flight is a conflict: hold the next answer,
      // so the delivery is certainly pending (its request in flight) when the second retry comes.
      const gate = latch();
      downGate = gate.promise;
      try {
        await call(env(), a, 'POST', `/api/v1/deliveries/${d.id}/retry`, undefined, 202);
        await eventually(() => rx.requests.filter((r) => r.url === '/down-1').length === before + 2);
        const conflict = await call(env(), a, 'POST', `/api/v1/deliveries/${d.id}/retry`, undefined, 409);
        expect(conflict.body.error.code).toBe('CONFLICT');
      } finally {
        gate.open();
        downGate = undefined;
      }
      const last = await eventually(async () => {
        const x = await deliveryOf(env(), a, sub.id);
        return x.status === 'failed' && x.attempts === 4 && x;
      });
      expect(last.attemptLog).toHaveLength(4);
      expect(rx.requests.filter((r) => r.url === '/down-1')).toHaveLength(4);
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
      // The schedule says 60 s: a second attempt within this wait is Retry-After's doing, and never sooner than 1 s.
      const d = await eventually(async () => {
        const x = await deliveryOf(env(), a, sub.id);
        return x.status === 'succeeded' && x;
      }, 10_000);
      expect(d.attemptLog.map((x: any) => x.response.status)).toEqual([429, 200]);
      expect(gaps(d)[0]).toBeGreaterThanOrEqual(1000 - 2);
      expect(rx.on('/slowdown-1')).toHaveLength(2);
    });

    it('honours Retry-After on 503 too, clamped to 1 s .. 24 h, in seconds or as an HTTP date', async () => {
      const a = await env().newAccount();
      const subs = {
        seconds: await subscribe(env(), a, rx.url('/unavailable-30s'), { retrySchedule: [3600] }),
        zero: await subscribe(env(), a, rx.url('/unavailable-0s'), { retrySchedule: [3600] }),
        days: await subscribe(env(), a, rx.url('/unavailable-2d'), { retrySchedule: [3600] }),
        date: await subscribe(env(), a, rx.url('/unavailable-date'), { retrySchedule: [3600] }),
      };
      await receipt(env(), a);
      // What the dispatcher scheduled after the 503, read from the log: exact, whatever the machine's load.
      const waiting = async (sub: { id: string }) =>
        eventually(async () => {
          const x = await deliveryOf(env(), a, sub.id);
          return x.attempts === 1 && x.status === 'pending' && x;
        });
      // Retry-After: 30 instead of the schedule's hour.
      const secondsRow = await waiting(subs.seconds);
      expect(scheduledWait(secondsRow)).toBeGreaterThanOrEqual(30_000 - 1);
      dueNoLaterThan(secondsRow, 30_000);
      // Two days are clamped to 24 h.
      const daysRow = await waiting(subs.days);
      expect(scheduledWait(daysRow)).toBeGreaterThanOrEqual(24 * 3600_000 - 1);
      dueNoLaterThan(daysRow, 24 * 3600_000);
      // An HTTP date (about 40 s ahead): the retry is due at that date to the millisecond, however
      // long after the answer the dispatcher decided.
      const dateRow = await waiting(subs.date);
      expect(Date.parse(dateRow.nextAttemptAt)).toBe(Date.parse(sentRetryAfter.get('/unavailable-date')!));
      dueNoLaterThan(dateRow, 40_000);
      // Retry-After: 0 is raised to 1 s: the retry comes no sooner, and it comes (not after an hour).
      const zero = await eventually(async () => {
        const x = await deliveryOf(env(), a, subs.zero.id);
        return x.status === 'succeeded' && x;
      }, 10_000);
      expect(zero.attempts).toBe(2);
      expect(gaps(zero)[0]).toBeGreaterThanOrEqual(1000 - 2);
    });

    it('spreads retries by ±10% jitter around the schedule', async () => {
      const a = await env().newAccount();
      // One delivery per subscription, so no breaker opens; each fails once and waits ~60 s.
      const subs = [];
      for (let i = 0; i < 8; i++) subs.push(await subscribe(env(), a, rx.url(`/always-500-${i}`), { retrySchedule: [60] }));
      await receipt(env(), a);
      const waits: number[] = [];
      for (const sub of subs) {
        const d = await eventually(async () => {
          const x = await deliveryOf(env(), a, sub.id);
          return x.attempts === 1 && x.status === 'pending' && x;
        });
        waits.push(scheduledWait(d));
        expect(scheduledWait(d)).toBeGreaterThanOrEqual(54_000 - 1);
        dueNoLaterThan(d, 66_000);
      }
      // Without jitter all eight would be 60 s to the millisecond; eight draws from a 12 s range
      // lie within one second of each other with a probability of about 2e-7.
      expect(Math.max(...waits) - Math.min(...waits)).toBeGreaterThan(1000);
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
