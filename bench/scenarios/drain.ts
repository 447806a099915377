/**
 * (b) deliveries/s: a backlog of pending deliveries drained by a Dispatcher in THIS process to the
 * sink process, timed from start() until the sink has every request and drained() says every
 * result is written. (d) the raw ceiling: an undici Pool from this same process, with the
 * dispatcher's connection count, posting bodies of the same size to the same sink.
 * (b') the peer (scenarios/peer.ts): the same backlog drained by a BullMQ worker, when Redis is reachable.
 * Repetitions alternate (d), (b) and (b'), so all see the same machine state.
 */
import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import { Pool } from 'undici';
import { Dispatcher } from '../../src/delivery/dispatcher.js';
import { requestHeaders } from '../../src/delivery/request-headers.js';
import { nativeFormat } from '../../src/webhooks/formats/native.js';
import { SUBSCRIPTION } from '../lib/api.js';
import { insertBacklog, pendingCount, seedAccount, type Seeded } from '../lib/backlog.js';
import { cpuSeconds, type Sink } from '../lib/children.js';
import { freshDatabase } from '../lib/db.js';
import { until } from '../lib/stats.js';
import { Peer, peerHeaders, type PeerJob, type PeerRep } from './peer.js';

export interface DrainRep {
  deliveriesPerSec: number;
  rawPerSec: number;
  /** False when the backlog was not drained within DRAIN_TIMEOUT_MS (the rate is then what it reached). */
  complete: boolean;
  /** CPU used per second of wall time while draining: this process, the sink. */
  cpuSelf: number;
  cpuSink: number;
  /** (b') the BullMQ peer on the same backlog; absent when Redis was not reachable. */
  peer?: PeerRep;
}

/** Both subscriptions' limits together: what the dispatcher can have in flight to the sink. */
export const CONNECTIONS = SUBSCRIPTION.maxInFlight * 2;
const DRAIN_TIMEOUT_MS = 60_000;

export async function drainScenario(opts: { pgBase: string | null; sink: Sink; backlog: number; reps: number; peer: boolean }): Promise<DrainRep[]> {
  const db = await freshDatabase(opts.pgBase);
  const s = await seedAccount(db.url, [opts.sink.url('/a'), opts.sink.url('/b')]);
  const sample = await sampleBody(s);
  const bodyBytes = Buffer.byteLength(sample);
  let peer: Peer | null = null;
  try {
    const jobs = opts.peer ? await peerJobs(s, opts.backlog) : [];
    if (opts.peer) peer = new Peer(opts.sink, new Map(s.subs.map((x) => [x.id, x.secret])));
    // Warm-up (JIT, connections, SQLite page cache, Redis), not reported.
    await raw(opts.sink, 2_000, sample);
    await drain(s, opts.sink, 2_000);
    await peer?.drain(jobs.slice(0, 2_000));
    const reps: DrainRep[] = [];
    for (let i = 0; i < opts.reps; i++) {
      const rawPerSec = await raw(opts.sink, opts.backlog, sample);
      const d = await drain(s, opts.sink, opts.backlog);
      const p = await peer?.drain(jobs);
      reps.push({ rawPerSec, ...d, ...(p && { peer: p }) });
      const peerText = p ? `, BullMQ peer ${p.deliveriesPerSec.toFixed(0)}/s` : '';
      console.error(`  (b/d${p ? "/b'" : ''}) rep ${i + 1}: ${d.deliveriesPerSec.toFixed(0)} deliveries/s, raw ${rawPerSec.toFixed(0)}/s${peerText}, body ${bodyBytes} B`);
    }
    return reps;
  } finally {
    await peer?.close();
    await s.store.close();
    await db.drop();
  }
}

