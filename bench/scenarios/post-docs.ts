/**
 * (a) documents/s over real HTTP: `stockhook serve` (API + dispatcher, one child process) takes
 * one-line receipts from an undici Pool in this process, `concurrency` requests in flight, for
 * `seconds` per repetition, while its dispatcher delivers each stock.changed to two native
 * subscriptions on the sink. Between repetitions the dispatcher is given time to catch up.
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { ADMIN_TOKEN, postFor, setUpOverHttp } from '../lib/api.js';
import { cpuSeconds, startServe, type Sink } from '../lib/children.js';
import { freshDatabase } from '../lib/db.js';
import { until } from '../lib/stats.js';
import type { PgBouncer } from '../../test/support/pgbouncer.js';

export interface PostRep {
  docsPerSec: number;
  /** Deliveries that reached the sink during the posting window, per second. */
  deliveredPerSec: number;
  /** Seconds after the window until every delivery had reached the sink (NaN: not within 60 s). */
  catchUpSec: number;
  /** CPU of the stockhook process per second of wall time (1 = one core). */
  cpuServe: number;
}

/**
 * `pooler`: PostgreSQL only, the server connects through this PgBouncer in transaction mode
 * (test/support/pgbouncer.ts) with STOCKHOOK_PG_POOLER=transaction, and LISTENs on the direct URL
 * as docs/operations/scaling.md recommends.
 */
export async function postDocsScenario(opts: { pgBase: string | null; sink: Sink; reps: number; seconds: number; concurrency: number; pooler?: PgBouncer }): Promise<PostRep[]> {
  const db = await freshDatabase(opts.pgBase);
  const serve = opts.pooler
    ? await startServe(opts.pooler.through(db.url), ADMIN_TOKEN, { env: { STOCKHOOK_PG_POOLER: 'transaction', STOCKHOOK_PG_LISTEN_URL: db.url } })
    : await startServe(db.url, ADMIN_TOKEN);
  const pool = new Pool(serve.url, { connections: opts.concurrency, pipelining: 1 });
  try {
    const f = await setUpOverHttp(serve.url, [opts.sink.url('/a'), opts.sink.url('/b')], 50);
    let seq = 0;
    let expected = 0;
    const window = async (seconds: number) => {
      const t0 = performance.now();
      const { ok, failed } = await postFor(pool, f, { seconds, concurrency: opts.concurrency, next: () => seq++ });
      if (failed > 0) throw new Error(`${failed} documents were refused`);
      expected += ok * 2;
      return { ok, secs: (performance.now() - t0) / 1000 };
    };
    const caughtUp = () => until(async () => (await opts.sink.stats()).count >= expected, 60_000, 50);
    await opts.sink.reset();
    await window(1); // warm-up
    await caughtUp();
    const reps: PostRep[] = [];
    for (let i = 0; i < opts.reps; i++) {
      await opts.sink.reset();
      expected = 0;
      const cpu0 = cpuSeconds(serve.pid);
      const w = await window(opts.seconds);
      const cpuServe = (cpuSeconds(serve.pid) - cpu0) / w.secs;
      const during = (await opts.sink.stats()).count;
      const t1 = performance.now();
      const done = await caughtUp();
      const rep = {
        docsPerSec: w.ok / w.secs,
        deliveredPerSec: during / w.secs,
        catchUpSec: done ? (performance.now() - t1) / 1000 : Number.NaN,
        cpuServe,
      };
      reps.push(rep);
      console.error(
        `  (a) rep ${i + 1}: ${rep.docsPerSec.toFixed(0)} docs/s, ${rep.deliveredPerSec.toFixed(0)} deliveries/s meanwhile, caught up ${rep.catchUpSec.toFixed(1)} s later, stockhook CPU ${(100 * cpuServe).toFixed(0)}%`,
      );
    }
    return reps;
  } finally {
    await pool.close();
    await serve.close();
    await db.drop();
  }
}
