import type { Principal } from '../../accounts/tokens.js';
import type { WriteScope } from '../../context.js';
import type { StoredEvent } from '../../events/catalog.js';
import type { FormatName } from '../../receiver/formats.js';
import type { Tx } from '../../storage/database.js';
import type { Subscription } from '../subscription-row.js';

/** What a format needs to know about the account it renders for. */
export interface AccountInfo {
  id: string;
  number: number;
  slug: string;
}

/**
 * Domain data a format may ask for while rendering. compose.ts hands the inventory's implementation
 * to the fan-out, so formats never import the domain modules that write the events they render.
 */
export interface DomainReads {
  /**
   * The product's stock list as `GET /api/v1/stock/metakocka` renders it; null when the product is
   * gone. `touched`: the keys the change being sent moved, listed even at zero.
   */
  metakockaStockList(tx: Tx, accountId: string, productId: number, touched: readonly TouchedKey[]): Promise<string | null>;
}

/** One stock key of a product, as a stock.changed event names it (absent parts ''). */
export interface TouchedKey {
  warehouseId: number;
  size: string;
  lot: string;
  expiry: string;
  serial: string;
  location: string;
}

/**
 * What a format may read while sending one attempt. compose.ts hands the applications' secret
 * store; nothing else reads it, and nothing of it is stored in a delivery or an attempt.
 */
export interface AttemptReads {
  /** The access token of an application installed in the account; null once it is uninstalled. */
  applicationToken(accountId: string, applicationId: number): Promise<string | null>;
}

/** The body one attempt sends, or why the delivery is not to be sent at all (it ends `cancelled`). */
export type FinalBody = { body: string } | { cancel: string };

export interface RenderContext {
  /** The writing transaction: renders read the state that this very change produced. */
  tx: Tx;
  reads: DomainReads;
  account: AccountInfo;
  now: number;
  /** This server's public base URL, for links back to it (Kladana's reportUrl). */
  publicUrl: string;
  /** The id of the delivery being rendered (Kladana puts it in ?requestId=). */
  deliveryId: string;
  /**
   * Every event being rendered with this one, in order: the write's events at fan-out, the page's
   * on replay. A format that folds several events into one request (collapseKey, coalescing) reads
   * here what the folded ones changed.
   */
  batch: readonly StoredEvent[];
}

/** The part of a request fixed at fan-out time and stored: every attempt sends these same bytes. */
export interface Rendered {
  body: string;
  /** Headers that never change between attempts (content-type, event name, ...). */
  headers: Record<string, string>;
  /** Full target URL when the format adds a query (Kladana's ?requestId=); defaults to the subscription URL. */
  url?: string;
  /** Coalescing formats: at most one not-yet-sent delivery per key; later events fold into it. */
  coalesceKey?: string;
  /** When the delivery is due (the end of a coalescing window); defaults to now. */
  dueAt?: number;
}

export interface AttemptResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The first 64 KiB of the response body. */
  body: string;
}

/** What a format makes of a response; what follows it (when to retry, whether to give up) is decide()'s. */
export type Judgement =
  | { outcome: 'success' }
  | { outcome: 'retry'; reason: string }
  /** The endpoint said it is gone for good (410): disable the subscription. */
  | { outcome: 'gone'; reason: string };

/** What a healthy receiver of the format answers (`stockhook listen` answers this). */
export interface HealthyAnswer {
  status: number;
  body: string;
}

/**
 * A wire format, one slice: which canonical events it takes, how it renders them into a request,
 * how it signs each attempt (with the functions of src/receiver/signatures.ts, which receivers
 * verify with), how it judges the response, what a healthy receiver answers, and its retry
 * schedule. Judging, signing and options are pure. Rendering reads the database through the
 * transaction in its RenderContext (MetaKocka's stock list, Poster's warehouse totals, Marketplace's
 * free counts), and checkSubscription reads and locks sibling subscriptions (Kladana's limits).
 *
 * @example
 * const format: WebhookFormat = {
 *   name: 'native', retrySchedule: [5, 300], jitter: true, timeoutMs: 15_000, whenExhausted: 'failed',
 *   honoursRetryAfter: true, healthyAnswer: { status: 200, body: '' },
 *   takes: (e) => true,
 *   render: async (e, sub, ctx) => ({ body: JSON.stringify(e.data), headers: { 'content-type': 'application/json' } }),
 *   attemptHeaders: () => ({}),
 *   judge: (r) => (r.status < 300 ? { outcome: 'success' } : { outcome: 'retry', reason: `HTTP ${r.status}` }),
 * };
 */
