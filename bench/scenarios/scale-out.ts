/**
 * (h) scale-out on PostgreSQL (issue 13): 1, then 2 `stockhook serve` processes (role all: API and
 * delivery in each) on one fresh PostgreSQL database. One-line receipts are POSTed round-robin to
 * the processes, `concurrency` in flight in all, for `seconds`; each has one native subscription
 * (stock.changed) on the sink. Timed from the first POST until the sink has every delivery of every
 * document posted, so the figure is end to end. Two loads: one account over 100 products, and ten
 * accounts over 10 products each.
 *
 * Each run first posts `warmDocs` documents to every process and waits for their deliveries,
 * unreported: each process compiles its hot path then (V8's JIT, prepared statements, pools), as a
 * long-running one has. Without it a 6 s run charged that start-up to its documents, and twice
 * over with two processes, each of which took half the documents: CPU per document with 1 and 2
 * processes, 10 accounts, no warm-up 1.86 / 1.47 + 1.53 ms, after 2 s of posting 1.44 / 1.21 +
 * 1.43, after 12 s 1.25 / 0.78 + 0.82. A warm-up by time favours one process, which takes twice
 * the documents in it; by documents per process, each is as warm as the other.
 *
 * CPU per document during the timed posting (from /proc, so this machine only): the whole machine,
 * PostgreSQL's processes, and each stockhook process. They show where the time goes as processes
 * are added (docs/operations/scaling.md, "Sizing").
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { ADMIN_TOKEN, postReceipt, setUpOverHttp, type Fixture } from '../lib/api.js';
import { cpuSeconds, machineBusySeconds, postgresCpuSeconds, startServe, type Serve, type Sink } from '../lib/children.js';
import { freshDatabase } from '../lib/db.js';
import { until } from '../lib/stats.js';

export interface ScaleRep {
  processes: number;
  accounts: number;
  docsPerSec: number;
  /** Deliveries received per second, from the first POST until the last delivery. */
  endToEndPerSec: number;
  complete: boolean;
  /** CPU milliseconds per document posted: the machine, PostgreSQL (null if not on this machine), each stockhook process. */
  cpuMsPerDoc: { machine: number; postgres: number | null; serves: number[] };
}



export async function scaleOutScenario(opts: { pgBase: string; sink: Sink; seconds: number; concurrency: number; warmDocs: number }): Promise<ScaleRep[]> {
  const out: ScaleRep[] = [];
  for (const accounts of [1, 10]) {
    for (const processes of [1, 2]) out.push(await oneRun({ ...opts, processes, accounts }));
  }
  return out;
}

async function oneRun(opts: {
  pgBase: string;
  sink: Sink;
  seconds: number;
  concurrency: number;
  warmDocs: number;
  processes: number;
  accounts: number;
}): Promise<ScaleRep> {
  const db = await freshDatabase(opts.pgBase);
  const serves: Serve[] = [];
  const pools: Pool[] = [];
  try {
    // One after the other: each start runs the migrations.
    for (let i = 0; i < opts.processes; i++) serves.push(await startServe(db.url, ADMIN_TOKEN));
    for (const s of serves) pools.push(new Pool(s.url, { connections: Math.ceil(opts.concurrency / serves.length), pipelining: 1 }));
    const fixtures: Fixture[] = [];
    for (let a = 0; a < opts.accounts; a++) fixtures.push(await setUpOverHttp(serves[0].url, [opts.sink.url(`/scale/${a}`)], opts.accounts === 1 ? 100 : 10));
    let seq = 0;
    /** Posts one-line receipts for `seconds` or `count` documents, round-robin over processes and accounts; resolves with how many. */
    const post = async (limit: { seconds: number } | { count: number }): Promise<number> => {
      let posted = 0;
      let started = 0;
      const end = 'seconds' in limit ? performance.now() + limit.seconds * 1000 : Infinity;
      const count = 'count' in limit ? limit.count : Infinity;
      await Promise.all(
        Array.from({ length: opts.concurrency }, async (_, w) => {
          while (performance.now() < end && started++ < count) {
            const i = seq++;
            // Accounts in turn, and each account's products in turn: the account's own count picks
            // the product (i itself would pair account k with product k only, 10 stock rows in all).
            const n = fixtures.length;
            if (!(await postReceipt(pools[w % pools.length], fixtures[i % n], Math.floor(i / n)))) throw new Error('(h) a document was refused');
            posted++;
          }
        }),
      );
      return posted;
    };
    await opts.sink.reset();
    const warm = await post({ count: opts.warmDocs * opts.processes });
    if (!(await until(async () => (await opts.sink.stats()).count >= warm, 60_000, 50))) throw new Error('(h) the warm-up was not delivered');
    await opts.sink.reset();
    const cpu0 = { machine: machineBusySeconds(), postgres: postgresCpuSeconds(), serves: serves.map((s) => cpuSeconds(s.pid)) };
    const t0 = performance.now();
    const wall0 = Date.now();
    const ok = await post({ seconds: opts.seconds });
    const postSecs = (performance.now() - t0) / 1000;
    const pgNow = postgresCpuSeconds();
    const perDoc = (secs: number) => (secs * 1000) / ok;
    const cpuMsPerDoc = {
      machine: perDoc(machineBusySeconds() - cpu0.machine),
      postgres: pgNow !== null && cpu0.postgres !== null ? perDoc(pgNow - cpu0.postgres) : null,
      serves: serves.map((s, i) => perDoc(cpuSeconds(s.pid) - cpu0.serves[i])),
    };
    const complete = await until(async () => (await opts.sink.stats()).count >= ok, 120_000, 50);
    const stats = await opts.sink.stats();
    const rep: ScaleRep = {
      processes: opts.processes,
      accounts: opts.accounts,
      docsPerSec: ok / postSecs,
      endToEndPerSec: stats.count / ((stats.lastMs - wall0) / 1000),
      complete,
      cpuMsPerDoc,
    };
    console.error(
      `  (h) ${opts.processes} process(es), ${opts.accounts} account(s): ${rep.docsPerSec.toFixed(0)} docs/s posted, ${rep.endToEndPerSec.toFixed(0)} events/s delivered end to end${complete ? '' : ' (NOT all delivered)'}; CPU ms per document: machine ${cpuMsPerDoc.machine.toFixed(2)}, PostgreSQL ${cpuMsPerDoc.postgres?.toFixed(2) ?? '-'}, stockhook ${cpuMsPerDoc.serves.map((c) => c.toFixed(2)).join(' + ')}`,
    );
    return rep;
  } finally {
    for (const p of pools) await p.close();
    for (const s of serves) await s.close();
    await db.drop();
  }
}
