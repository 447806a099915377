/**
 * (h) scale-out on PostgreSQL: 1, 2 and 4 `stockhook serve` processes (role all: API and delivery
 * in each) on one fresh PostgreSQL database per run, each confined to a CPU quota of its own
 * (lib/cpu-quota.ts) as a small machine would be, PostgreSQL, this load generator and the sink
 * unconfined: on a 2-core machine an unconfined second process has no core to use, so only a quota
 * shows whether processes scale or contend. One-line receipts are POSTed round-robin to the
 * processes, `concurrency` in flight in all, for `seconds`; each account has one native
 * subscription (stock.changed) on the sink. Two loads: one account over 100 products, and ten
 * accounts over 10 products each.
 *
 * The figure is documents/s end to end: the documents posted in the timed window over the seconds
 * from its first POST until the sink had the delivery of every one of them. CPU per document is
 * read from /proc over that same span (so it includes every delivery of those documents):
 * each stockhook process with all its threads (the delivery thread too), PostgreSQL's processes
 * and the whole machine.
 *
 * Each run first posts `warmDocs` documents to every process and waits for their deliveries,
 * unreported: each process compiles its hot path then (V8's JIT, prepared statements, pools), as a
 * long-running one has. A warm-up by time would favour one process, which takes twice the documents
 * in it; by documents per process, each is as warm as the other.
 *
 * The peer, bench/peers/graphile-outbox.ts (Fastify, two tables, graphile-worker as the outbox),
 * runs on the one-account load as one process under the same quota, right after stockhook's one
 * process in every repetition, each on a fresh database: the same load, the same warm-up, the same
 * figure.
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { ADMIN_TOKEN, postReceipt, setUpOverHttp, type Fixture } from '../lib/api.js';
import { cpuSeconds, machineBusySeconds, postgresCpuSeconds, startOutboxPeer, startServe, type Serve, type Sink, type StartOpts } from '../lib/children.js';
import { throttledShare, type CpuQuotaGroups } from '../lib/cpu-quota.js';
import { freshDatabase } from '../lib/db.js';
import { until } from '../lib/stats.js';

export type ScaleSystem = 'stockhook' | 'graphile-outbox';

export interface ScaleRep {
  system: ScaleSystem;
  rep: number;
  processes: number;
  accounts: number;
  /** Cores per process, or null when unconfined. */
  quota: number | null;
  documents: number;
  /** Documents/s from the first POST until the sink had every delivery: the figure. */
  docsPerSec: number;
  /** Documents/s during the posting window alone. */
  postedPerSec: number;
  /** False when the sink did not get every delivery within CATCH_UP_MS (docsPerSec then counts what arrived). */
  complete: boolean;
  /** CPU milliseconds per document over the span: the machine, PostgreSQL (null if not on this machine), the server processes together and each. */
  cpuMsPerDoc: { machine: number; postgres: number | null; servers: number; perProcess: number[] };
  /** CPU each server process used per second of the span (its quota is the most it can get). */
  coresPerProcess: number[];
  /** Share of CFS periods in which each process was throttled over the span (null unconfined). */
  throttled: number[] | null;
}

export interface ScaleOpts {
  pgBase: string;
  sink: Sink;
  seconds: number;
  concurrency: number;
  warmDocs: number;
  reps: number;
  /** The quota groups, or null to run unconfined. */
  quota: CpuQuotaGroups | null;
}

const PROCESSES = [1, 2, 4];
const PEER_TOKEN = 'bench-peer-token';
const CATCH_UP_MS = 120_000;

export async function scaleOutScenario(opts: ScaleOpts): Promise<ScaleRep[]> {
  const out: ScaleRep[] = [];
  for (let rep = 1; rep <= opts.reps; rep++) {
    for (const accounts of [1, 10]) {
      for (const processes of PROCESSES) {
        out.push(await oneRun({ ...opts, rep, system: 'stockhook', processes, accounts }));
        if (accounts === 1 && processes === 1) out.push(await oneRun({ ...opts, rep, system: 'graphile-outbox', processes, accounts }));
      }
    }
  }
  return out;
}

interface Target {
  server: Serve;
  name: string;
}

/** Starts the processes one after the other (each start runs the migrations), each under its quota from its first instruction. */
async function startAll(system: ScaleSystem, dbUrl: string, opts: ScaleOpts & { processes: number }): Promise<Target[]> {
  const started: Target[] = [];
  try {
    for (let i = 1; i <= opts.processes; i++) {
      const name = `${system}-${i}`;
      const q = opts.quota;
      const start: StartOpts = q ? { onSpawn: (pid) => q.confine(name, pid), startTimeoutMs: Math.max(30_000, 30_000 / q.quota) } : {};
      const server =
        system === 'stockhook'
          ? await startServe(dbUrl, ADMIN_TOKEN, start)
          : await startOutboxPeer(dbUrl, [opts.sink.url('/scale/0')], PEER_TOKEN, { ...start, peer: 'graphile-outbox' });
      started.push({ server, name });
      // Every thread it has now, the ones it started after it was confined too, must be in its group.
      q?.check(name, server.pid);
    }
    return started;
  } catch (e) {
    await stopAll(started, opts.quota);
    throw e;
  }
}

async function stopAll(targets: Target[], quota: CpuQuotaGroups | null): Promise<void> {
  for (const t of targets) await t.server.close();
  for (const t of targets) quota?.release(t.name);
}

