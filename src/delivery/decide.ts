import { effectiveSchedule } from '../webhooks/formats/registry.js';
import type { WebhookFormat } from '../webhooks/formats/format.js';
import type { ErrorKind, SendOutcome } from './sender.js';

/** What follows an attempt: final (succeeded, failed, dropped, gone) or another try at nextAttemptMs. */
export type AttemptOutcome = 'succeeded' | 'retry' | 'failed' | 'dropped' | 'gone';

export interface Decision {
  outcome: AttemptOutcome;
  nextAttemptMs: number | null;
  errorKind: ErrorKind | null;
  errorMessage: string | null;
  /** The breaker's input: whether the endpoint did its job. */
  endpointOk: boolean;
}

/** Retry-After never brings a retry closer than 1 s or pushes it past 24 h. */
export const RETRY_AFTER_MIN_MS = 1000;
export const RETRY_AFTER_MAX_MS = 24 * 3600 * 1000;

/** Jitter spreads retries by ±10%, so a recovering endpoint is not hit by every retry at once. */
export const JITTER = 0.1;

/**
 * What one try may take beyond its delay, in the room a retry window keeps for the tries left:
 * the request's timeout, plus a minute for the claim that picks it up and the result's write.
 */
const TRY_ALLOWANCE_MS = 60_000;

/**
 * The latest time the retry after attempt `attemptNo` may be made and still leave every later
 * retry room in the format's window: each later delay at its longest (+10% jitter), and each try,
 * this one included, its timeout and TRY_ALLOWANCE_MS, so the last try is also answered in time.
 */
export function latestRetry(format: WebhookFormat, schedule: readonly number[], attemptNo: number, createdMs: number): number {
  const stretch = format.jitter ? 1 + JITTER : 1;
  const perTry = format.timeoutMs + TRY_ALLOWANCE_MS;
  let reserve = perTry;
  for (const seconds of schedule.slice(attemptNo)) reserve += seconds * 1000 * stretch + perTry;
  return createdMs + (format.retryWindowMs ?? Infinity) - reserve;
}

/**
 * Retry-After as delay-seconds or an HTTP date (RFC 9110 10.2.3), clamped to [1 s, 24 h];
 * undefined when absent or unreadable.
 */
export function retryAfterMs(value: string | string[] | undefined, nowMs: number): number | undefined {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!v) return undefined;
  let ms: number;
  if (/^\d+$/.test(v)) ms = Number(v) * 1000;
  else if (/GMT$/.test(v)) {
    // An HTTP-date always ends in GMT; Date.parse alone would read "-5" or "1.5" as calendar years.
    const at = Date.parse(v);
    if (Number.isNaN(at)) return undefined;
    ms = at - nowMs;
  } else return undefined;
  return Math.min(Math.max(ms, RETRY_AFTER_MIN_MS), RETRY_AFTER_MAX_MS);
}

/**
 * The single place that answers "what happens after this attempt": the format judges the
 * response; this applies the retry schedule (the subscription's override or the format's), jitter,
 * Retry-After on 429/503 for formats that honour it (within a vendor's window, only as far as the
 * tries left still fit: Poster's 15 tries are never cut by it), a vendor's retry window, 410 and
 * exhaustion.
 * Pure: time and randomness come in as arguments.
 *
 * @example
 * decide(nativeFormat, null, 1, { ok: true, status: 500, headers: {}, body: '' }, 0, () => 0.5)
 * // { outcome: 'retry', nextAttemptMs: 5000, errorKind: 'bad_status', errorMessage: 'HTTP 500', endpointOk: false }
 */
export function decide(
  format: WebhookFormat,
  scheduleOverride: readonly number[] | null,
  attemptNo: number,
  sent: SendOutcome,
  now: number,
  random: () => number,
  /** When the delivery was created: a format's retryWindowMs counts from it. */
  createdMs: number = now,
): Decision {
  let errorKind: ErrorKind | null = null;
  let errorMessage: string | null = null;
  let retryAfter: number | undefined;
  if (sent.ok) {
    const judgement = format.judge(sent);
    if (judgement.outcome === 'success') return { outcome: 'succeeded', nextAttemptMs: null, errorKind, errorMessage, endpointOk: true };
    errorKind = sent.status >= 200 && sent.status < 300 ? 'bad_body' : 'bad_status';
    errorMessage = judgement.reason;
    if (judgement.outcome === 'gone') return { outcome: 'gone', nextAttemptMs: null, errorKind, errorMessage, endpointOk: false };
    if (format.honoursRetryAfter && (sent.status === 429 || sent.status === 503)) retryAfter = retryAfterMs(sent.headers['retry-after'], now);
  } else {
    errorKind = sent.kind;
    errorMessage = sent.message;
  }
  const schedule = effectiveSchedule(format, scheduleOverride);
  if (attemptNo > schedule.length) return { outcome: format.whenExhausted, nextAttemptMs: null, errorKind, errorMessage, endpointOk: false };
  const base = schedule[attemptNo - 1] * 1000;
  const scheduled = format.jitter ? base * (1 - JITTER + random() * 2 * JITTER) : base;
  let delay = scheduled;
  if (retryAfter !== undefined) {
    // A vendor window promises every try: Retry-After may bring this retry closer or push it
    // later, but never so late that the tries left after it no longer fit at the schedule's pace.
    const room = format.retryWindowMs === undefined ? Infinity : latestRetry(format, schedule, attemptNo, createdMs) - now;
    delay = Math.min(retryAfter, Math.max(scheduled, room));
  }
  let next = now + Math.round(delay);
  if (format.retryWindowMs !== undefined) {
    const closes = createdMs + format.retryWindowMs;
    // The window is the vendor's promise: past it the delivery has failed, however long it was told to wait.
    if (now >= closes) return { outcome: format.whenExhausted, nextAttemptMs: null, errorKind, errorMessage, endpointOk: false };
    next = Math.min(next, closes);
  }
  return { outcome: 'retry', nextAttemptMs: next, errorKind, errorMessage, endpointOk: false };
}
