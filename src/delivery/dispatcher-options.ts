import type { StoredEvent } from '../events/catalog.js';
import type { AttemptReads } from '../webhooks/formats/format.js';
import type { BreakerOptions } from './breaker.js';
import type { AttemptMetrics } from './metrics.js';

export interface DispatcherOptions {
  /** Unique per process; leases carry it. */
  owner?: string;
  /** Requests in flight across all endpoints. */
  concurrency?: number;
  /** What one account may hold of those (send-slots.ts); default half of `concurrency`. */
  accountShare?: number;
  batchSize?: number;
  leaseMs?: number;
  /** The safety-net poll; wake-ups normally come from commits (in-process) or NOTIFY. */
  pollMs?: number;
  breaker?: BreakerOptions;
  metrics?: AttemptMetrics;
  log?: (msg: string, err?: unknown) => void;
  /** For tests: replaces Math.random in retry jitter. */
  random?: () => number;
  /** What formats read per attempt (compose.ts hands the applications' secret store). */
  attemptReads?: AttemptReads;
  /** The count of handed-off deliveries not finished yet, shared with the thread that hands them over (handoff.ts). */
  handoffCount?: SharedArrayBuffer;
  /** The fan-out's handoff point of this domain: a commit it gave wholly to this dispatcher wakes no claim. */
  handoffPoint?: { gaveAll(events: StoredEvent[]): boolean };
}
