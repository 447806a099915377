/**
 * The dispatcher's own thread (role `all`): delivery runs on the second core instead of sharing
 * the HTTP event loop. It opens its own connection to the same database, so crash safety is the
 * database's, exactly as with a separate `--role worker` process: leases, claims and results are
 * the same statements. The host (delivery-thread-host.ts) wakes it on every commit of its process
 * and shows the attempts it reports in /metrics.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createDispatcher, createDomain } from './domain.js';
import type { Settings } from './context.js';
import type { BreakerState } from './delivery/breaker/index.js';
import type { ClaimedDelivery } from './delivery/claim.js';
import type { AttemptMetrics, BreakerCounts } from './delivery/metrics.js';
import type { LogFormat } from './config.js';
import type { Subscription } from './webhooks/subscription-row.js';
import { createLogger } from './log.js';
import { openStore, type StoreOptions } from './storage/database.js';
import type { ThreadShare } from './storage/threads.js';

export interface ThreadData {
  databaseUrl: string;
  settings: Settings;
  leaseMs: number;
  accountShare: number;
  logLevel: string;
  /** What this thread shares with the HTTP thread about the database (storage/threads.ts). */
  share: ThreadShare;
  /** How the store reaches the database: named statements, a pooler, a direct listen URL (storage/store.ts). */
  connection: Pick<StoreOptions, 'namedStatements' | 'pooler' | 'listenUrl'>;
  /** The handoff's count, shared by both threads (delivery/handoff/count.ts). */
  handoffCount: SharedArrayBuffer;
  logFormat: LogFormat;
  /** How often to tell the host this thread is alive (delivery-thread-host.ts supervises it). */
  heartbeatMs: number;
  /** PostgreSQL: how long a (re)started thread waits for the database (storage/postgres/open.ts). */
  databaseWaitMs: number;
}

export type ToThread = { type: 'wake'; accounts?: string[] } | { type: 'stop' } | { type: 'give'; deliveries: ClaimedDelivery[]; subscriptions: Subscription[]; owner: string };
export type FromThread =
  | { type: 'ready'; owner: string }
  | { type: 'attempts'; items: Array<[format: string, outcome: string, seconds: number]> }
  | { type: 'breakers'; counts: Record<BreakerState, number> }
  | { type: 'stopped' }
  | { type: 'alive' };

const port = parentPort;
if (!port) throw new Error('delivery-thread.ts runs as a worker thread');
const data = workerData as ThreadData;
const send = (m: FromThread) => port.postMessage(m);

/** Attempts are sent to the host in batches (every 200 ms), breaker counts with them. */
class ForwardingMetrics implements AttemptMetrics {
  private items: Array<[string, string, number]> = [];
  private breakers: BreakerCounts | null = null;
  private readonly timer = setInterval(() => this.flush(), 200);

  recordAttempt(format: string, outcome: string, seconds: number): void {
    this.items.push([format, outcome, seconds]);
  }

  watchBreakers(b: BreakerCounts): void {
    this.breakers = b;
  }

  flush(): void {
    if (this.items.length > 0) send({ type: 'attempts', items: this.items });
    this.items = [];
    if (this.breakers) send({ type: 'breakers', counts: this.breakers.counts(Date.now()) });
  }

  stop(): void {
    clearInterval(this.timer);
    this.flush();
  }
}

// From the first moment, so a thread still waiting for its database is not taken for a stalled one.
// Unref'd: it must not keep a stopped thread alive.
setInterval(() => send({ type: 'alive' }), data.heartbeatMs).unref();
const logger = createLogger(data.logLevel, data.logFormat);
const log = (msg: string, err?: unknown) => logger.error({ err, thread: 'delivery' }, msg);
const store = await openStore(data.databaseUrl, { log, events: logger, migrate: false, threads: { share: data.share, role: 'delivery' }, ...data.connection, waitMs: data.databaseWaitMs });
const domain = createDomain(store, data.settings);
const metrics = new ForwardingMetrics();
const dispatcher = createDispatcher(domain, { leaseMs: data.leaseMs, accountShare: data.accountShare, metrics, log, events: logger.child({ thread: 'delivery' }), handoffCount: data.handoffCount });
// Ready before the first claim: until the host hears this, stopping the thread loses no lease.
send({ type: 'ready', owner: dispatcher.owner });
await dispatcher.start();
// This thread's own writes (webhook.disabled) hand their deliveries over too; the HTTP thread's come as `give`.
domain.handoff.connect(dispatcher.handoff);
port.on('message', (m: ToThread) => {
  if (m.type === 'wake') dispatcher.wake(m.accounts);
  else if (m.type === 'give') dispatcher.handoff.give(m.deliveries, m.subscriptions, m.owner);
  else if (m.type === 'stop') {
    void (async () => {
      await dispatcher.stop();
      metrics.stop();
      await store.close();
      send({ type: 'stopped' });
      port.close();
    })();
  }
});
