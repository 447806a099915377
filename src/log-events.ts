/**
 * The log records an operator can rely on: each has a stable `code` and one level, listed here and
 * in docs/operations/metrics-and-logs.md (a test keeps the two equal). A collector filters on the
 * code, never on the wording of the message, which may change.
 *
 * This module imports nothing, so every layer, storage included, can log through it.
 */
export const LOG_EVENTS = {
  'server.started': 'info',
  'server.stopping': 'info',
  'server.stop_failed': 'error',
  'admin_token.written': 'info',
  'request.completed': 'debug',
  'request.slow': 'info',
  'request.rejected': 'info',
  'request.failed': 'error',
  'document.refused': 'info',
  'delivery.succeeded': 'debug',
  'delivery.attempt_failed': 'warn',
  'breaker.paused': 'warn',
  'breaker.resumed': 'info',
  'subscription.auto_disabled': 'warn',
  'retention.pass': 'info',
  'migration.start': 'info',
  'migration.end': 'info',
  'migration.current': 'debug',
} as const;

export type LogCode = keyof typeof LOG_EVENTS;
export type LogLevel = (typeof LOG_EVENTS)[LogCode];

/** What a record carries besides its code and message; never a secret. */
export type LogFields = Record<string, unknown>;

/** The part of a pino logger the domain logs through (a test passes a recorder). */
export type EventLog = Record<LogLevel, (fields: LogFields & { code: LogCode }, msg: string) => void>;

/** Logs `code` at its level from LOG_EVENTS, so a code's level is decided in one place. */
export function logEvent(log: EventLog | undefined, code: LogCode, fields: LogFields, msg: string): void {
  log?.[LOG_EVENTS[code]]({ code, ...fields }, msg);
}

/**
 * A webhook URL as a log line may show it: scheme, host, port and path. The query string and any
 * user:password are left out: receivers put tokens there.
 */
export function endpointOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(an unparseable URL)';
  }
}
