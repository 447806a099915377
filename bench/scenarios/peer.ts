/**
 * (b') the peer: what a Node team would build instead of stockhook's delivery engine. The same
 * backlog (the deliveries stockhook rendered: URL, stored headers, body bytes, delivery id as
 * `webhook-id`) is enqueued as BullMQ jobs with Queue.addBulk before timing; the timed part is a
 * BullMQ Worker, concurrency 64, that per job signs the body with the Standard Webhooks signature
 * exactly as `native` does (standardSignature over `${id}.${timestamp}.${body}`, fresh timestamp)
 * and POSTs it through one undici Pool (keep-alive, 64 connections) to the same sink, failing the
 * job (BullMQ retries it) on anything but a 2xx. Timed from worker start until the sink has every
 * request and the worker has completed every job (its result written to Redis, as (b) waits for
 * stockhook's results to be written).
 *
 * It runs in the bench process, like (b)'s Dispatcher and (d)'s raw client, so all three have the
 * same footing. Redis is the peer's store (BENCH_REDIS_URL, default redis://127.0.0.1:6379); the
 * queue name is unique per run and the queue is obliterated before and after every repetition.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { Pool } from 'undici';
import { standardSignature } from '../../src/receiver/signatures.js';
import { USER_AGENT } from '../../src/delivery/request-headers.js';
import type { Sink } from '../lib/children.js';
import { until } from '../lib/stats.js';

export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const PEER_CONCURRENCY = 64;
const PEER_TIMEOUT_MS = 60_000;

/** One job: a rendered delivery as stockhook stored it. The secret stays in the worker (by subscription id), not in Redis. */
export interface PeerJob {
  id: string;
  subscriptionId: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface PeerRep {
  deliveriesPerSec: number;
  complete: boolean;
  /** CPU of the bench process (the worker) per second of wall time. */
  cpuSelf: number;
}

/** Host and port of a redis:// URL, for messages. */
export const redisAddress = (url = REDIS_URL) => {
  const u = new URL(url);
  return `${u.hostname}:${u.port || 6379}`;
};

/** A raw RESP PING with a short timeout: null when Redis answers, else why not. */
export async function redisUnreachable(url = REDIS_URL, timeoutMs = 1_000): Promise<string | null> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const sock = connect({ host: u.hostname, port: Number(u.port || 6379) });
    const done = (why: string | null) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(why);
    };
    const timer = setTimeout(() => done(`no answer within ${timeoutMs} ms`), timeoutMs);
    sock.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
    sock.once('connect', () => sock.write('PING\r\n'));
    // +PONG, or an error reply such as -NOAUTH: either way a Redis server is there (BullMQ authenticates from the URL).
    sock.once('data', (d: Buffer) => done(/^[+-]/.test(d.toString()) ? null : `unexpected reply ${JSON.stringify(d.toString().slice(0, 20))}`));
  });
}

function connection(url = REDIS_URL): ConnectionOptions {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    ...(u.username && { username: decodeURIComponent(u.username) }),
    ...(u.password && { password: decodeURIComponent(u.password) }),
    ...(u.pathname.length > 1 && { db: Number(u.pathname.slice(1)) }),
    // A Worker requires null (its blocking commands must never give up); fail fast on connect instead.
    maxRetriesPerRequest: null,
    connectTimeout: 2_000,
  };
}

/** The peer's request headers: stockhook's stored ones plus the Standard Webhooks signature over a fresh timestamp. */
export function peerHeaders(d: PeerJob, secret: string, nowMs: number): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000).toString();
  return {
    'user-agent': USER_AGENT,
    ...d.headers,
    'webhook-id': d.id,
    'webhook-timestamp': timestamp,
    'webhook-signature': `v1,${standardSignature(secret, d.id, timestamp, d.body)}`,
  };
}

/** A BullMQ queue of the given jobs, drained on demand by a fresh Worker. */
export class Peer {
  private readonly name = `stockhook-bench-peer-${randomBytes(4).toString('hex')}`;
  private readonly queue: Queue;
  /** One per repetition, created with the worker, as each (b) repetition's Dispatcher opens its own Sender pools. */
  private pool: Pool | null = null;

  constructor(
    private readonly sink: Sink,
    private readonly secrets: Map<string, string>,
  ) {
    this.queue = new Queue(this.name, { connection: connection() });
  }

  async drain(jobs: PeerJob[]): Promise<PeerRep> {
    const count = jobs.length;
    await this.queue.obliterate({ force: true });
    // Enqueued before timing, 1,000 per addBulk. Retries as a webhook sender would have them (BullMQ's exponential backoff).
    for (let i = 0; i < count; i += 1_000) {
      await this.queue.addBulk(
        jobs.slice(i, i + 1_000).map((data) => ({ name: 'deliver', data, opts: { attempts: 8, backoff: { type: 'exponential', delay: 5_000 } } })),
      );
    }
    await this.sink.reset();
    let completed = 0;
    let failed = 0;
    const pool = new Pool(`http://127.0.0.1:${this.sink.port}`, { connections: PEER_CONCURRENCY, pipelining: 1, keepAliveTimeout: 30_000 });
    this.pool = pool;
    const worker = new Worker<PeerJob>(this.name, (job) => this.deliver(job), {
      connection: connection(),
      concurrency: PEER_CONCURRENCY,
      autorun: false,
    });
    worker.on('completed', () => completed++);
    worker.on('failed', () => failed++);
    worker.on('error', (e) => console.error(`  (b') worker error: ${e.message}`));
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const running = worker.run();
    const arrived = await until(async () => completed >= count && (await this.sink.stats()).count >= count, PEER_TIMEOUT_MS, 10);
    const secs = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const got = (await this.sink.stats()).count;
    await worker.close();
    await running;
    await pool.close();
    this.pool = null;
    await this.queue.obliterate({ force: true });
    if (failed > 0) throw new Error(`(b') ${failed} jobs failed (the sink answered non-2xx or the POST failed)`);
    if (arrived && got !== count) throw new Error(`(b') sink got ${got}/${count}`);
    if (!arrived) console.error(`  (b') gave up after ${PEER_TIMEOUT_MS / 1000} s with ${got}/${count} delivered, ${completed} completed`);
    return { deliveriesPerSec: Math.min(got, completed) / secs, complete: arrived, cpuSelf: (cpu.user + cpu.system) / 1e6 / secs };
  }

  private async deliver(job: Job<PeerJob>): Promise<void> {
    const d = job.data;
    const secret = this.secrets.get(d.subscriptionId);
    if (!secret) throw new Error(`no secret for subscription ${d.subscriptionId}`);
    const headers = peerHeaders(d, secret, Date.now());
    const url = new URL(d.url);
    if (!this.pool) throw new Error('no pool outside a repetition');
    const res = await this.pool.request({ path: `${url.pathname}${url.search}`, method: 'POST', headers, body: d.body, headersTimeout: 15_000, bodyTimeout: 15_000 });
    await res.body.text();
    if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`HTTP ${res.statusCode}`);
  }

  async close(): Promise<void> {
    await this.queue.obliterate({ force: true }).catch(() => undefined);
    await this.queue.close();
    await this.pool?.close();
  }
}
