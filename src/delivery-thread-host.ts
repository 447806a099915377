import { Worker } from 'node:worker_threads';
import type { Ctx } from './context.js';
import type { BreakerState } from './delivery/breaker.js';
import type { HandoffPoint } from './delivery/fan-out.js';
import { HandoffCount } from './delivery/handoff.js';
import { wakeAccounts } from './delivery/wake-signal.js';
import type { DeliveryMetrics } from './delivery/metrics.js';
import type { FromThread, ThreadData, ToThread } from './delivery-thread.js';

export interface DeliveryThread {
  readonly owner: string;
  stop(): Promise<void>;
}

// Under tsx (tests, the benchmark) the sources run as .ts, and the thread needs tsx's loader too;
// built, everything is .js.
const fromSources = import.meta.url.endsWith('.ts');
const entry = new URL(fromSources ? './delivery-thread.ts' : './delivery-thread.js', import.meta.url);

/**
 * Starts the dispatcher in a worker thread and wires it to this process without waiting for it
 * (wake-ups posted meanwhile wait in its port; it claims whatever is due when it starts): every
 * commit here (and a hand retry's nudge) wakes it, its attempts and breaker states show in this process's /metrics.
 * A thread that dies takes the process down with it (an operator's supervisor restarts it; the
 * leases it held expire and nothing is lost), never a silent API without delivery.
 */
export function startDeliveryThread(ctx: Ctx, metrics: DeliveryMetrics, data: Omit<ThreadData, 'handoffCount'>, point: HandoffPoint): DeliveryThread {
  const count = new HandoffCount();
  data = { ...data, handoffCount: count.buffer } as ThreadData;
  // Node 20 does not run tsx's --import hooks in a worker: the thread registers them itself.
  const worker = fromSources
    ? new Worker(`import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(entry.href)}); })`, { eval: true, workerData: data })
    : new Worker(entry, { workerData: data });
  let counts: Record<BreakerState, number> = { closed: 0, open: 0, 'half-open': 0 };
  metrics.watchBreakers({ counts: () => counts });
  let stopped: (() => void) | null = null;
  /** The wake-up to post at the end of this turn: the accounts of its commits, or `unknown` (a nudge). */
  let wakePending: Set<string> | 'unknown' | null = null;
  const post = (m: ToThread) => worker.postMessage(m);
  let owner = 'starting';
  let stopping = false;
  worker.on('message', (m: FromThread) => {
    if (m.type === 'ready') owner = m.owner;
    else if (m.type === 'attempts') for (const [f, o, s] of m.items) metrics.recordAttempt(f, o, s);
    else if (m.type === 'breakers') counts = m.counts;
    else if (m.type === 'stopped') stopped?.();
  });
  let exited = false;
  worker.once('exit', () => {
    exited = true;
    stopped?.();
  });
  worker.once('error', (err) => {
    // Delivery must not stop quietly while the API goes on accepting changes.
    console.error(`stockhook: the delivery thread failed: ${err.message}`);
    process.exit(1);
  });
  // The fan-out of this thread leases fresh deliveries to the delivery thread's dispatcher and posts
  // them after their commit (delivery/handoff.ts): once it is ready, while it has room.
  /** The thread takes handoffs once it is ready, until it exits or is told to stop. */
  const taking = () => owner !== 'starting' && !exited && !stopping;
  point.connect({
    ownerFor: (n) => (taking() && count.hasRoom(n) ? owner : null),
    reserve: (n) => (taking() && count.reserve(n) ? owner : null),
    unreserve: (n) => count.done(n),
    leaseDurationMs: data.leaseMs,
    give: (deliveries, subscriptions) => post({ type: 'give', deliveries, subscriptions }),
  });
  // Many commits in one turn of the event loop make one wake-up; one whose deliveries were all
  // handed over needs none.
  ctx.outbox.onCommit((events) => {
    if (point.gaveAll(events)) return;
    const accounts = wakeAccounts(events);
    const first = wakePending === null;
    if (accounts === undefined) wakePending = 'unknown';
    else if (wakePending !== 'unknown') {
      const set: Set<string> = wakePending ?? new Set<string>();
      for (const a of accounts) set.add(a);
      wakePending = set;
    }
    if (!first) return;
    queueMicrotask(() => {
      const pending = wakePending;
      wakePending = null;
      post({ type: 'wake', ...(pending instanceof Set && { accounts: [...pending] }) });
    });
  });
  return {
    get owner() {
      return owner;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        // Still starting (it has claimed nothing yet): there is nothing to finish.
        stopping = true;
        if (exited || owner === 'starting') return resolve();
        stopped = resolve;
        post({ type: 'stop' });
      }).then(() => worker.terminate().then(() => undefined)),
  };
}
