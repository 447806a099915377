/**
 * (g) the stall one big write causes other tenants: a quiet account posts one-line receipts at a
 * fixed rate (open loop) while a busy account with 30 native subscriptions posts one 1,000-line
 * receipt (30,000 deliveries written with its events in one transaction). The quiet account's POST
 * round trips before and during are the figure; also how long the big POST took and how long the
 * 30,000 deliveries took to reach the sink.
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { ADMIN_TOKEN, setUpOverHttp } from '../lib/api.js';
import { startServe, type Sink } from '../lib/children.js';
import { freshDatabase } from '../lib/db.js';
import { percentile, sleep, until } from '../lib/stats.js';
import { openLoop } from './latency.js';

export interface StallResult {
  subscriptions: number;
  lines: number;
  /** The quiet account's POST round trips with no big write (p50, p99, max; ms). */
  before: { p50: number; p99: number; max: number };
  /** The same while the big receipt is written. */
  during: { p50: number; p99: number; max: number };
  bigPostMs: number;
  /** From the big POST's answer until the sink had all its deliveries. */
  bigDeliveredMs: number;
}

export async function fanOutStallScenario(opts: { pgBase: string | null; sink: Sink; subscriptions: number; lines: number; rate: number }): Promise<StallResult> {
  const db = await freshDatabase(opts.pgBase);
  const serve = await startServe(db.url, ADMIN_TOKEN);
  const pool = new Pool(serve.url, { connections: 32, pipelining: 1 });
  try {
    const quiet = await setUpOverHttp(serve.url, [opts.sink.url('/quiet')], 10);
    const busyUrls = Array.from({ length: opts.subscriptions }, (_, i) => opts.sink.url(`/busy/${i}`));
    const busy = await setUpOverHttp(serve.url, busyUrls, opts.lines);
    const big = JSON.stringify({ type: 'receipt', warehouseId: busy.warehouseId, reference: 'BIG', lines: busy.productIds.map((productId) => ({ productId, quantity: 1 })) });
    await openLoop(pool, quiet, opts.rate, 1, 0);
    await sleep(300);
    const before = await openLoop(pool, quiet, opts.rate, 2, 10_000);
    await opts.sink.reset();
    // The big receipt leaves half a second into a 3 s window of the quiet account's traffic.
    const during = openLoop(pool, quiet, opts.rate, 3, 20_000);
    await sleep(500);
    const t0 = performance.now();
    const res = await pool.request({ method: 'POST', path: '/api/v1/documents', headers: { authorization: busy.auth, 'content-type': 'application/json' }, body: big });
    const text = await res.body.text();
    if (res.statusCode !== 201) throw new Error(`(g) the big receipt was refused: ${res.statusCode} ${text}`);
    const bigPostMs = performance.now() - t0;
    const t1 = performance.now();
    const quietPosts = await during;
    const expected = opts.subscriptions * opts.lines + quietPosts.sent;
    if (!(await until(async () => (await opts.sink.stats()).count >= expected, 120_000, 50))) throw new Error('(g) deliveries missing');
    const bigDeliveredMs = performance.now() - t1;
    const summary = (xs: number[]) => ({ p50: percentile(xs, 50), p99: percentile(xs, 99), max: Math.max(...xs) });
    const r = { subscriptions: opts.subscriptions, lines: opts.lines, before: summary(before.postMs), during: summary(quietPosts.postMs), bigPostMs, bigDeliveredMs };
    console.error(
      `  (g) quiet POST p50/p99/max ${r.before.p50.toFixed(1)}/${r.before.p99.toFixed(1)}/${r.before.max.toFixed(1)} ms before, ` +
        `${r.during.p50.toFixed(1)}/${r.during.p99.toFixed(1)}/${r.during.max.toFixed(1)} ms during; big POST ${bigPostMs.toFixed(0)} ms, delivered in ${bigDeliveredMs.toFixed(0)} ms`,
    );
    return r;
  } finally {
    await pool.close();
    await serve.close();
    await db.drop();
  }
}
