import type { Selectable } from 'kysely';
import { notFound } from '../errors.js';
import { isFormatName, type FormatName } from '../receiver/formats.js';
import type { Db, Tx } from '../storage/database.js';
import type { WebhookTable } from '../storage/schema.js';

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
  failingSince: number | null;
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
  basicAuth: r.basic_username !== null ? { username: r.basic_username, password: r.basic_password ?? '' } : null,
  bearerToken: r.bearer_token,
  enabled: r.enabled === 1,
  disabledReason: r.disabled_reason,
  retryScheduleOverride: r.retry_schedule ? (JSON.parse(r.retry_schedule) as number[]) : null,
  coalesceSeconds: r.coalesce_seconds,
  maxInFlight: r.max_in_flight,
  options: JSON.parse(r.options) as Record<string, unknown>,
  tokenKind: r.token_kind,
  failingSince: r.failing_since_ms === null ? null : Number(r.failing_since_ms),
  createdMs: Number(r.created_ms),
  updatedMs: Number(r.updated_ms),
});

function formatName(s: string): FormatName {
  // Only the API writes this column, and it accepts only known names.
  if (!isFormatName(s)) throw new Error(`subscription row with unknown format ${s}`);
  return s;
}

export async function findSubscription(db: Db | Tx, accountId: string, id: string): Promise<Subscription> {
  const row = await db.selectFrom('webhooks').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('webhook', id);
  return toSubscription(row);
}

export async function listSubscriptions(db: Db, accountId: string, filter: { format?: string } = {}): Promise<Subscription[]> {
  let q = db.selectFrom('webhooks').selectAll().where('account_id', '=', accountId);
  if (filter.format) q = q.where('format', '=', filter.format);
  return (await q.orderBy('created_ms').orderBy('id').execute()).map(toSubscription);
}

