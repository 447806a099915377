/**
 * (i) stockhook against the SQLite outbox peer (bench/peers/sqlite-outbox.ts), end to end, each run
 * as a new user would run it: one child process with its defaults on a fresh SQLite file, two
 * subscribers on the sink (stockhook: two native subscriptions set up over its API, as in (a); the
 * peer: two subscriber URLs). The same load for both: one-line receipts over HTTP from an undici
 * Pool in this process, `concurrency` in flight. Per repetition stockhook then the peer, each in a
 * fresh process: a warm-up window (unreported) until the sink has its deliveries, then the timed
 * window; a figure is the documents posted in the timed window divided by the seconds from its
 * first POST until the sink had both deliveries of every one of them.
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { ADMIN_TOKEN, postFor, setUpOverHttp, type Fixture } from '../lib/api.js';
import { cpuSeconds, startOutboxPeer, startServe, type Serve, type Sink } from '../lib/children.js';
import { freshDatabase } from '../lib/db.js';
import { until } from '../lib/stats.js';

export type OutboxSystem = 'stockhook' | 'bound' | 'peer';

export interface OutboxPeerRep {
  system: OutboxSystem;
  documents: number;
  deliveries: number;
  /** From the timed window's first POST until its last delivery reached the sink. */
  seconds: number;
  /** Documents/s end to end over that span: the figure. */
  docsPerSec: number;
  /** Documents/s during the posting window alone. */
  postedPerSec: number;
  /** False when the sink did not get every delivery within CATCH_UP_MS (docsPerSec then counts what arrived). */
  complete: boolean;
  /** CPU of the server process per second of the span (1 = one core). */
  cpu: number;
}

const SUBSCRIBERS = 2;
const PRODUCTS = 50;
const PEER_TOKEN = 'bench-peer-token';
const CATCH_UP_MS = 120_000;

interface Target {
  server: Serve;
  fixture: Fixture;
  path: string;
}

async function startTarget(system: OutboxSystem, dbFile: string, sink: Sink): Promise<Target> {
  const urls = Array.from({ length: SUBSCRIBERS }, (_, i) => sink.url(`/i${i}`));
  if (system === 'stockhook') {
    const server = await startServe(dbFile, ADMIN_TOKEN);
    try {
      return { server, fixture: await setUpOverHttp(server.url, urls, PRODUCTS), path: '/api/v1/documents' };
    } catch (e) {
      await server.close();
      throw e;
    }
  }
  if (system === 'bound') {
    // stockhook sets the file up over its API (schema, account, token, products, subscriptions), then the bound serves it.
    const setup = await startServe(dbFile, ADMIN_TOKEN);
    let fixture: Fixture;
    try {
      fixture = await setUpOverHttp(setup.url, urls, PRODUCTS);
    } finally {
      await setup.close();
    }
    return { server: await startOutboxPeer(dbFile, [], PEER_TOKEN, { peer: 'sqlite-bound' }), fixture, path: '/api/v1/documents' };
  }
  // The peer keeps no warehouses or products: any ids do, the same shape of receipt as stockhook's.
  const server = await startOutboxPeer(dbFile, urls, PEER_TOKEN);
  const productIds = Array.from({ length: PRODUCTS }, (_, i) => i + 1);
  return { server, fixture: { auth: `Bearer ${PEER_TOKEN}`, warehouseId: 1, productIds }, path: '/documents' };
}

async function measure(system: OutboxSystem, opts: { sink: Sink; warmSeconds: number; seconds: number; concurrency: number }): Promise<OutboxPeerRep> {
  const db = await freshDatabase(null);
  try {
    const t = await startTarget(system, db.url, opts.sink);
    const pool = new Pool(t.server.url, { connections: opts.concurrency, pipelining: 1 });
    try {
      let seq = 0;
      const window = async (seconds: number) => {
        await opts.sink.reset();
        const cpu0 = cpuSeconds(t.server.pid);
        const t0 = performance.now();
        const { ok, failed } = await postFor(pool, t.fixture, { seconds, concurrency: opts.concurrency, next: () => seq++, path: t.path });
        const postSecs = (performance.now() - t0) / 1000;
        if (failed > 0) throw new Error(`(i) ${system}: ${failed} documents were refused`);
        const expected = ok * SUBSCRIBERS;
        const complete = await until(async () => (await opts.sink.stats()).count >= expected, CATCH_UP_MS, 10);
        const secs = (performance.now() - t0) / 1000;
        const got = (await opts.sink.stats()).count;
        if (complete && got !== expected) throw new Error(`(i) ${system}: the sink got ${got} deliveries, expected ${expected}`);
        if (!complete) console.error(`  (i) ${system} gave up after ${CATCH_UP_MS / 1000} s of catching up with ${got}/${expected} delivered`);
        return { ok, got, secs, postSecs, complete, cpu: (cpuSeconds(t.server.pid) - cpu0) / secs };
      };
      // A warm-up still delivering would leave deliveries for the timed window's count: then it is not complete either.
      const warm = await window(opts.warmSeconds);
      const r = await window(opts.seconds);
      return {
        system,
        documents: r.ok,
        deliveries: r.got,
        seconds: r.secs,
        // When incomplete, only as many documents as could have had all their deliveries count.
        docsPerSec: (r.complete ? r.ok : Math.floor(r.got / SUBSCRIBERS)) / r.secs,
        postedPerSec: r.ok / r.postSecs,
        complete: warm.complete && r.complete,
        cpu: r.cpu,
      };
    } finally {
      await pool.close();
      await t.server.close();
    }
  } finally {
    await db.drop();
  }
}

/** Alternates stockhook and the peer, `reps` times each, in fresh processes on fresh files. */
export async function outboxPeerScenario(opts: { sink: Sink; reps: number; warmSeconds: number; seconds: number; concurrency: number }): Promise<OutboxPeerRep[]> {
  const reps: OutboxPeerRep[] = [];
  for (let i = 0; i < opts.reps; i++) {
    for (const system of ['stockhook', 'bound', 'peer'] as const) {
      const r = await measure(system, opts);
      reps.push(r);
      console.error(
        `  (i) rep ${i + 1} ${system}: ${r.documents} documents, ${r.deliveries} deliveries in ${r.seconds.toFixed(1)} s end to end: ${r.docsPerSec.toFixed(0)} docs/s (posted at ${r.postedPerSec.toFixed(0)}/s)${r.complete ? '' : ' INCOMPLETE'}; CPU ${(100 * r.cpu).toFixed(0)}%`,
      );
    }
  }
  return reps;
}
