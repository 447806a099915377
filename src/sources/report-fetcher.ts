import { writeTx, type Ctx, type WriteScope } from '../context.js';
import { AppError, toError } from '../errors.js';
import { bookBalances, type BookResult } from './booking.js';
import { claimDueFetches, finishFetch, nextFetchDueAt, releaseFetch, retryFetchAt, type ClaimedFetch } from './fetch-queue.js';
import { DEFAULT_FETCH_RETRY, nextFetch, type FetchRetryPolicy } from './fetch-retry.js';
import { fetchReport } from './kladana-report.js';
import type { Outcome } from './request-log.js';
import { findSource, KLADANA_API, type Source } from './sources.js';
import { kladanaRows } from './vendors.js';

export interface ReportFetchOptions {
  retry?: Partial<FetchRetryPolicy>;
  /** How long a claim holds: past the fetch's own bound (15 s) and the booking write. */
  leaseMs?: number;
  /** How often the queue is looked at when nothing is due sooner (notifications other processes took, leases of processes that died). */
  pollMs?: number;
  /** Fetches this process runs at once. */
  concurrency?: number;
  /** Where a failure of the queue itself (the database away) is reported. */
  log?: (msg: string, err: unknown) => void;
}

export const outcomeOf = (r: BookResult): Outcome =>
  r.documentIds.length > 0 || r.booked > 0 ? 'booked' : r.stale.length > 0 ? 'stale' : r.unmatched > 0 ? 'unmatched' : 'booked';

