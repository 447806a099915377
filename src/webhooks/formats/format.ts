import type { Principal } from '../../accounts/tokens.js';
import type { WriteScope } from '../../context.js';
import type { StoredEvent } from '../../events/catalog.js';
import type { Tx } from '../../storage/database.js';
import type { Subscription } from '../subscription.js';

/** What a format needs to know about the account it renders for. */
export interface AccountInfo {
  id: string;
  number: number;
  slug: string;
}

export interface RenderContext {
  tx: Tx;
  account: AccountInfo;
  now: number;
  /** This server's public base URL, for links back to it (Kladana's reportUrl). */
  publicUrl: string;
  /** The id of the delivery being rendered (Kladana puts it in ?requestId=). */
  deliveryId: string;
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

export type Judgement =
  | { outcome: 'success' }
  | { outcome: 'retry'; reason: string; retryAfterMs?: number }
  /** The endpoint said it is gone for good (410): disable the subscription. */
  | { outcome: 'gone'; reason: string };

/**
 * A wire format: a small pure module that decides which canonical events it takes, how it renders
 * them into a request, how it signs each attempt and how it judges the response.
 *
 * @example
 * const format: WebhookFormat = {
 *   name: 'native', retrySchedule: [5, 300], timeoutMs: 15_000, whenExhausted: 'failed',
 *   takes: (e) => true,
 *   render: async (e, sub, ctx) => ({ body: JSON.stringify(e.data), headers: { 'content-type': 'application/json' } }),
 *   attemptHeaders: () => ({}),
 *   judge: (r) => (r.status < 300 ? { outcome: 'success' } : { outcome: 'retry', reason: `HTTP ${r.status}` }),
 * };
 */
export interface WebhookFormat {
  readonly name: string;
  /** Seconds between attempts: the first retry waits retrySchedule[0]; its length is the number of retries. */
  readonly retrySchedule: readonly number[];
  /** Whether delays get ±10% jitter, so a recovering endpoint is not hit by every retry at once. */
  readonly jitter: boolean;
  readonly timeoutMs: number;
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
  /** Renders inside the writing transaction (it may read current state through ctx.tx). */
  render(event: StoredEvent, sub: Subscription, ctx: RenderContext): Promise<Rendered | null>;
  /** Headers computed per attempt, e.g. a signature over a fresh timestamp. */
  attemptHeaders(delivery: { id: string; body: string }, sub: Subscription, nowMs: number): Record<string, string>;
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
