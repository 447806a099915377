import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADMIN_TOKEN, describeEachDb, type TestEnv } from '../support/env.js';
import { call, post, product, warehouse } from '../support/fixtures.js';
import { eventually, Receiver } from '../support/receiver.js';
import { insertDeliveries } from '../support/store-rows.js';

/**
 * GET /metrics read for its values, not only its names. Each suite has a database of its own, so the
 * gauges (read from the database at scrape time) count exactly what the test made.
 */

/** Prometheus text format: `name{labels} value` per line, comments skipped. */
async function scrape(env: TestEnv): Promise<Map<string, number>> {
  // /metrics is behind a token (the metrics token or the administrator's).
  const res = await env.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toContain('text/plain');
  const out = new Map<string, number>();
  for (const line of res.body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

/** The samples of `expected`'s keys, as found (undefined when missing). */
const pick = (m: Map<string, number>, expected: Record<string, number>) => Object.fromEntries(Object.keys(expected).map((k) => [k, m.get(k)]));

const deliveries = (s: Record<string, number>) =>
  Object.fromEntries(['pending', 'succeeded', 'failed', 'dropped', 'held', 'cancelled'].map((st) => [`stockhook_deliveries{status="${st}"}`, s[st] ?? 0]));

describeEachDb('/metrics: the queue as the database holds it (no dispatcher)', (env) => {
  it('counts deliveries by status, the due queue and the age of the oldest pending delivery', async () => {
    const a = await env().newAccount();
    const w = await warehouse(env(), a);
    const p = await product(env(), a);
    await call(env(), a, 'POST', '/api/v1/webhooks', { url: 'https://example.com/docs', events: ['document.posted'] }, 201);
    const off = await call(env(), a, 'POST', '/api/v1/webhooks', { url: 'https://example.com/stock', events: ['stock.changed'] }, 201);
    const before = Date.now();
    for (let i = 0; i < 3; i++) await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
    // Disabling holds the stock subscription's three waiting deliveries.
    await call(env(), a, 'PATCH', `/api/v1/webhooks/${off.body.id}`, { enabled: false }, 200);
    const m = await scrape(env());
    const expected = {
      ...deliveries({ pending: 3, held: 3 }),
      stockhook_queue_depth: 3,
      'stockhook_breakers{state="open"}': 0,
      'stockhook_breakers{state="half-open"}': 0,
      'stockhook_breakers{state="closed"}': 0,
    };
    expect(pick(m, expected)).toEqual(expected);
    const age = m.get('stockhook_oldest_pending_age_seconds') as number;
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThanOrEqual((Date.now() - before) / 1000 + 0.001);
    // Nothing was attempted.
    expect([...m.keys()].filter((k) => k.startsWith('stockhook_attempts_total{'))).toEqual([]);
    expect(m.get('stockhook_database_size_bytes')).toBeGreaterThan(0);

    // A delivery pending for an hour is the oldest: the age is the oldest one's, not the newest's.
    const [old] = await insertDeliveries(env().store, [{ accountId: a.id, webhookId: off.body.id, due: before, createdMs: before - 3_600_000 }]);
    const later = await scrape(env());
    const oldest = later.get('stockhook_oldest_pending_age_seconds') as number;
    expect(oldest).toBeGreaterThanOrEqual(3_600);
    expect(oldest).toBeLessThanOrEqual(3_600 + (Date.now() - before) / 1000 + 0.001);
    expect(later.get('stockhook_deliveries{status="pending"}')).toBe(4);
    await env().store.db.deleteFrom('deliveries').where('id', '=', old).execute();
  });
});

describeEachDb(
  '/metrics and the default circuit breaker (dispatcher running)',
  (env) => {
    let rx: Receiver;
    beforeAll(async () => {
      rx = await Receiver.start((r) => (r.path === '/ok' ? { status: 200 } : { status: 500, body: 'down' }));
    });
    afterAll(async () => rx.close());

    it('attempts by outcome, durations, deliveries by status; the breaker opens after 5 failures in a row and spends no more', async () => {
      const a = await env().newAccount();
      const w = await warehouse(env(), a);
      const ok = await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/ok'), events: ['document.posted'] }, 201);
      await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/down'), events: ['product.created'], retrySchedule: [] }, 201);
      // Nine quick retries: without a breaker all ten attempts fail within a second.
      const sick = await call(
        env(),
        a,
        'POST',
        '/api/v1/webhooks',
        { url: rx.url('/sick'), events: ['warehouse.created'], retrySchedule: Array(9).fill(0.05), maxInFlight: 1 },
        201,
      );
      const p = await product(env(), a); // one failed delivery to /down
      for (let i = 0; i < 2; i++) await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] }); // two to /ok
      await warehouse(env(), a, 'Second'); // one to /sick

      const expected = {
        ...deliveries({ pending: 1, succeeded: 2, failed: 1 }),
        'stockhook_attempts_total{format="native",outcome="succeeded"}': 2,
        'stockhook_attempts_total{format="native",outcome="failed"}': 1,
        'stockhook_attempts_total{format="native",outcome="retry"}': 5,
        'stockhook_attempt_duration_seconds_count{format="native",outcome="succeeded"}': 2,
        'stockhook_attempt_duration_seconds_count{format="native",outcome="failed"}': 1,
        'stockhook_attempt_duration_seconds_count{format="native",outcome="retry"}': 5,
        // In seconds: two instant answers fall under the largest finite bucket (15), not only +Inf.
        'stockhook_attempt_duration_seconds_bucket{le="15",format="native",outcome="succeeded"}': 2,
        // /sick is open (the default cooldown is 30 s); /down has failed once and is still closed.
        'stockhook_breakers{state="open"}': 1,
        'stockhook_breakers{state="half-open"}': 0,
        'stockhook_breakers{state="closed"}': 1,
      };
      let last: Record<string, unknown> = {};
      try {
        await eventually(async () => {
          last = pick(await scrape(env()), expected);
          return JSON.stringify(last) === JSON.stringify(expected);
        }, 15_000, 50);
      } finally {
        expect(last).toEqual(expected);
      }
      // The breaker opened at the 5th failure: exactly five requests, and the delivery waits with five
      // attempts (results are written in batches, a moment after the counters move).
      expect(rx.on('/sick')).toHaveLength(5);
      const log = await eventually(async () => {
        const l = (await call(env(), a, 'GET', `/api/v1/webhooks/${sick.body.id}/deliveries`, undefined, 200)).body.data as any[];
        return l.length === 1 && l[0].attempts >= 5 && l;
      });
      expect(log.map((d: any) => [d.status, d.attempts])).toEqual([['pending', 5]]);
      expect(rx.on('/sick')).toHaveLength(5);
      expect(rx.on('/ok')).toHaveLength(2);
      expect(rx.on('/down')).toHaveLength(1);
      expect(ok.body.id).toBeDefined();
    });
  },
  { dispatcher: { pollMs: 100 } },
);