async function fixturesFor(system: ScaleSystem, servers: Target[], sink: Sink, accounts: number): Promise<{ fixtures: Fixture[]; path: string }> {
  if (system === 'graphile-outbox') {
    // The peer keeps no accounts, warehouses or products: any ids do, the same receipts as stockhook's.
    return { fixtures: [{ auth: `Bearer ${PEER_TOKEN}`, warehouseId: 1, productIds: Array.from({ length: 100 }, (_, i) => i + 1) }], path: '/documents' };
  }
  const fixtures: Fixture[] = [];
  for (let a = 0; a < accounts; a++) fixtures.push(await setUpOverHttp(servers[0].server.url, [sink.url(`/scale/${a}`)], accounts === 1 ? 100 : 10));
  return { fixtures, path: '/api/v1/documents' };
}

async function oneRun(opts: ScaleOpts & { rep: number; system: ScaleSystem; processes: number; accounts: number }): Promise<ScaleRep> {
  if (opts.system === 'graphile-outbox' && opts.accounts !== 1) throw new Error('(h) the peer runs the one-account load only');
  const db = await freshDatabase(opts.pgBase);
  const pools: Pool[] = [];
  let targets: Target[] = [];
  try {
    targets = await startAll(opts.system, db.url, opts);
    for (const t of targets) pools.push(new Pool(t.server.url, { connections: Math.ceil(opts.concurrency / targets.length), pipelining: 1 }));
    const { fixtures, path } = await fixturesFor(opts.system, targets, opts.sink, opts.accounts);
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
            if (!(await postReceipt(pools[w % pools.length], fixtures[i % n], Math.floor(i / n), path))) throw new Error(`(h) ${opts.system}: a document was refused`);
            posted++;
          }
        }),
      );
      return posted;
    };
    await opts.sink.reset();
    const warm = await post({ count: opts.warmDocs * opts.processes });
    if (!(await until(async () => (await opts.sink.stats()).count >= warm, CATCH_UP_MS, 50))) throw new Error(`(h) ${opts.system}: the warm-up was not delivered`);
    await opts.sink.reset();

    const pids = targets.map((t) => t.server.pid);
    const stat0 = opts.quota ? targets.map((t) => opts.quota?.stat(t.name) ?? {}) : null;
    const cpu0 = { machine: machineBusySeconds(), postgres: postgresCpuSeconds(), servers: pids.map(cpuSeconds) };
    const wall0 = Date.now();
    const t0 = performance.now();
    const ok = await post({ seconds: opts.seconds });
    const postSecs = (performance.now() - t0) / 1000;
    const complete = await until(async () => (await opts.sink.stats()).count >= ok, CATCH_UP_MS, 10);
    const cpu1 = { machine: machineBusySeconds(), postgres: postgresCpuSeconds(), servers: pids.map(cpuSeconds) };
    const throttled = stat0 ? targets.map((t, i) => throttledShare(stat0[i], opts.quota?.stat(t.name) ?? {})) : null;
    const stats = await opts.sink.stats();
    if (complete && stats.count !== ok) throw new Error(`(h) ${opts.system}: the sink got ${stats.count} deliveries, expected ${ok}`);
    const spanSecs = complete ? (stats.lastMs - wall0) / 1000 : (performance.now() - t0) / 1000;
    const counted = complete ? ok : stats.count;
    const serverSecs = cpu1.servers.map((c, i) => c - cpu0.servers[i]);
    const perDoc = (secs: number) => (secs * 1000) / counted;
    const rep: ScaleRep = {
      system: opts.system,
      rep: opts.rep,
      processes: opts.processes,
      accounts: opts.accounts,
      quota: opts.quota?.quota ?? null,
      documents: ok,
      docsPerSec: counted / spanSecs,
      postedPerSec: ok / postSecs,
      complete,
      cpuMsPerDoc: {
        machine: perDoc(cpu1.machine - cpu0.machine),
        postgres: cpu1.postgres !== null && cpu0.postgres !== null ? perDoc(cpu1.postgres - cpu0.postgres) : null,
        servers: perDoc(serverSecs.reduce((a, b) => a + b, 0)),
        perProcess: serverSecs.map(perDoc),
      },
      coresPerProcess: serverSecs.map((s) => s / spanSecs),
      throttled,
    };
    const c = rep.cpuMsPerDoc;
    console.error(
      `  (h) rep ${opts.rep} ${opts.system}, ${opts.processes} process(es), ${opts.accounts} account(s): ${rep.docsPerSec.toFixed(0)} docs/s end to end (posted at ${rep.postedPerSec.toFixed(0)}/s)${complete ? '' : ' (NOT all delivered)'}; ` +
        `CPU ms per document: ${opts.system} ${c.servers.toFixed(2)}, PostgreSQL ${c.postgres?.toFixed(2) ?? '-'}, machine ${c.machine.toFixed(2)}; ` +
        `cores per process ${rep.coresPerProcess.map((x) => x.toFixed(2)).join(' ')}${throttled ? `, throttled ${throttled.map((x) => `${(100 * x).toFixed(0)}%`).join(' ')} of periods` : ''}`,
    );
    return rep;
  } finally {
    for (const p of pools) await p.close();
    await stopAll(targets, opts.quota);
    await db.drop();
  }
}
