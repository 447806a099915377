/**
 * `npm run bench [-- --db postgres://postgres@127.0.0.1:5432/test] [--only a,b,c,e,f,g,h,i] [--reps 3] [--quick] [--quota 0.3] [--pgbouncer]`
 * (b) includes (d) and, when Redis answers at BENCH_REDIS_URL (default redis://127.0.0.1:6379), (b').
 * --quota: the cores each of (h)'s server processes may use (a cgroup CPU quota); 0 runs them unconfined.
 * --pgbouncer (with --db postgres://...): (a)'s server connects through a PgBouncer in transaction mode
 * started for the run (test/support/pgbouncer.ts, the tests' own), with STOCKHOOK_PG_POOLER=transaction.
 * A benchmark, not a test: it prints a table of medians against the targets written beside each row
 * below and writes bench/results.json (not tracked). See bench/README.md for what each figure means.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startSink } from './lib/children.js';
import { CpuQuotaGroups } from './lib/cpu-quota.js';
import { median } from './lib/stats.js';
import { drainScenario, type DrainRep } from './scenarios/drain.js';
import { endToEndScenario, type EndToEndRep } from './scenarios/end-to-end.js';
import { fanOutStallScenario, type StallResult } from './scenarios/fan-out-stall.js';
import { latencyScenario, type LatencyResult } from './scenarios/latency.js';
import { memoryScenario, type MemoryResult } from './scenarios/memory.js';
import { outboxPeerScenario, type OutboxPeerRep } from './scenarios/outbox-peer.js';
import { REDIS_URL, redisAddress, redisUnreachable } from './scenarios/peer.js';
import { postDocsScenario, type PostRep } from './scenarios/post-docs.js';
import { scaleOutScenario } from './scenarios/scale-out.js';
import { scaleRows } from './scenarios/scale-rows.js';
import { startPgBouncer } from '../test/support/pgbouncer.js';

const { values: args } = parseArgs({
  options: {
    db: { type: 'string' },
    only: { type: 'string', default: 'a,b,c,e,f,g,h,i' },
    reps: { type: 'string', default: '3' },
    quick: { type: 'boolean', default: false },
    quota: { type: 'string', default: '0.3' },
    pgbouncer: { type: 'boolean', default: false },
  },
});
const pgBase = args.db && /^postgres(ql)?:\/\//.test(args.db) ? args.db : null;
if (args.db && !pgBase) throw new Error('--db takes a postgres:// URL (SQLite is the default)');
const only = new Set((args.only ?? '').split(','));
const reps = Number(args.reps);
const q = args.quick;
const quota = Number(args.quota);
if (!Number.isFinite(quota) || quota < 0) throw new Error(`--quota takes a number of cores per process (0 = unconfined), got ${args.quota}`);
if (args.pgbouncer && !pgBase) throw new Error('--pgbouncer puts PgBouncer between (a) and PostgreSQL: give --db postgres://...');
const plan = {
  post: { seconds: q ? 3 : 6, concurrency: 32 },
  drain: { backlog: q ? 5_000 : 20_000 },
  // The latency target is set at 1,000/s; 100/s and 500/s show the latency of a less loaded server beside it.
  latency: { rates: [100, 500, 1000], seconds: q ? 3 : 5 },
  memory: { backlog: q ? 100_000 : 1_000_000, seconds: 10 },
  // (f) measures its own raw ceiling (d) before each repetition, with (b)'s request count.
  endToEnd: { seconds: q ? 3 : 6, concurrency: 32, subscriptions: 10, rawCount: q ? 5_000 : 20_000 },
  // Issue 10's case: one 1,000-line receipt fanned out to 30 subscriptions next to a quiet tenant.
  stall: { subscriptions: 30, lines: 1_000, rate: 50 },
  // 1, 2 and 4 `stockhook serve` processes on one PostgreSQL, each under a CPU quota, and the
  // graphile-worker outbox peer (skipped on SQLite). Each process first takes warmDocs documents,
  // unreported (scenarios/scale-out.ts).
  scale: { seconds: q ? 3 : 6, concurrency: 32, warmDocs: q ? 1_000 : 5_000 },
  // stockhook vs the SQLite outbox peer (bench/peers/sqlite-outbox.ts), alternated, each in a fresh process (SQLite only).
  outbox: { warmSeconds: q ? 1 : 3, seconds: q ? 3 : 8, concurrency: 32 },
};

interface Row {
  figure: string;
  value: string;
  target: string;
  met: boolean | null;
}

const started = Date.now();
const sink = await startSink();
// One pooler for the run, on a free port, stopped at the end; only (a) goes through it.
const pooler = args.pgbouncer && pgBase ? await startPgBouncer({ serverUrl: pgBase }) : undefined;
if (pooler) console.error(`--pgbouncer: ${pooler.version} in transaction mode on 127.0.0.1:${pooler.port}, for (a) only (the other scenarios connect directly)`);
const results: Record<string, unknown> = {
  at: new Date().toISOString(),
  database: pgBase ? 'postgres' : 'sqlite',
  cpus: cpus().length,
  node: process.version,
  plan,
  reps,
  pgbouncer: pooler?.version ?? null,
};
const rows: Row[] = [];
// The figures assume an otherwise idle machine; the 1-minute load average before each scenario says whether it was.
const loads: Record<string, number> = {};
const load = (name: string) => (loads[name] = Number(loadavg()[0].toFixed(2)));
const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
try {
  if (only.has('a')) {
    load('a');
    const via = pooler ? ', through PgBouncer (transaction mode)' : '';
    console.error(`(a) documents/s over HTTP${via}, ${plan.post.concurrency} in flight, ${reps} x ${plan.post.seconds} s ...`);
    const r: PostRep[] = await postDocsScenario({ pgBase, sink, reps, ...plan.post, pooler });
    results.a = r;
    const docs = median(r.map((x) => x.docsPerSec));
    rows.push({ figure: `(a) documents/s, HTTP, 2 subscriptions, dispatcher on${via}`, value: fmt(docs), target: '>= 3,000', met: docs >= 3000 });
    rows.push({ figure: '    deliveries/s reaching the sink meanwhile', value: fmt(median(r.map((x) => x.deliveredPerSec))), target: '', met: null });
  }
  if (only.has('b')) {
    load('b');
    const noRedis = await redisUnreachable();
    const peerSkipped = noRedis ? `(b') BullMQ peer: skipped, Redis not reachable at ${redisAddress()} (${noRedis})` : null;
    if (peerSkipped) console.error(peerSkipped);
    console.error(`(b)+(d)${noRedis ? '' : "+(b')"} draining ${fmt(plan.drain.backlog)} deliveries vs the raw ceiling${noRedis ? '' : ' and a BullMQ worker'}, ${reps} reps ...`);
    const r: DrainRep[] = await drainScenario({ pgBase, sink, reps, peer: !noRedis, ...plan.drain });
    results.b = r;
    results.redis = noRedis ? { url: REDIS_URL, reachable: false, why: noRedis } : { url: REDIS_URL, reachable: true };
    const b = median(r.map((x) => x.deliveriesPerSec));
    const d = median(r.map((x) => x.rawPerSec));
    const partial = r.some((x) => !x.complete) ? ' (not drained in time)' : '';
    rows.push({ figure: `(b) deliveries/s draining ${fmt(plan.drain.backlog)}${partial}`, value: fmt(b), target: '>= 5,000', met: b >= 5000 });
    rows.push({ figure: '(d) raw ceiling, undici Pool -> sink, requests/s', value: fmt(d), target: '(reference)', met: null });
    rows.push({ figure: '    (b) as a share of (d)', value: `${fmt((100 * b) / d)} %`, target: '>= 50 %', met: b / d >= 0.5 });
    const peers = r.flatMap((x) => (x.peer ? [x.peer] : []));
    if (peers.length > 0) {
      const p = median(peers.map((x) => x.deliveriesPerSec));
      const late = peers.some((x) => !x.complete) ? ' (not drained in time)' : '';
      rows.push({ figure: `(b') BullMQ peer deliveries/s, same backlog${late}`, value: fmt(p), target: '(reference)', met: null });
      rows.push({ figure: "    (b)/(b') stockhook vs the peer", value: `${fmt(b / p, 2)} x`, target: '>= 1.5 x', met: b / p >= 1.5 });
      results.peer = { deliveriesPerSec: p, ratio: b / p };
    } else if (peerSkipped) {
      rows.push({ figure: `(b') BullMQ peer: skipped, Redis not reachable at ${redisAddress()}`, value: '-', target: '>= 1.5 x', met: null });
    }
  }
  if (only.has('c')) {
    load('c');
    console.error(`(c) change-to-receipt latency at ${plan.latency.rates.join(' and ')} documents/s, ${plan.latency.seconds} s each ...`);
    const all: LatencyResult[] = await latencyScenario({ pgBase, sink, ...plan.latency });
    results.c = all;
    for (const r of all) {
      const target = r.rate === 1000;
      rows.push({ figure: `(c) change -> receiver p50 at ${r.rate} docs/s`, value: `${fmt(r.p50)} ms`, target: target ? '<= 5 ms' : '', met: target ? r.p50 <= 5 : null });
      rows.push({ figure: `(c) change -> receiver p99 at ${r.rate} docs/s`, value: `${fmt(r.p99)} ms`, target: target ? '<= 50 ms' : '', met: target ? r.p99 <= 50 : null });
      rows.push({ figure: `    POST round trip p50 / p99 at ${r.rate} docs/s`, value: `${fmt(r.postP50, 1)} / ${fmt(r.postP99, 1)} ms`, target: '', met: null });
    }
  }
  if (only.has('e')) {
    load('e');
    console.error(`(e) memory: ${fmt(plan.memory.backlog)} pending deliveries, worker runs ${plan.memory.seconds} s ...`);
    const r: MemoryResult = await memoryScenario({ pgBase, sink, ...plan.memory });
    results.e = r;
    rows.push({ figure: `(e) worker max RSS, ${fmt(r.backlog)} pending`, value: `${fmt(r.rssMaxMb)} MB`, target: '<= 256 MB', met: r.rssMaxMb <= 256 });
    rows.push({
      figure: '    delivered meanwhile / bulk insert rate',
      value: `${fmt(r.delivered / r.seconds)}/s / ${fmt(r.insertRowsPerSec)} rows/s`,
      target: '',
      met: null,
    });
  }
  if (only.has('f')) {
    load('f');
    const e = plan.endToEnd;
    console.error(`(f) end to end: documents over HTTP, ${e.concurrency} in flight, ${e.subscriptions} subscriptions, ${reps} x ${e.seconds} s + catch-up, each after a raw-ceiling rep ...`);
    const r: EndToEndRep[] = await endToEndScenario({ pgBase, sink, reps, ...e });
    results.f = r;
    const docs = median(r.map((x) => x.docsPerSec));
    const del = median(r.map((x) => x.deliveriesPerSec));
    const d = median(r.map((x) => x.rawPerSec));
    const partial = r.some((x) => !x.complete) ? ' (not all delivered in time)' : '';
    rows.push({ figure: `(f) end to end, ${e.subscriptions} subscriptions: documents/s${partial}`, value: fmt(docs), target: '', met: null });
    rows.push({ figure: '    deliveries/s received end to end', value: fmt(del), target: '', met: null });
    rows.push({ figure: '    (d) raw ceiling alongside (f), requests/s', value: fmt(d), target: '(reference)', met: null });
    rows.push({ figure: '    (f) deliveries/s as a share of (d)', value: `${fmt((100 * del) / d)} %`, target: '>= 50 %', met: del / d >= 0.5 });
  }
  if (only.has('g')) {
    load('g');
    const g = plan.stall;
    console.error(`(g) stall: a ${fmt(g.lines)}-line receipt to ${g.subscriptions} subscriptions while another account posts ${g.rate}/s ...`);
    const r: StallResult = await fanOutStallScenario({ pgBase, sink, ...g });
    results.g = r;
    const ms = (x: { p50: number; p99: number; max: number }) => `${fmt(x.p50, 1)} / ${fmt(x.p99, 1)} / ${fmt(x.max, 1)} ms`;
    rows.push({ figure: `(g) other account's POST p50 / p99 / max, quiet`, value: ms(r.before), target: '', met: null });
    rows.push({ figure: `    the same while ${fmt(g.lines * g.subscriptions)} deliveries are written`, value: ms(r.during), target: '', met: null });
    rows.push({ figure: `    the big POST / its deliveries received after`, value: `${fmt(r.bigPostMs)} / ${fmt(r.bigDeliveredMs)} ms`, target: '', met: null });
  }
  if (only.has('h')) {
    const groups = pgBase && quota > 0 ? CpuQuotaGroups.open(quota) : null;
    if (!pgBase) {
      console.error('(h) scale-out: skipped, it needs --db postgres://...');
      rows.push({ figure: '(h) scale-out: skipped on SQLite (needs --db postgres://...)', value: '-', target: '', met: null });
    } else if (typeof groups === 'string') {
      console.error(`(h) scale-out: skipped, no CPU quota can be set: ${groups} (run as root, or --quota 0 to run unconfined)`);
      rows.push({ figure: '(h) scale-out: skipped, no CPU quota can be set (see above)', value: '-', target: '', met: null });
    } else {
      load('h');
      const confined = groups ? `each under a ${quota}-core quota (cgroup ${groups.hierarchy.version})` : 'unconfined';
      console.error(`(h) scale-out on PostgreSQL: 1, 2 and 4 processes ${confined}, ${plan.scale.concurrency} in flight, ${plan.scale.seconds} s each, 1 and 10 accounts, and the graphile-worker outbox, ${reps} reps ...`);
      try {
        const r = await scaleOutScenario({ pgBase, sink, reps, quota: groups, ...plan.scale });
        results.h = r;
        results.hCgroup = groups ? `${groups.hierarchy.version} ${groups.hierarchy.dir}` : 'unconfined';
        rows.push(...scaleRows(r, groups ? quota : null));
      } finally {
        groups?.close();
      }
    }
  }
  if (only.has('i')) {
    if (pgBase) {
      console.error('(i) SQLite outbox peer: skipped, the peer runs on SQLite (drop --db)');
      rows.push({ figure: '(i) SQLite outbox peer: skipped on PostgreSQL (the peer is SQLite)', value: '-', target: '', met: null });
    } else {
      load('i');
      const o = plan.outbox;
      console.error(`(i) end to end vs the SQLite outbox peer: 2 subscriptions, ${o.concurrency} in flight, ${o.warmSeconds} s warm-up + ${o.seconds} s, alternated ${reps} x ...`);
      const r: OutboxPeerRep[] = await outboxPeerScenario({ sink, reps, ...o });
      results.i = r;
      const of = (s: OutboxPeerRep['system']) => r.filter((x) => x.system === s);
      const late = (xs: OutboxPeerRep[]) => (xs.some((x) => !x.complete) ? ' (not all delivered in time)' : '');
      const ours = median(of('stockhook').map((x) => x.docsPerSec));
      const peer = median(of('peer').map((x) => x.docsPerSec));
      rows.push({ figure: `(i) end to end, 2 subscriptions: stockhook documents/s${late(of('stockhook'))}`, value: fmt(ours), target: '', met: null });
      const bound = median(of('bound').map((x) => x.docsPerSec));
      rows.push({ figure: `    the bound (stockhook's rows, the peer's design)${late(of('bound'))}`, value: fmt(bound), target: '(reference)', met: null });
      rows.push({ figure: `    SQLite outbox peer documents/s${late(of('peer'))}`, value: fmt(peer), target: '(reference)', met: null });
      rows.push({ figure: '    the bound / the peer', value: `${fmt(bound / peer, 2)} x`, target: '(reference)', met: null });
      rows.push({ figure: '    stockhook / the peer', value: `${fmt(ours / peer, 2)} x`, target: '>= 1.0 x', met: ours / peer >= 1 });
    }
  }
} finally {
  await sink.close();
  await pooler?.stop();
}

results.loadavg = loads;
results.table = rows;
results.seconds = (Date.now() - started) / 1000;
const w = [Math.max(...rows.map((r) => r.figure.length)), Math.max(...rows.map((r) => r.value.length)), 11];
const line = (a: string, b: string, c: string, d: string) => `${a.padEnd(w[0])}  ${b.padStart(w[1])}  ${c.padEnd(w[2])}  ${d}`;
console.log(`\nstockhook bench, ${results.database}, ${results.cpus} CPUs, ${process.version}, median of ${reps} where repeated`);
console.log(line('figure', 'measured', 'target', ''));
for (const r of rows) console.log(line(r.figure, r.value, r.target, r.met === null ? '' : r.met ? 'met' : 'MISSED'));
const busy = Object.entries(loads).filter(([, l]) => l > cpus().length * 0.75);
console.log(`load average before each scenario: ${Object.entries(loads).map(([k, l]) => `${k} ${l}`).join(', ')}`);
if (busy.length > 0) console.log(`WARNING: the machine was busy with other work (load > ${cpus().length * 0.75}); these figures understate stockhook`);
console.log(`(${fmt(results.seconds as number)} s)`);
writeFileSync(fileURLToPath(new URL('./results.json', import.meta.url)), `${JSON.stringify(results, null, 2)}\n`);
