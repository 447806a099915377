import type { Selectable, SelectQueryBuilder } from 'kysely';
import type { Principal } from '../accounts/tokens.js';
import { notFound } from '../errors.js';
import { isFormatName, type FormatName } from '../receiver/formats.js';
import type { Db, Tx } from '../storage/database.js';
import type { Database, WebhookTable } from '../storage/schema.js';

/*
 * One concept, one name: a subscription is a webhook endpoint with its format, filter and secret.
 * The public routes (/api/v1/webhooks), the table (`webhooks`) and wire fields (`webhookId`) keep
 * the name the public contract gave them; code and docs say subscription.
 */

/** A subscription as the delivery engine sees it (secrets included: never send this to a client). */
export interface Subscription {
  id: string;
  accountId: string;
  url: string;
  format: FormatName;
  events: string[] | null;
  secret: string;
  /**
   * The secret a rotation replaced and until when it still signs beside `secret` (Standard Webhooks
   * formats only); null when none. Never shown to a client.
   */
  previousSecret: { secret: string; untilMs: number } | null;
  basicAuth: { username: string; password: string } | null;
  bearerToken: string | null;
  enabled: boolean;
  disabledReason: string | null;
  /** The override, or null for the format's default. */
  retryScheduleOverride: number[] | null;
  coalesceSeconds: number | null;
  maxInFlight: number;
  options: Record<string, unknown>;
  tokenKind: string;
  /** The application whose token created it; null when the account's user did. */
  authorApplicationId: number | null;
  failingSince: number | null;
  /** Its circuit breaker is open for every worker until then (delivery/breaker/); null when closed. */
  pausedUntil: number | null;
  /**
   * Being removed since then (an uninstalled application's): it takes only the event that
   * removed it, and is deleted once that delivery ends (fan-out.ts wants(), migration 020).
   */
  removingSince: number | null;
  createdMs: number;
  updatedMs: number;
}

export const toSubscription = (r: Selectable<WebhookTable>): Subscription => ({
  id: r.id,
  accountId: r.account_id,
  url: r.url,
  format: formatName(r.format),
  events: r.events ? (JSON.parse(r.events) as string[]) : null,
  secret: r.secret,
  previousSecret:
    r.previous_secret === null || r.previous_secret_until_ms === null ? null : { secret: r.previous_secret, untilMs: Number(r.previous_secret_until_ms) },
  basicAuth: r.basic_username !== null ? { username: r.basic_username, password: r.basic_password ?? '' } : null,
  bearerToken: r.bearer_token,
  enabled: r.enabled === 1,
  disabledReason: r.disabled_reason,
  retryScheduleOverride: r.retry_schedule ? (JSON.parse(r.retry_schedule) as number[]) : null,
  coalesceSeconds: r.coalesce_seconds,
  maxInFlight: r.max_in_flight,
  options: JSON.parse(r.options) as Record<string, unknown>,
  tokenKind: r.token_kind,
  authorApplicationId: r.author_application_id,
  failingSince: r.failing_since_ms === null ? null : Number(r.failing_since_ms),
  pausedUntil: r.paused_until_ms === null ? null : Number(r.paused_until_ms),
  removingSince: r.removing_ms === null ? null : Number(r.removing_ms),
  createdMs: Number(r.created_ms),
  updatedMs: Number(r.updated_ms),
});

/**
 * The subscription as it signs at `now` (the domain clock): a previous secret whose grace period
 * is over is dropped, so only the current secret signs.
 */
export function signingAt(sub: Subscription, now: number): Subscription {
  return sub.previousSecret !== null && sub.previousSecret.untilMs <= now ? { ...sub, previousSecret: null } : sub;
}

/** The secrets a Standard Webhooks delivery is signed with: the current one first. */
export function signingSecrets(sub: Subscription): string[] {
  return sub.previousSecret === null ? [sub.secret] : [sub.secret, sub.previousSecret.secret];
}

function formatName(s: string): FormatName {
  // Only the API writes this column, and it accepts only known names.
  if (!isFormatName(s)) throw new Error(`subscription row with unknown format ${s}`);
  return s;
}

/**
 * Who asks for subscriptions: an account id alone is the account's user or the engine (every
 * subscription of the account); a principal whose token is an application's sees only the
 * subscriptions that application created, and the others answer 404 as another account's do.
 */
export type SubscriptionOwner = string | Pick<Principal, 'accountId' | 'tokenKind' | 'applicationId'>;

/** The application a principal's reads are narrowed to, or null for the whole account. */
export function authorScope(owner: SubscriptionOwner): { accountId: string; applicationId: number | null } {
  if (typeof owner === 'string') return { accountId: owner, applicationId: null };
  // An application token without an application id matches nothing rather than everything.
  return { accountId: owner.accountId, applicationId: owner.tokenKind === 'application' ? (owner.applicationId ?? -1) : null };
}

function owned<Q extends SelectQueryBuilder<Database, 'webhooks', object>>(q: Q, owner: SubscriptionOwner): Q {
  const s = authorScope(owner);
  const scoped = q.where('webhooks.account_id', '=', s.accountId);
  return (s.applicationId === null ? scoped : scoped.where('webhooks.author_application_id', '=', s.applicationId)) as Q;
}

/**
 * The ids of the subscriptions an application token may see, as a subquery for narrowing rows
 * that hang off a subscription (deliveries, attempts, replays); null when the owner sees the whole
 * account. Rows of the user's or another application's subscriptions then answer 404 or are left
 * out of lists, as the subscriptions themselves are.
 */
export function ownedSubscriptionIds(db: Db | Tx, owner: SubscriptionOwner) {
  const s = authorScope(owner);
  if (s.applicationId === null) return null;
  return db.selectFrom('webhooks').select('webhooks.id').where('webhooks.account_id', '=', s.accountId).where('webhooks.author_application_id', '=', s.applicationId);
}

/**
 * The owner's subscription, or 404. One being removed is gone for its account (its last hook is on
 * its way and nothing about it can change any more): it answers 404 here and lists leave it out.
 */
export async function findSubscription(db: Db | Tx, owner: SubscriptionOwner, id: string): Promise<Subscription> {
  const row = await owned(db.selectFrom('webhooks').selectAll(), owner).where('id', '=', id).where('removing_ms', 'is', null).executeTakeFirst();
  if (!row) throw notFound('webhook', id);
  return toSubscription(row);
}

export async function listSubscriptions(db: Db, owner: SubscriptionOwner, filter: { format?: string } = {}): Promise<Subscription[]> {
  let q = owned(db.selectFrom('webhooks').selectAll(), owner).where('removing_ms', 'is', null);
  if (filter.format) q = q.where('format', '=', filter.format);
  return (await q.orderBy('created_ms').orderBy('id').execute()).map(toSubscription);
}

