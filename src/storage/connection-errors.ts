/**
 * Whether an error says the database could not be reached or the connection to it was lost (a
 * PostgreSQL restart, a failover, a pooler restart, a terminated backend), as opposed to an error
 * of the statement itself. Such a request did not necessarily fail for good: the caller may try
 * again once the database is back (HTTP answers 503 DATABASE_UNAVAILABLE with Retry-After). Pure,
 * so the HTTP error handler, readiness and tests classify alike.
 */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** PostgreSQL SQLSTATEs of a server going away: admin_shutdown, crash_shutdown, cannot_connect_now. */
const SERVER_GOING_AWAY = new Set(['57P01', '57P02', '57P03']);

/** node-postgres's own messages for a connection that ended under it (it sets no code on these). */
const LOST_MESSAGES = [
  'Connection terminated',
  'connection terminated',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'timeout exceeded when trying to connect',
];

export function isConnectionLost(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === 'object' && depth < 5; depth++) {
    const { code, message, cause } = e as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === 'string') {
      if (NETWORK_CODES.has(code) || SERVER_GOING_AWAY.has(code)) return true;
      // Class 08: connection exception (08000, 08003, 08006, 08001, 08004, ...).
      if (/^08[0-9A-Z]{3}$/.test(code)) return true;
    }
    if (typeof message === 'string' && LOST_MESSAGES.some((m) => message.includes(m))) return true;
    // AggregateError (a refused connection to every address of a name) and wrapped causes.
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.some((x) => isConnectionLost(x))) return true;
    e = cause;
  }
  return false;
}
