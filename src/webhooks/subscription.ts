import type { Selectable } from 'kysely';
import type { WebhookTable } from '../storage/schema.js';

/** A subscription as the delivery engine sees it (secrets included: never send this to a client). */
export interface Subscription {
  id: string;
  accountId: string;
  url: string;
  format: string;
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
  format: r.format,
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
