/**
 * (h) scale-out on PostgreSQL (issue 13): 1, then 2 `stockhook serve` processes (role all: API and
 * delivery in each) on one fresh PostgreSQL database. One-line receipts are POSTed round-robin to
 * the processes, `concurrency` in flight in all, for `seconds`; each has one native subscription
 * (stock.changed) on the sink. Timed from the first POST until the sink has every delivery of every
 * document posted, so the figure is end to end. Two loads: one account over 100 products, and ten
 * accounts over 10 products each.
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { ADMIN_TOKEN, postReceipt, setUpOverHttp, type Fixture } from '../lib/api.js';
import { startServe, type Serve, type Sink } from '../lib/children.js';
import { freshDatabase } from '../lib/db.js';
import { until } from '../lib/stats.js';

export interface ScaleRep {
  processes: number;
  accounts: number;
  docsPerSec: number;
  /** Deliveries received per second, from the first POST until the last delivery. */
  endToEndPerSec: number;
  complete: boolean;
}

export async function scaleOutScenario(opts: { pgBase: string; sink: Sink; seconds: number; concurrency: number }): Promise<ScaleRep[]> {
  const out: ScaleRep[] = [];
  for (const accounts of [1, 10]) {
    for (const processes of [1, 2]) out.push(await oneRun({ ...opts, processes, accounts }));
  }
  return out;
}

async function oneRun(opts: { pgBase: string; sink: Sink; seconds: number; concurrency: number; processes: number; accounts: number }): Promise<ScaleRep> {
  const db = await freshDatabase(opts.pgBase);
  const serves: Serve[] = [];
  const pools: Pool[] = [];
  try {
    // One after the other: each start runs the migrations.
    for (let i = 0; i < opts.processes; i++) serves.push(await startServe(db.url, ADMIN_TOKEN));
    for (const s of serves) pools.push(new Pool(s.url, { connections: Math.ceil(opts.concurrency / serves.length), pipelining: 1 }));
    const fixtures: Fixture[] = [];
    for (let a = 0; a < opts.accounts; a++) fixtures.push(await setUpOverHttp(serves[0].url, [opts.sink.url(`/scale/${a}`)], opts.accounts === 1 ? 100 : 10));
    await opts.sink.reset();
    let seq = 0;
    let ok = 0;
    const end = performance.now() + opts.seconds * 1000;
    const t0 = performance.now();
    const wall0 = Date.now();
    await Promise.all(
      Array.from({ length: opts.concurrency }, async (_, w) => {
        while (performance.now() < end) {
          const i = seq++;
          // Round-robin over processes and accounts.
          if (!(await postReceipt(pools[w % pools.length], fixtures[i % fixtures.length], i))) throw new Error('(h) a document was refused');
          ok++;
        }
      }),
    );
    const postSecs = (performance.now() - t0) / 1000;
    const complete = await until(async () => (await opts.sink.stats()).count >= ok, 120_000, 50);
    const stats = await opts.sink.stats();
    const rep: ScaleRep = {
      processes: opts.processes,
      accounts: opts.accounts,
      docsPerSec: ok / postSecs,
      endToEndPerSec: stats.count / ((stats.lastMs - wall0) / 1000),
      complete,
    };
    console.error(
      `  (h) ${opts.processes} process(es), ${opts.accounts} account(s): ${rep.docsPerSec.toFixed(0)} docs/s posted, ${rep.endToEndPerSec.toFixed(0)} events/s delivered end to end${complete ? '' : ' (NOT all delivered)'}`,
    );
    return rep;
  } finally {
    for (const p of pools) await p.close();
    for (const s of serves) await s.close();
    await db.drop();
  }
}
