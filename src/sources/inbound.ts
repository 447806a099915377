import { writeTx, type Ctx } from '../context.js';
import { AppError, toError } from '../errors.js';
import { verify } from '../receiver/verify.js';
import { timeOrderedId } from '../storage/time-ordered-id.js';
import { bookBalances, boundedKey } from './booking.js';
import { newLease } from './fetch-queue.js';
import { claimDelivery, outcomeOf, ReportFetcher, type ReportFetchOptions } from './report-fetcher.js';
import { writeLog, type LogEntry, type Outcome } from './request-log.js';
import { sourceByToken, type Source } from './sources.js';
import { bookStockItem } from './stock-item-booking.js';
import { BadPayload, VENDORS, type Answer, type Parsed } from './vendors.js';

export interface InboundRequest {
  token: string;
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, string | undefined>;
  /** The raw body, exactly as received: the signatures are over these bytes. */
  body: Buffer;
}

const NO_SOURCE: Answer = { status: 404, body: '', contentType: null };
const badRequest = (message: string): Answer => ({ status: 400, body: JSON.stringify({ error: message }), contentType: 'application/json' });
const SERVER_ERROR: Answer = { status: 500, body: JSON.stringify({ error: 'not booked; send it again' }), contentType: 'application/json' };
const utf8 = new TextDecoder('utf-8', { fatal: true });

type Base = Pick<LogEntry, 'id' | 'accountId' | 'sourceId' | 'receivedMs' | 'headers' | 'body'>;
type Result = Pick<LogEntry, 'deliveryKey' | 'verified' | 'verifyReason' | 'outcome' | 'detail'> & { answer: Answer };

/**
 * The inbound side of sources: verifies a vendor's request with the vendor's own scheme (the
 * receiver library's verify), answers as that vendor expects, books what it reports exactly once
 * per vendor delivery identity, and logs every request. Kladana's report is fetched after the
 * answer (Kladana wants one within 1500 ms) by the ReportFetcher, which tries again after a failure
 * and picks up, at start, what a stopped process left unfetched.
 */
export class Inbox {
  private readonly fetcher: ReportFetcher;

  constructor(
    private readonly ctx: Ctx,
    fetches: ReportFetchOptions = {},
  ) {
    this.fetcher = new ReportFetcher(ctx, fetches);
  }

  async receive(req: InboundRequest): Promise<Answer> {
    const { ctx } = this;
    const source = await sourceByToken(ctx.store.db, req.token);
    if (!source) return NO_SOURCE;
    const vendor = VENDORS[source.format];
    const now = ctx.now();
    const base: Base = { id: timeOrderedId(now), accountId: source.accountId, sourceId: source.id, receivedMs: now, headers: req.headers, body: req.body };
    const log = async (r: Result): Promise<Answer> => {
      await writeTx(ctx, source.accountId, ({ tx }) => writeLog(tx, { ...base, ...r }));
      return r.answer;
    };
    // Kladana signs nothing: the unguessable path is what protects its source.
    const v = source.format === 'kladana' ? { valid: true as const } : verify(source.format, { headers: req.headers, body: req.body, secret: source.secret ?? [], now });
    if (!v.valid) return log({ deliveryKey: null, verified: false, verifyReason: v.reason, answer: vendor.refused, outcome: 'refused', detail: {} });
    const verified = { verified: true, verifyReason: null };
    if (!source.enabled) return log({ deliveryKey: null, ...verified, answer: vendor.refused, outcome: 'refused', detail: { reason: 'the source is disabled' } });
    let json: unknown;
    try {
      json = JSON.parse(utf8.decode(req.body));
    } catch {
      return log({ deliveryKey: null, ...verified, answer: badRequest('the body is not UTF-8 JSON'), outcome: 'failed', detail: { reason: 'the body is not UTF-8 JSON' } });
    }
    const parts = { headers: req.headers, query: req.query, json };
    const given = vendor.deliveryKey(parts);
    const deliveryKey = given === null ? null : boundedKey(given);
    let parsed: Parsed;
    try {
      parsed = vendor.parse(parts);
    } catch (err) {
      if (!(err instanceof BadPayload)) throw err;
      return log({ deliveryKey, ...verified, answer: badRequest(err.message), outcome: 'failed', detail: { reason: err.message } });
    }
    if (parsed.kind === 'ignored') return log({ deliveryKey, ...verified, answer: vendor.ok, outcome: 'ignored', detail: { reason: parsed.reason } });
    if (parsed.kind === 'report') {
      if (deliveryKey !== null && (await this.seen(source, deliveryKey))) {
        return log({ deliveryKey, ...verified, answer: vendor.ok, outcome: 'duplicate', detail: {} });
      }
      // Logged with this process's claim on the fetch, in the write that records the request: if
      // the process stops before booking, the claim runs out and the fetch is not lost.
      const fetch = { dueMs: now + this.fetcher.leaseMs, lease: newLease() };
      const detail = { reportUrl: parsed.url, reportType: parsed.reportType };
      await writeTx(ctx, source.accountId, ({ tx }) => writeLog(tx, { ...base, deliveryKey, ...verified, answer: vendor.ok, outcome: 'pending', detail, fetch }));
      this.fetcher.run({ requestId: base.id, accountId: source.accountId, sourceId: source.id, receivedMs: now, deliveryKey, ...detail, attempts: 1, lease: fetch.lease });
      return vendor.ok;
    }
    try {
      return await writeTx(ctx, source.accountId, async (scope) => {
        const r = (outcome: Outcome, detail: Record<string, unknown>): Result => ({ deliveryKey, ...verified, answer: vendor.ok, outcome, detail });
        let result: Result;
        if (deliveryKey !== null && !(await claimDelivery(scope, source, deliveryKey, base.id))) result = r('duplicate', {});
        else if (parsed.kind === 'balances') {
          const booked = await bookBalances(scope, source, parsed.rows.map((row) => ({ row })), `source:${source.id}:${base.id}`, base.id);
          result = r(outcomeOf(booked), { ...booked });
        } else {
          const item = await bookStockItem(scope, source, parsed);
          result = r(item.stale ? 'stale' : 'booked', { ...item });
        }
        await writeLog(scope.tx, { ...base, ...result });
        return result.answer;
      }).then((o) => o.result);
    } catch (err) {
      // A refusal of the ledger (a count below the reserved units, say) is the same on every
      // retry: answered as received, logged as failed. Anything else asks the vendor to retry.
      const known = err instanceof AppError;
      return log({ deliveryKey, ...verified, answer: known ? vendor.ok : SERVER_ERROR, outcome: 'failed', detail: { reason: toError(err).message } });
    }
  }

  /** Starts fetching the reports a stop or a failure left unfetched (at start, and as they come due). */
  start(): void {
    this.fetcher.start();
  }

  /** Stops; fetches under way are left due for the next start. */
  stop(): Promise<void> {
    return this.fetcher.stop();
  }

  /** Waits for the report fetches under way. */
  idle(): Promise<void> {
    return this.fetcher.idle();
  }

  private async seen(source: Source, key: string): Promise<boolean> {
    const row = await this.ctx.store.db.selectFrom('source_deliveries').select('request_id').where('source_id', '=', source.id).where('delivery_key', '=', key).executeTakeFirst();
    return row !== undefined;
  }
}
