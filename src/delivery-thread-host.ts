import { Worker } from 'node:worker_threads';
import type { BreakerState } from './delivery/breaker/index.js';
import { HandoffCount, handoffTarget, type HandoffWriter } from './delivery/handoff/index.js';
import { wakeAccounts } from './delivery/wake-signal.js';
import type { DeliveryMetrics, DeliveryThreadState } from './delivery/metrics.js';
import type { FromThread, ThreadData, ToThread } from './delivery-thread.js';

export interface DeliveryThread {
  /** The lease owner of the thread running now ('starting' until it is ready). */
  readonly owner: string;
  readonly state: DeliveryThreadState;
  /** For tests: the Worker running now (terminate it as a crash would), and every change of state. */
  readonly testHook: { worker(): Worker; onState(listener: (state: DeliveryThreadState) => void): void };
  stop(): Promise<void>;
}

export interface SupervisionOptions {
  /** How often the thread says it is alive (default 1 s). */
  heartbeatMs?: number;
  /** Where the host reports a thread that exited or stalled. */
  log(msg: string, err?: unknown): void;
}

// Under tsx (tests, the benchmark) the sources run as .ts, and the thread needs tsx's loader too;
// built, everything is .js.
const fromSources = import.meta.url.endsWith('.ts');
const entry = new URL(fromSources ? './delivery-thread.ts' : './delivery-thread.js', import.meta.url);

/** Heartbeat intervals without a message before a running thread counts as stalled. */
const STALL_BEATS = 5;
/** Before its first message a thread is loading (tsx compiles the sources on a loaded machine): more time. */
const STARTUP_BEATS = 120;
const RESTART_FIRST_MS = 1000;
const RESTART_MAX_MS = 30_000;
/** A thread that ran this long before it failed starts the backoff afresh. */
const STABLE_MS = 60_000;

/** One delivery thread, from start to exit; a restart makes a new one, with a new owner and count. */
interface Run {
  readonly worker: Worker;
  readonly count: HandoffCount;
  readonly startedAt: number;
  owner: string;
  /** Watchdog ticks since the last message from the thread. */
  missed: number;
  heard: boolean;
  stalled: boolean;
  ended: boolean;
  breakers: Record<BreakerState, number>;
  onStopped: (() => void) | null;
}

/**
 * Starts the dispatcher in a worker thread, wires it to this process without waiting for it
 * (wake-ups posted meanwhile wait in its port; it claims whatever is due when it starts): every
 * commit here that left deliveries to claim (and a hand retry's nudge) wakes it, what the commits
 * leased to it is given to it (delivery/handoff/), its attempts and breaker states show in this
 * process's /metrics, and supervises it.
 *
 * Supervision: the thread posts a heartbeat every heartbeatMs; one that exits (a crash, an
 * uncaught error) or misses STALL_BEATS of them (a blocked event loop) is logged and replaced by a
 * new thread after a backoff (1 s, doubling to 30 s while it keeps failing). Restarting rather than
 * exiting the process: the API keeps answering writes, which are safe without the thread (every
 * delivery is in the database before it is sent), and a thread's failure is most often the
 * database's (it recovers on its own); an exit would take the API down too, for a supervisor that
 * not every deployment has. Nothing is lost: the old thread's deliveries stay leased to its owner
 * until the lease runs out, then the new thread claims them. Meanwhile readiness reports the state
 * (DeliveryMetrics.deliveryThreadState, /readyz).
 */
