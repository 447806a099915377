import type { EventLog } from '../log-events.js';
import type { AttemptReads } from '../webhooks/formats/format.js';
import type { BreakerOptions } from './breaker/index.js';
import type { HandoffWriter } from './handoff/index.js';
import type { AttemptMetrics } from './metrics.js';

export interface DispatcherOptions {
  /** Unique per process; leases carry it. */
  owner?: string;
  /** Requests in flight across all endpoints. */
  concurrency?: number;
  /** What one account may hold of those (slots/); default half of `concurrency`. */
  accountShare?: number;
  batchSize?: number;
  leaseMs?: number;
  /**
   * The safety-net poll; wake-ups normally come from commits (in-process) or NOTIFY. Default 2 s, or
   * the store's wakeupPollMs where no NOTIFY can arrive (storage/store.ts).
   */
  pollMs?: number;
  breaker?: BreakerOptions;
  metrics?: AttemptMetrics;
  log?: (msg: string, err?: unknown) => void;
  /** Where failed attempts, the breaker's pauses and disabled subscriptions are logged (operator-log.ts). */
  events?: EventLog;
  /** For tests: replaces Math.random in retry jitter. */
  random?: () => number;
  /**
   * For tests that move time: the dispatcher's clock (what is due, leases, when an attempt was made
   * and when its retry comes); Date.now unless given. Waits and timeouts stay on the real clock.
   */
  clock?: () => number;
  /** What formats read per attempt (compose.ts hands the applications' secret store). */
  attemptReads?: AttemptReads;
  /** The handoff's count, shared with the thread whose writes hand over (handoff/count.ts). */
  handoffCount?: SharedArrayBuffer;
  /** The handoff's writer of this domain: only commits that left something to claim wake a claim (handoff/writer.ts). */
  handoffWriter?: HandoffWriter;
}