/** Records the vendor's delivery identity in the booking's own write: a retry, even a concurrent one, finds it taken. */
export async function claimDelivery(scope: WriteScope, source: Source, key: string, requestId: string): Promise<boolean> {
  const r = await scope.tx
    .insertInto('source_deliveries')
    .values({ source_id: source.id, delivery_key: key, request_id: requestId, created_ms: scope.now })
    .onConflict((oc) => oc.columns(['source_id', 'delivery_key']).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** The claim was lost to another process (its lease ran out): this write books nothing. */
class LostClaim extends Error {}

/**
 * Fetches Kladana reports and books them, from the queue the request rows keep (fetch-queue.ts): a
 * notification's first fetch runs right after the answer, a failed one is tried again on the
 * retry policy's schedule, and one this process never finished (it stopped, or died) is fetched by
 * whichever process looks next. Only the holder of a row's claim books it, so one notification
 * books once however many processes share the database.
 */
export class ReportFetcher {
  readonly leaseMs: number;
  private readonly policy: FetchRetryPolicy;
  private readonly pollMs: number;
  private readonly concurrency: number;
  private readonly running = new Set<Promise<void>>();
  private readonly aborts = new Set<AbortController>();
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private scanning: Promise<void> | null = null;
  private again = false;
  private stopped = true;

  constructor(
    private readonly ctx: Ctx,
    private readonly opts: ReportFetchOptions = {},
  ) {
    this.policy = { ...DEFAULT_FETCH_RETRY, ...opts.retry };
    this.leaseMs = opts.leaseMs ?? 60_000;
    this.pollMs = opts.pollMs ?? 60_000;
    this.concurrency = opts.concurrency ?? 8;
  }

  /** Looks for fetches due (a stop or a crash left them) now, and from then on as they come due. */
  start(): void {
    this.stopped = false;
    this.wake(0);
  }

  /** Stops looking; fetches under way are cut short and left due at once for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.scanning;
    for (const a of this.aborts) a.abort();
    await this.idle();
  }

  /** Waits for the fetches under way. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /** Fetches a report whose claim this process holds (the notification just answered). */
  run(c: ClaimedFetch): void {
    const p = this.fetchAndBook(c);
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
  }

  private wake(delayMs: number): void {
    if (this.stopped) return;
    const at = Date.now() + delayMs;
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      void this.scan();
    }, delayMs);
    this.timer.unref();
  }

  private scan(): Promise<void> {
    if (this.scanning) {
      this.again = true;
      return this.scanning;
    }
    this.scanning = (async () => {
      let nextIn = this.pollMs;
      try {
        do {
          this.again = false;
          const room = this.concurrency - this.running.size;
          if (room > 0 && !this.stopped) {
            const now = this.ctx.now();
            for (const c of await claimDueFetches(this.ctx.store, { now, leaseMs: this.leaseMs, limit: room })) this.run(c);
          }
        } while (this.again && !this.stopped);
        const now = this.ctx.now();
        const next = await nextFetchDueAt(this.ctx.store, now);
        if (next !== null) nextIn = Math.min(this.pollMs, Math.max(0, next - now));
      } catch (err) {
        this.opts.log?.('sources: looking for report fetches due failed', err);
      } finally {
        this.scanning = null;
      }
      this.wake(nextIn);
    })();
    return this.scanning;
  }

  private async fetchAndBook(c: ClaimedFetch): Promise<void> {
    const { ctx } = this;
    const abort = new AbortController();
    this.aborts.add(abort);
    const detail = { reportUrl: c.reportUrl, reportType: c.reportType, attempts: c.attempts };
    const end = (outcome: Outcome, more: Record<string, unknown>) => writeTx(ctx, c.accountId, ({ tx }) => finishFetch(tx, c, outcome, { ...detail, ...more }));
    try {
      let source: Source;
      try {
        source = await findSource(ctx.store.db, c.accountId, c.sourceId);
      } catch (err) {
        if (err instanceof AppError) return; // the source was deleted, and its log with it
        throw err;
      }
      const base = source.reportBaseUrl ?? KLADANA_API;
      if (!c.reportUrl.startsWith(base)) {
        await end('failed', { reason: `reportUrl is not under ${base}: not fetched, so the source's credentials go nowhere else` });
        return;
      }
      let report: unknown;
      try {
        report = await fetchReport({ url: c.reportUrl, authorization: source.reportAuthorization, allowPrivateTargets: ctx.settings.allowPrivateTargets, signal: abort.signal });
      } catch (err) {
        if (abort.signal.aborted) await writeTx(ctx, c.accountId, ({ tx }) => releaseFetch(tx, c, ctx.now()));
        else await this.failed(c, detail, err);
        return;
      }
      let rows;
      try {
        rows = kladanaRows(report, c.reportType);
      } catch (err) {
        // The report came and is not what Kladana's document describes: fetching it again reads the same.
        await end('failed', { reason: toError(err).message });
        return;
      }
      try {
        await writeTx(ctx, c.accountId, async (scope) => {
          if (!(await finishFetch(scope.tx, c, 'pending', detail))) throw new LostClaim();
          let outcome: Outcome = 'duplicate';
          let more: Record<string, unknown> = {};
          if (c.deliveryKey === null || (await claimDelivery(scope, source, c.deliveryKey, c.requestId))) {
            const booked = await bookBalances(scope, source, rows.map((row) => ({ row })), `source:${source.id}:${c.requestId}`, c.requestId);
            outcome = outcomeOf(booked);
            more = { ...booked };
          }
          await scope.tx.updateTable('source_requests').set({ outcome, detail: JSON.stringify({ ...detail, ...more }) }).where('id', '=', c.requestId).execute();
        });
      } catch (err) {
        if (err instanceof LostClaim) return;
        // A refusal of the ledger is the same on every try; anything else (the database away) may pass.
        if (err instanceof AppError) await end('failed', { reason: err.message });
        else await this.failed(c, detail, err);
      }
    } catch (err) {
      this.opts.log?.('sources: a report fetch could not record its result', err);
    } finally {
      this.aborts.delete(abort);
    }
  }

  /** A failed try: due again on the policy's schedule, or `fetch_failed` with the last error once it gives up. */
  private async failed(c: ClaimedFetch, detail: Record<string, unknown>, err: unknown): Promise<void> {
    const lastError = toError(err).message;
    const now = this.ctx.now();
    const d = nextFetch(this.policy, c.attempts, c.receivedMs, now);
    if (d.retry) {
      await writeTx(this.ctx, c.accountId, ({ tx }) => retryFetchAt(tx, c, d.atMs, { ...detail, lastError, nextAttemptAt: new Date(d.atMs).toISOString() }));
      this.wake(d.delayMs);
    } else {
      await writeTx(this.ctx, c.accountId, ({ tx }) => finishFetch(tx, c, 'fetch_failed', { ...detail, reason: lastError, gaveUp: d.reason }));
    }
  }
}
