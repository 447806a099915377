/**
 * When a Kladana report whose fetch failed is fetched again. Kladana does not resend a notification
 * it got an answer to, so stockhook is the one that must try again; the bound keeps a report that
 * never comes from being fetched forever, and the log then says so (`fetch_failed`).
 */
export interface FetchRetryPolicy {
  /** The wait after the first failed try; each later wait doubles it. */
  firstDelayMs: number;
  /** No wait is longer than this. */
  maxDelayMs: number;
  /** Tries in all (the first included); the last failure ends the request `fetch_failed`. */
  maxAttempts: number;
  /** No try is planned later than this after the notification was received. */
  maxAgeMs: number;
}

/**
 * 1 s, 2 s, 4 s … up to 5 minutes between tries, at most 12 tries within an hour: about
 * 19 minutes of trying, long enough for a restart or a short outage of Kladana's API, short enough
 * that the next notification (which brings the newer balance anyway) is not long awaited.
 */
export const DEFAULT_FETCH_RETRY: FetchRetryPolicy = { firstDelayMs: 1000, maxDelayMs: 5 * 60_000, maxAttempts: 12, maxAgeMs: 60 * 60_000 };

export type FetchDecision = { retry: true; atMs: number; delayMs: number } | { retry: false; reason: string };

/**
 * Decides after a failed try: `attempts` tries made so far (this one included), the notification
 * received at `receivedMs`, the clock at `nowMs`. Pure, so the schedule is tested as a table.
 */
export function nextFetch(policy: FetchRetryPolicy, attempts: number, receivedMs: number, nowMs: number): FetchDecision {
  if (attempts >= policy.maxAttempts) return { retry: false, reason: `gave up after ${attempts} tries` };
  const exponent = Math.max(0, attempts - 1);
  // 2 ** exponent grows past any cap long before it loses precision; min() keeps it bounded.
  const delayMs = Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** Math.min(exponent, 40));
  const atMs = nowMs + delayMs;
  if (atMs - receivedMs > policy.maxAgeMs) return { retry: false, reason: `gave up after ${attempts} tries: the next would come more than ${policy.maxAgeMs} ms after the notification` };
  return { retry: true, atMs, delayMs };
}