export interface WebhookFormat {
  readonly name: FormatName;
  /** Seconds between attempts: the first retry waits retrySchedule[0]; its length is the number of retries. */
  readonly retrySchedule: readonly number[];
  /** Whether delays get ±10% jitter, so a recovering endpoint is not hit by every retry at once. */
  readonly jitter: boolean;
  readonly timeoutMs: number;
  /**
   * Whether stockhook's own protections apply: the circuit breaker (pausing a failing endpoint) and
   * the 5-day auto-disable. False for formats whose vendor promises a retry schedule (MetaKocka,
   * Kladana, Poster): those promises are kept exactly, never stretched or cancelled.
   */
  readonly protections: boolean;
  /**
   * An application's subscription of this format is told of the application's own uninstall (Poster:
   * `application`/`removed`), so it outlives the uninstall until that one hook has ended. Without
   * it, an application's subscriptions are deleted with the uninstall.
   */
  readonly toldOfItsRemoval?: boolean;
  /** A vendor's promise that every retry happens within this long of the delivery's creation. */
  readonly retryWindowMs?: number;
  /** Whether a 429 or 503 answer's Retry-After sets the next attempt's time (within 1 s-24 h). */
  readonly honoursRetryAfter: boolean;
  readonly healthyAnswer: HealthyAnswer;
  /** The final status of a delivery whose retries ran out. */
  readonly whenExhausted: 'failed' | 'dropped';
  /** Coalescing window, for formats that send one notification per window. */
  readonly coalesce?: { defaultSeconds: number; minSeconds: number; maxSeconds: number };
  /** Whether the format can carry this canonical event for this subscription at all. */
  takes(event: StoredEvent, sub: Subscription): boolean;
  /**
   * Events of one transaction whose renderings would be equal keep only the last (MetaKocka sends
   * the product's whole stock list, so ten changed lots of one product make one request).
   */
  collapseKey?(event: StoredEvent): string;
  /**
   * The rendering depends on the event alone (not the subscription or the delivery id): one event
   * fanned out to thirty such subscriptions is rendered once and its body string shared.
   */
  readonly sameForEverySubscription?: boolean;
  /** Renders inside the writing transaction (it may read current state through ctx.tx). */
  render(event: StoredEvent, sub: Subscription, ctx: RenderContext): Promise<Rendered | null>;
  /**
   * The format's signature header carries several signatures (Standard Webhooks), so a rotated
   * secret keeps signing beside the new one for a grace period. Formats without it (one signature
   * per header, as their vendors define) sign with the new secret from the rotation on.
   */
  readonly signsWithSeveralSecrets?: boolean;
  /** Headers computed per attempt, e.g. a signature over a fresh timestamp; with the secrets in force (signingAt). */
  attemptHeaders(delivery: { id: string; body: string }, sub: Subscription, nowMs: number): Record<string, string>;
  /**
   * The body of one attempt, from the stored one, for formats whose body depends on the send:
   * Poster's `time` is when the hook is sent and `verify` signs it, and `application`/`added`
   * carries the access token, which is read here and stored nowhere with the delivery. Headers
   * are computed over the returned body. Without it, every attempt sends the stored bytes.
   */
  finalizeBody?(delivery: { id: string; eventType: string; body: string }, sub: Subscription, reads: AttemptReads, nowMs: number): Promise<FinalBody>;
  judge(response: AttemptResponse): Judgement;
  /** Checks format-specific subscription options and returns their stored form. */
  options?(input: Record<string, unknown>): Record<string, unknown>;
  /** Checks or generates the signing secret. */
  secret?(given: string | undefined): string;
  /**
   * Format-specific rules against the account's other subscriptions, inside the writing transaction
   * (Kladana: unique url per type, per-type limits). `excludeId` is the subscription being updated.
   * Returns options to store beside those of options() (e.g. who created it), which clients cannot set.
   */
  checkSubscription?(
    scope: WriteScope,
    principal: Principal,
    candidate: { url: string; options: Record<string, unknown>; enabled: boolean },
    excludeId?: string,
  ): Promise<Record<string, unknown> | void>;
}
