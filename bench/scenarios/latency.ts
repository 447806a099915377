/**
 * (c) change-to-receipt latency: receipts POSTed to `stockhook serve` at a fixed rate (open loop:
 * a request leaves on schedule whether or not earlier ones have returned). The sink takes each
 * stock.changed webhook's `timestamp` (when the change happened, ms precision, stamped inside the
 * posting transaction) from its arrival Date.now(); both processes read the same clock.
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { ADMIN_TOKEN, postReceipt, setUpOverHttp, type Fixture } from '../lib/api.js';
import { startServe, type Sink } from '../lib/children.js';
import { freshDatabase } from '../lib/db.js';
import { percentile, sleep, until } from '../lib/stats.js';

export interface LatencyResult {
  rate: number;
  webhooks: number;
  p50: number;
  p99: number;
  max: number;
  /** The POST's own round trip, for comparison. */
  postP50: number;
  postP99: number;
}

/** One fresh `stockhook serve`; each rate in turn (lowest first), each after the previous has been delivered. */
export async function latencyScenario(opts: { pgBase: string | null; sink: Sink; rates: number[]; seconds: number }): Promise<LatencyResult[]> {
  const db = await freshDatabase(opts.pgBase);
  const serve = await startServe(db.url, ADMIN_TOKEN);
  const pool = new Pool(serve.url, { connections: 32, pipelining: 1 });
  try {
    const f = await setUpOverHttp(serve.url, [opts.sink.url('/a'), opts.sink.url('/b')], 50);
    opts.sink.config({ record: true });
    await opts.sink.reset();
    const warm = await openLoop(pool, f, 100, 1, 0);
    await until(async () => (await opts.sink.stats()).count >= warm.sent * 2, 30_000, 50);
    const out: LatencyResult[] = [];
    let seq = 1_000;
    for (const rate of opts.rates) {
      await sleep(300);
      await opts.sink.reset();
      const { sent, postMs } = await openLoop(pool, f, rate, opts.seconds, seq);
      seq += sent;
      if (!(await until(async () => (await opts.sink.stats()).count >= sent * 2, 60_000, 50))) throw new Error('latency: webhooks missing');
      const lat = (await opts.sink.stats()).latencies;
      out.push({ rate, webhooks: lat.length, p50: percentile(lat, 50), p99: percentile(lat, 99), max: Math.max(...lat), postP50: percentile(postMs, 50), postP99: percentile(postMs, 99) });
      console.error(`  (c) ${rate} docs/s: p50 ${percentile(lat, 50)} ms, p99 ${percentile(lat, 99)} ms over ${lat.length} webhooks`);
    }
    opts.sink.config({ record: false });
    return out;
  } finally {
    await pool.close();
    await serve.close();
    await db.drop();
  }
}

export async function openLoop(pool: Pool, f: Fixture, rate: number, seconds: number, firstSeq: number): Promise<{ sent: number; postMs: number[] }> {
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const postMs: number[] = [];
  const inFlight: Array<Promise<void>> = [];
  const t0 = performance.now();
  let i = 0;
  while (i < total) {
    const wait = t0 + i * interval - performance.now();
    if (wait > 0) await sleep(wait);
    while (i < total && t0 + i * interval <= performance.now()) {
      const start = performance.now();
      const seq = firstSeq + i++;
      inFlight.push(
        postReceipt(pool, f, seq).then((ok) => {
          if (!ok) throw new Error('latency: a document was refused');
          postMs.push(performance.now() - start);
          if (process.env.BENCH_TRACE) console.error(`trace ${(start - t0).toFixed(0)} ${(performance.now() - start).toFixed(0)}`);
        }),
      );
    }
  }
  await Promise.all(inFlight);
  return { sent: total, postMs };
}
