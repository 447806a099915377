const DAY_MS = 86_400_000;

/** How long rows are kept; 0 keeps them forever. */
export interface RetentionPolicy {
  /** Events (the pull API and replay), and failed deliveries nobody retried (STOCKHOOK_RETENTION_EVENTS_DAYS). */
  eventsMs: number;
  /** Deliveries that succeeded, were dropped or cancelled, counted from completion (STOCKHOOK_RETENTION_DELIVERIES_DAYS). */
  deliveriesMs: number;
  /** Attempt logs with their stored responses, of any delivery (STOCKHOOK_RETENTION_ATTEMPTS_DAYS). */
  attemptsMs: number;
}

/** What a user would expect: a month of delivery logs, a quarter of event history. */
export const DEFAULT_RETENTION: RetentionPolicy = { eventsMs: 90 * DAY_MS, deliveriesMs: 30 * DAY_MS, attemptsMs: 30 * DAY_MS };

export const days = (n: number): number => n * DAY_MS;
