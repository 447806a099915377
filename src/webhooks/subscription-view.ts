import type { FormatName } from '../receiver/formats.js';
import { effectiveSchedule, formatOf } from './formats/registry.js';
import type { Subscription } from './subscription-row.js';

/** What clients see: no secret (it is shown once, at creation), passwords masked. */
export interface SubscriptionView {
  id: string;
  url: string;
  format: FormatName;
  events: string[] | null;
  enabled: boolean;
  disabledReason: string | null;
  basicAuth: { username: string } | null;
  bearerToken: boolean;
  retrySchedule: number[];
  /**
   * Whether it retries on its format's own schedule: the vendor's promise for MetaKocka, Kladana
   * and Poster, stockhook's default for the others. False once `retrySchedule` overrides it.
   */
  followsVendorSchedule: boolean;
  coalesceSeconds: number | null;
  maxInFlight: number;
  options: Record<string, unknown>;
  failingSince: string | null;
  /** The endpoint failed repeatedly: nothing is sent to it until then, when one probe goes out. */
  pausedUntil: string | null;
  createdAt: string;
  updatedAt: string;
  secret?: string;
}

export function toView(s: Subscription, withSecret = false): SubscriptionView {
  const format = formatOf(s.format);
  return {
    id: s.id,
    url: s.url,
    format: s.format,
    events: s.events,
    enabled: s.enabled,
    disabledReason: s.disabledReason,
    basicAuth: s.basicAuth ? { username: s.basicAuth.username } : null,
    bearerToken: s.bearerToken !== null,
    retrySchedule: effectiveSchedule(format, s.retryScheduleOverride),
    followsVendorSchedule: followsFormatSchedule(s.retryScheduleOverride, format.retrySchedule),
    coalesceSeconds: format.coalesce ? (s.coalesceSeconds ?? format.coalesce.defaultSeconds) : null,
    maxInFlight: s.maxInFlight,
    options: s.options,
    failingSince: s.failingSince === null ? null : new Date(s.failingSince).toISOString(),
    pausedUntil: s.pausedUntil === null ? null : new Date(s.pausedUntil).toISOString(),
    createdAt: new Date(s.createdMs).toISOString(),
    updatedAt: new Date(s.updatedMs).toISOString(),
    ...(withSecret && { secret: s.secret }),
  };
}

/** An override equal to the format's own schedule changes nothing, so it still follows it. */
function followsFormatSchedule(override: readonly number[] | null, own: readonly number[]): boolean {
  return override === null || (override.length === own.length && override.every((x, i) => x === own[i]));
}
