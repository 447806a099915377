/**
 * (f) end to end with 10 subscriptions: `stockhook serve` (API + dispatcher, one child process, as
 * in (a)) takes one-line receipts over HTTP from an undici Pool in this process, `concurrency` in
 * flight, for `seconds`; the account has `subscriptions` native subscriptions on the sink (distinct
 * paths), filtered to stock.changed, so every document makes that many deliveries. Timed from the
 * first POST until the sink has received every delivery of every document posted. Each repetition
 * is preceded by a raw-ceiling repetition ((d), drain.ts's raw client, same body size, same sink),
 * so the ratio compares figures measured side by side.
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { ADMIN_TOKEN, postFor, setUpOverHttp } from '../lib/api.js';
import { seedAccount } from '../lib/backlog.js';
import { cpuSeconds, startServe, type Sink } from '../lib/children.js';
import { freshDatabase } from '../lib/db.js';
import { until } from '../lib/stats.js';
import { raw, sampleBody } from './drain.js';

export interface EndToEndRep {
  documents: number;
  deliveries: number;
  /** From the first POST until the last delivery reached the sink. */
  seconds: number;
  /** Documents and deliveries per second over that whole span. */
  docsPerSec: number;
  deliveriesPerSec: number;
  /** Documents/s during the posting window alone. */
  postedPerSec: number;
  /** False when the sink did not get every delivery within CATCH_UP_MS (the rates are then what it reached). */
  complete: boolean;
  /** (d) measured just before this repetition, requests/s. */
  rawPerSec: number;
  cpuServe: number;
}

const CATCH_UP_MS = 120_000;

export async function endToEndScenario(opts: {
  pgBase: string | null;
  sink: Sink;
  reps: number;
  seconds: number;
  concurrency: number;
  subscriptions: number;
  rawCount: number;
}): Promise<EndToEndRep[]> {
  const urls = Array.from({ length: opts.subscriptions }, (_, i) => opts.sink.url(`/f${i}`));
  // A rendered native stock.changed body from a scratch database, so (d) posts the real size.
  const scratch = await freshDatabase(opts.pgBase);
  let sample: string;
  try {
    const s = await seedAccount(scratch.url, [opts.sink.url('/a')]);
    sample = await sampleBody(s);
    await s.store.close();
  } finally {
    await scratch.drop();
  }
  const db = await freshDatabase(opts.pgBase);
  const serve = await startServe(db.url, ADMIN_TOKEN);
  const pool = new Pool(serve.url, { connections: opts.concurrency, pipelining: 1 });
  try {
    const f = await setUpOverHttp(serve.url, urls, 50);
    let seq = 0;
    const run = async (seconds: number) => {
      await opts.sink.reset();
      const cpu0 = cpuSeconds(serve.pid);
      const t0 = performance.now();
      const { ok, failed } = await postFor(pool, f, { seconds, concurrency: opts.concurrency, next: () => seq++ });
      const postSecs = (performance.now() - t0) / 1000;
      if (failed > 0) throw new Error(`${failed} documents were refused`);
      const expected = ok * opts.subscriptions;
      const complete = await until(async () => (await opts.sink.stats()).count >= expected, CATCH_UP_MS, 10);
      const secs = (performance.now() - t0) / 1000;
      const got = (await opts.sink.stats()).count;
      if (complete && got !== expected) throw new Error(`(f) sink got ${got} deliveries, expected ${expected}`);
      if (!complete) console.error(`  (f) gave up after ${CATCH_UP_MS / 1000} s of catching up with ${got}/${expected} delivered`);
      return { ok, got, expected, secs, postSecs, complete, cpuServe: (cpuSeconds(serve.pid) - cpu0) / secs };
    };
    // Warm-up, not reported.
    await raw(opts.sink, 2_000, sample);
    await run(1);
    const reps: EndToEndRep[] = [];
    for (let i = 0; i < opts.reps; i++) {
      const rawPerSec = await raw(opts.sink, opts.rawCount, sample);
      const r = await run(opts.seconds);
      const rep: EndToEndRep = {
        documents: r.ok,
        deliveries: r.got,
        seconds: r.secs,
        // When incomplete, only the documents whose deliveries could have all arrived count.
        docsPerSec: (r.complete ? r.ok : r.got / opts.subscriptions) / r.secs,
        deliveriesPerSec: r.got / r.secs,
        postedPerSec: r.ok / r.postSecs,
        complete: r.complete,
        rawPerSec,
        cpuServe: r.cpuServe,
      };
      reps.push(rep);
      console.error(
        `  (f) rep ${i + 1}: ${rep.documents} documents, ${rep.deliveries} deliveries in ${rep.seconds.toFixed(1)} s end to end: ${rep.docsPerSec.toFixed(0)} docs/s, ${rep.deliveriesPerSec.toFixed(0)} deliveries/s (posted at ${rep.postedPerSec.toFixed(0)}/s); raw ${rawPerSec.toFixed(0)}/s; stockhook CPU ${(100 * rep.cpuServe).toFixed(0)}%`,
      );
    }
    return reps;
  } finally {
    await pool.close();
    await serve.close();
    await db.drop();
  }
}
