import { databaseLabel } from './database-label.js';
import { isPostgresUrl } from './database-url.js';

/**
 * A failure to reach the database in one line a person can act on: where the database was looked
 * for (host and port, never the user or the password) and what to check. Used at start (the one
 * line `serve` exits with), by readiness and in 503 answers.
 */

/** Where the database is: `PostgreSQL at host:port`, or the SQLite file. */
export function databaseWhere(url: string): string {
  if (!isPostgresUrl(url)) return databaseLabel(url);
  try {
    const u = new URL(url);
    // libpq's forms: a socket folder or a host in ?host=, a port in ?port=.
    const host = decodeURIComponent(u.hostname) || u.searchParams.get('host') || 'localhost';
    const port = u.port || u.searchParams.get('port') || '5432';
    return host.startsWith('/') ? `PostgreSQL at the socket in ${host} (port ${port})` : `PostgreSQL at ${host}:${port}`;
  } catch {
    return 'PostgreSQL (the database URL cannot be read)';
  }
}

interface Coded {
  code?: string;
  message: string;
}

/** The first error in the chain (causes, AggregateError's list) that carries a code, else the outermost. */
function rootCause(err: unknown): Coded {
  const seen: unknown[] = [];
  const queue: unknown[] = [err];
  while (queue.length > 0 && seen.length < 10) {
    const e = queue.shift();
    if (e === null || typeof e !== 'object' || seen.includes(e)) continue;
    seen.push(e);
    const { code, message, cause, errors } = e as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
    if (typeof code === 'string') return { code, message: typeof message === 'string' ? message : code };
    if (Array.isArray(errors)) queue.push(...errors);
    queue.push(cause);
  }
  return { message: err instanceof Error ? err.message : String(err) };
}

const SOURCE = 'the database URL (--db or STOCKHOOK_DATABASE_URL)';

/** One line: what failed, where, and what to check. */
export function connectionProblem(url: string, err: unknown): string {
  const where = databaseWhere(url);
  const { code, message } = rootCause(err);
  if (!isPostgresUrl(url)) return `${where}: ${message}`;
  switch (code) {
    case 'ECONNREFUSED':
      return `${where} refused the connection: is PostgreSQL running and listening on that address and port? Check the host and port of ${SOURCE}`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${where}: the host name does not resolve; check the host of ${SOURCE}`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${where} cannot be reached (${code}): check the host and port of ${SOURCE}, and any firewall in between`;
    case '28000':
      // The same SQLSTATE for a missing role and for no pg_hba.conf line: the message tells them apart.
      if (/role .* does not exist/.test(message)) return `${where}: ${message}; create the role (createuser) or fix the user in ${SOURCE}`;
      return `${where} refused this client (${message}): add a pg_hba.conf line for this host, user and database, then reload PostgreSQL`;
    case '28P01':
      return `${where}: ${message}; check the user and password in ${SOURCE}, and the pg_hba.conf method for this host`;
    case '3D000':
      return `${where}: ${message}; create it (createdb) or fix the database name in ${SOURCE}`;
    case '57P01':
    case '57P02':
    case '57P03':
      return `${where} is shutting down or starting up (${message}): wait for it, or check that it is running`;
  }
  if (code !== undefined && /^08/.test(code)) return `${where}: the connection failed (${message}); is PostgreSQL running, and does pg_hba.conf let this host in?`;
  if (/timeout/i.test(message)) return `${where} did not answer in time: is it running and reachable at that host and port (${SOURCE})?`;
  if (/connection terminated|not queryable/i.test(message)) {
    return `${where}: the connection was lost (${message}); PostgreSQL may be restarting or failing over; if it lasts, check that it is running`;
  }
  return `${where}: ${message}`;
}

/** A start that could not reach the database: the message is the one line to show, the cause the driver's error. */
export class DatabaseUnreachableError extends Error {
  constructor(url: string, cause: unknown) {
    super(connectionProblem(url, cause), { cause });
    this.name = 'DatabaseUnreachableError';
  }
}