/** The peer's jobs: exactly the deliveries stockhook renders for this backlog (then removed from stockhook's table). */
async function peerJobs(s: Seeded, count: number): Promise<PeerJob[]> {
  await insertBacklog(s, count);
  const rows = await s.store.db.selectFrom('deliveries').select(['id', 'webhook_id', 'url', 'headers', 'body']).where('status', '=', 'pending').execute();
  await s.store.db.deleteFrom('deliveries').execute();
  if (rows.length !== count) throw new Error(`peer backlog has ${rows.length} deliveries, expected ${count}`);
  const jobs = rows.map((r) => ({ id: r.id, subscriptionId: r.webhook_id, url: r.url, headers: JSON.parse(r.headers) as Record<string, string>, body: r.body }));
  // The peer must send what stockhook's dispatcher sends: same headers, same signature, for one job at one instant.
  const j = jobs[0];
  const sub = s.subs.find((x) => x.id === j.subscriptionId);
  if (!sub) throw new Error('peer job for an unknown subscription');
  const now = Date.now();
  const claimed = { ...j, accountId: s.account.id, eventId: null, eventType: 'stock.changed', attempts: 0, createdMs: now };
  const ours = requestHeaders(claimed, sub, nativeFormat, now);
  if (!isDeepStrictEqual(peerHeaders(j, sub.secret, now), ours)) throw new Error("(b') the peer's headers differ from the dispatcher's");
  return jobs;
}

/** A rendered delivery's body, so the raw client sends exactly the same bytes. */
export async function sampleBody(s: Seeded): Promise<string> {
  await insertBacklog(s, s.subs.length);
  const row = await s.store.db.selectFrom('deliveries').select('body').executeTakeFirstOrThrow();
  await s.store.db.deleteFrom('deliveries').execute();
  return row.body;
}

async function drain(s: Seeded, sink: Sink, count: number): Promise<Omit<DrainRep, 'rawPerSec'>> {
  await insertBacklog(s, count);
  const pending = await pendingCount(s.store);
  if (pending !== count) throw new Error(`backlog has ${pending} pending deliveries, expected ${count}`);
  await sink.reset();
  // stockhook serve's defaults (concurrency 256, batches of 200); the subscriptions' maxInFlight caps it at CONNECTIONS.
  const dispatcher = new Dispatcher(s.ctx, {});
  const cpu0 = process.cpuUsage();
  const sinkCpu0 = cpuSeconds(sink.pid);
  const t0 = performance.now();
  await dispatcher.start();
  const arrived = await until(async () => (await sink.stats()).count >= count, DRAIN_TIMEOUT_MS, 10);
  if (arrived) await dispatcher.drained();
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const sinkCpu = cpuSeconds(sink.pid) - sinkCpu0;
  const got = (await sink.stats()).count;
  await dispatcher.stop();
  const left = await pendingCount(s.store);
  if (arrived && (left !== 0 || got !== count)) throw new Error(`drain incomplete: sink got ${got}/${count}, ${left} still pending`);
  if (!arrived) {
    // Too slow to finish: report the rate it reached and clear the rest so the next repetition starts clean.
    console.error(`  (b) gave up after ${DRAIN_TIMEOUT_MS / 1000} s with ${got}/${count} delivered`);
    await s.store.db.deleteFrom('deliveries').where('status', '=', 'pending').execute();
  }
  return { deliveriesPerSec: got / secs, complete: arrived, cpuSelf: (cpu.user + cpu.system) / 1e6 / secs, cpuSink: sinkCpu / secs };
}

/** The ceiling: keep-alive undici Pool, CONNECTIONS requests in flight, same body, headers of the same size, no database. */
export async function raw(sink: Sink, count: number, body: string): Promise<number> {
  const pool = new Pool(`http://127.0.0.1:${sink.port}`, { connections: CONNECTIONS, pipelining: 1, keepAliveTimeout: 30_000 });
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'stockhook/0.1',
    'webhook-id': '00000000-0000-4000-8000-000000000000',
    'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
    'webhook-signature': `v1,${'A'.repeat(43)}=`,
  };
  await sink.reset();
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < count) {
      next++;
      const res = await pool.request({ path: '/raw', method: 'POST', headers, body });
      await res.body.text();
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  const secs = (performance.now() - t0) / 1000;
  await pool.close();
  const got = (await sink.stats()).count;
  if (got !== count) throw new Error(`raw: sink got ${got}/${count}`);
  return count / secs;
}