export function startDeliveryThread(
  metrics: DeliveryMetrics,
  data: Omit<ThreadData, 'handoffCount' | 'heartbeatMs'>,
  handoff: HandoffWriter,
  opts: SupervisionOptions,
): DeliveryThread {
  const heartbeatMs = opts.heartbeatMs ?? 1000;
  let state: DeliveryThreadState = 'starting';
  const listeners: Array<(s: DeliveryThreadState) => void> = [];
  const setState = (s: DeliveryThreadState) => {
    state = s;
    for (const l of listeners) l(s);
  };
  let stopping = false;
  let backoff = RESTART_FIRST_MS;
  let restartTimer: NodeJS.Timeout | null = null;

  const spawn = (): Run => {
    const count = new HandoffCount();
    const workerData: ThreadData = { ...data, handoffCount: count.buffer, heartbeatMs };
    // Node 20 does not run tsx's --import hooks in a worker: the thread registers them itself,
    // from tsx as this module resolves it (an eval'd worker would resolve it from the working directory).
    const worker = fromSources
      ? new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((t) => { t.register(); return import(${JSON.stringify(entry.href)}); })`, { eval: true, workerData })
      : new Worker(entry, { workerData });
    const r: Run = { worker, count, startedAt: Date.now(), owner: 'starting', missed: 0, heard: false, stalled: false, ended: false, breakers: { closed: 0, open: 0, 'half-open': 0 }, onStopped: null };
    worker.on('message', (m: FromThread) => {
      r.missed = 0;
      r.heard = true;
      if (m.type === 'ready') {
        r.owner = m.owner;
        if (run === r && !stopping) setState('running');
      } else if (m.type === 'attempts') for (const [f, o, s] of m.items) metrics.recordAttempt(f, o, s);
      else if (m.type === 'breakers') r.breakers = m.counts;
      else if (m.type === 'stopped') r.onStopped?.();
    });
    worker.once('error', (err) => opts.log('the delivery thread failed', err));
    worker.once('exit', (code) => {
      r.ended = true;
      r.onStopped?.();
      if (run !== r || stopping) return;
      const why = r.stalled ? `the delivery thread stopped answering (no heartbeat for ${(STALL_BEATS * heartbeatMs) / 1000} s)` : `the delivery thread exited (code ${code})`;
      if (Date.now() - r.startedAt >= STABLE_MS) backoff = RESTART_FIRST_MS;
      opts.log(`${why}; starting a new one in ${backoff} ms (the deliveries it held are sent again when their leases run out)`);
      setState('restarting');
      restartTimer = setTimeout(() => {
        restartTimer = null;
        if (!stopping) run = spawn();
      }, backoff);
      backoff = Math.min(backoff * 2, RESTART_MAX_MS);
    });
    if (run !== undefined) setState('starting');
    return r;
  };
  let run: Run | undefined = undefined;
  run = spawn();
  const current = (): Run => run as Run;

  const watchdog = setInterval(() => {
    const r = current();
    if (r.ended || r.stalled || stopping) return;
    // Counted in ticks of this timer, not by the clock: a busy HTTP thread delays this timer and
    // the thread's messages alike, so it never takes its own delay for the thread's silence.
    r.missed++;
    if (r.missed > (r.heard ? STALL_BEATS : STARTUP_BEATS)) {
      r.stalled = true;
      opts.log(`the delivery thread sent no heartbeat for ${r.missed} intervals of ${heartbeatMs} ms; terminating it`);
      void r.worker.terminate();
    }
  }, heartbeatMs);
  watchdog.unref();

  metrics.watchBreakers({ counts: () => current().breakers });
  metrics.watchDeliveryThread(() => state);
  /** The wake-up to post at the end of this turn: the accounts of its commits, or `unknown` (a nudge). */
  let wakePending: Set<string> | 'unknown' | null = null;
  /** Messages for a thread that has ended are dropped: its successor claims whatever is due when it starts. */
  const post = (m: ToThread) => {
    const r = current();
    if (!r.ended) r.worker.postMessage(m);
  };
  // The fan-out of this thread leases fresh deliveries to the delivery thread's dispatcher and posts
  // them after their commit (delivery/handoff/): to the thread running now, once it is ready, while
  // it has room, until it exits or is told to stop.
  handoff.connect(
    handoffTarget(
      () => {
        const r = current();
        return { count: r.count, owner: r.owner, taking: r.owner !== 'starting' && !r.ended && !r.stalled && !stopping };
      },
      data.leaseMs,
      (deliveries, subscriptions, owner) => post({ type: 'give', deliveries, subscriptions, owner }),
    ),
  );
  // Many commits in one turn of the event loop make one wake-up; one whose deliveries were all
  // handed over needs none.
  handoff.onClaimable((events) => {
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
      return current().owner;
    },
    get state() {
      return state;
    },
    testHook: {
      worker: () => current().worker,
      onState: (l) => void listeners.push(l),
    },
    stop: () => {
      stopping = true;
      clearInterval(watchdog);
      if (restartTimer) clearTimeout(restartTimer);
      const r = current();
      return new Promise<void>((resolve) => {
        // Still starting (it has claimed nothing yet), or gone: there is nothing to finish.
        if (r.ended || r.owner === 'starting' || r.stalled) return resolve();
        r.onStopped = resolve;
        r.worker.postMessage({ type: 'stop' } satisfies ToThread);
      })
        .then(() => r.worker.terminate())
        .then(() => setState('stopped'));
    },
  };
}
