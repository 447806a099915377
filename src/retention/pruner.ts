import { toError } from '../errors.js';
import { logEvent, type EventLog } from '../log-events.js';
import type { Store } from '../storage/database.js';
import type { RetentionPolicy } from './policy.js';
import { pruneExpired, type PruneCounts } from './prune.js';

export interface PrunerOptions {
  now: () => number;
  /** Called after each round with the rows it deleted (/metrics counts them). */
  onPruned?: (counts: PruneCounts) => void;
  log?: (msg: string, err?: unknown) => void;
  /** Where each round's counts are logged (`retention.pass`). */
  events?: EventLog;
  /** Between rounds; the first round runs one interval after the start. */
  intervalMs?: number;
}

export interface Pruner {
  /** Runs one round now (after the running one, if any). */
  runOnce(): Promise<PruneCounts>;
  stop(): Promise<void>;
}

/**
 * Prunes expired rows in the background, one round every 10 minutes by default: expiry is counted
 * in days, so a round that comes a little late changes nothing, and a round finds little to do.
 * Rounds never overlap; several processes on one PostgreSQL may each prune (their batches
 * delete disjoint rows or nothing).
 */
export function startPruner(store: Store, policy: RetentionPolicy, opts: PrunerOptions): Pruner {
  let chain: Promise<unknown> = Promise.resolve();
  const runOnce = (): Promise<PruneCounts> => {
    const round = chain.then(async () => {
      const started = performance.now();
      const counts = await pruneExpired(store, opts.now(), policy);
      opts.onPruned?.(counts);
      const ms = Math.round(performance.now() - started);
      const deleted = `${counts.events} events, ${counts.deliveries} deliveries, ${counts.attempts} attempt logs`;
      logEvent(opts.events, 'retention.pass', { ...counts, ms }, `retention: deleted ${deleted} past their retention in ${ms} ms`);
      return counts;
    });
    chain = round.catch(() => undefined);
    return round;
  };
  const timer = setInterval(() => {
    runOnce().catch((err: unknown) => opts.log?.('retention: pruning failed', toError(err)));
  }, opts.intervalMs ?? 10 * 60_000);
  timer.unref();
  return {
    runOnce,
    async stop() {
      clearInterval(timer);
      await chain;
    },
  };
}
