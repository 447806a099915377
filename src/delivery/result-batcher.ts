import type { Store } from '../storage/database.js';
import { isConnectionLost } from '../storage/connection-errors.js';
import { writeResults, type AttemptResult } from './finish.js';

const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 10_000;
const DEFAULT_GIVE_UP_MS = 60_000;

export interface ResultBatcherOptions {
  owner: string;
  /** Results waiting this long are written even when the batch is not full. */
  maxDelayMs?: number;
  maxBatch?: number;
  /** Runs after each batch is written (the 5-day disable, waking those waiting for idle). */
  afterWrite(batch: AttemptResult[], now: number): Promise<void>;
  log(msg: string, err?: unknown): void;
  /** How long a failed write is retried while the database is unreachable (default 60 s). */
  giveUpMs?: number;
  /** Time and timers (default: the real ones); a test passes its own to drive the backoff without waiting. */
  clock?: BatcherClock;
  /**
   * The time results are written at (completed_ms, failing-since marks): the dispatcher's clock, so
   * a test that moves the dispatcher's time moves these too. Default: `clock.now`.
   */
  writtenAt?: () => number;
}

/** The only time the batcher reads: now, and the batching delay and retry backoff timers. */
export interface BatcherClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const REAL_CLOCK: BatcherClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Attempt results are written in batches, one transaction each (Store.writeResults): a commit
 * costs far more than a row, so many rows per commit let the result log keep up with the sends.
 * Only the log waits the batching delay, never a send. Writes run one after another, in order.
 */
export class ResultBatcher {
  private results: AttemptResult[] = [];
  private writing: Promise<void> = Promise.resolve();
  private timer: unknown = null;
  private closing = false;
  private readonly maxDelayMs: number;
  private readonly maxBatch: number;
  private readonly clock: BatcherClock;

  constructor(
    private readonly store: Store,
    private readonly opts: ResultBatcherOptions,
  ) {
    // Long enough that a busy dispatcher's results share a commit instead of each taking one, short
    // enough that the log (the only thing that waits) lags the sends by little.
    this.maxDelayMs = opts.maxDelayMs ?? 10;
    this.maxBatch = opts.maxBatch ?? 200;
    this.clock = opts.clock ?? REAL_CLOCK;
  }

  get pending(): number {
    return this.results.length;
  }

  add(result: AttemptResult): void {
    this.results.push(result);
    if (this.results.length >= this.maxBatch) {
      void this.flush();
      return;
    }
    if (this.timer) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.maxDelayMs);
  }

  /** Writes everything added so far; resolves when it is written (or its write failed and was logged). */
  flush(): Promise<void> {
    if (this.timer) {
      this.clock.clearTimeout(this.timer);
      this.timer = null;
    }
    this.writing = this.writing.then(async () => {
      const batch = this.results;
      this.results = [];
      if (batch.length === 0) return;
      const now = await this.write(batch);
      if (now === null) return;
      try {
        await this.opts.afterWrite(batch, now);
      } catch (err) {
        // A rejection here would leave `writing` rejected, and every later flush with it.
        this.opts.log('after writing attempt results', err);
      }
    });
    return this.writing;
  }

  /**
   * Writes one batch, trying again after a backoff (1 s, doubling up to 10 s) while the database
   * is unreachable: results of sends made during a database restart are kept rather than thrown
   * away, so the deliveries are not sent a second time. It gives up (logged) once the attempt is
   * older than giveUpMs or the batcher is closing: the rows stay leased, and when the lease runs
   * out they are sent again (at-least-once); writeResults only touches rows still leased to this
   * owner, so a late write never finishes a delivery another worker took over.
   * Returns the time written, or null when it was not.
   */
  private async write(batch: AttemptResult[]): Promise<number | null> {
    const first = this.clock.now();
    for (let backoff = RETRY_FIRST_MS; ; backoff = Math.min(backoff * 2, RETRY_MAX_MS)) {
      const now = this.opts.writtenAt?.() ?? this.clock.now();
      try {
        await writeResults(this.store, this.opts.owner, batch, now);
        return now;
      } catch (err) {
        const retry = !this.closing && isConnectionLost(err) && this.clock.now() + backoff - first < (this.opts.giveUpMs ?? DEFAULT_GIVE_UP_MS);
        this.opts.log(retry ? `writing attempt results failed; trying again in ${backoff} ms` : 'writing attempt results failed', err);
        if (!retry) return null;
        await new Promise((resolve) => this.clock.setTimeout(() => resolve(undefined), backoff));
      }
    }
  }

  /** Stopping: a write that fails is not retried any more (its rows' leases run out instead). */
  close(): void {
    this.closing = true;
  }

  /** Resolves when the writes started so far are done. */
  settled(): Promise<void> {
    return this.writing;
  }
}
