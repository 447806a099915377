/**
 * (b) deliveries/s: a backlog of pending deliveries drained by a Dispatcher in THIS process to the
 * sink process, timed from start() until the sink has every request and drained() says every
 * result is written. (d) the raw ceiling: an undici Pool from this same process, with the
 * dispatcher's connection count, posting bodies of the same size to the same sink.
 * Repetitions alternate (d) and (b), so both see the same machine state.
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { Dispatcher } from '../../src/delivery/dispatcher.js';
import { SUBSCRIPTION } from '../lib/api.js';
import { insertBacklog, pendingCount, seedAccount, type Seeded } from '../lib/backlog.js';
import { cpuSeconds, type Sink } from '../lib/children.js';
import { freshDatabase } from '../lib/db.js';
import { until } from '../lib/stats.js';

export interface DrainRep {
  deliveriesPerSec: number;
  rawPerSec: number;
  /** False when the backlog was not drained within DRAIN_TIMEOUT_MS (the rate is then what it reached). */
  complete: boolean;
  /** CPU used per second of wall time while draining: this process, the sink. */
  cpuSelf: number;
  cpuSink: number;
}

/** Both subscriptions' limits together: what the dispatcher can have in flight to the sink. */
export const CONNECTIONS = SUBSCRIPTION.maxInFlight * 2;
const DRAIN_TIMEOUT_MS = 60_000;

export async function drainScenario(opts: { pgBase: string | null; sink: Sink; backlog: number; reps: number }): Promise<DrainRep[]> {
  const db = await freshDatabase(opts.pgBase);
  const s = await seedAccount(db.url, [opts.sink.url('/a'), opts.sink.url('/b')]);
  const sample = await sampleBody(s);
  const bodyBytes = Buffer.byteLength(sample);
  try {
    // Warm-up (JIT, connections, SQLite page cache), not reported.
    await raw(opts.sink, 2_000, sample);
    await drain(s, opts.sink, 2_000);
    const reps: DrainRep[] = [];
    for (let i = 0; i < opts.reps; i++) {
      const rawPerSec = await raw(opts.sink, opts.backlog, sample);
      const d = await drain(s, opts.sink, opts.backlog);
      reps.push({ rawPerSec, ...d });
      console.error(`  (b/d) rep ${i + 1}: ${d.deliveriesPerSec.toFixed(0)} deliveries/s, raw ${rawPerSec.toFixed(0)}/s, body ${bodyBytes} B`);
    }
    return reps;
  } finally {
    await s.store.close();
    await db.drop();
  }
}

/** A rendered delivery's body, so the raw client sends exactly the same bytes. */
async function sampleBody(s: Seeded): Promise<string> {
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
async function raw(sink: Sink, count: number, body: string): Promise<number> {
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
