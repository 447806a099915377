import { resolve } from 'node:path';
import { isPostgresUrl } from './database-url.js';

/** Query parameters of a PostgreSQL URL that can carry a credential (libpq's `password`, `sslpassword`, ...). */
const SECRET_PARAM = /pass|secret|token|key/i;

/**
 * The database as a log line may show it: the SQLite file's full path, or the PostgreSQL URL with
 * its password and credential-like parameters masked. Startup lines end up in log collectors and
 * screenshots, so a credential never appears there.
 */
export function databaseLabel(url: string): string {
  if (!isPostgresUrl(url)) return url === ':memory:' ? 'SQLite in memory' : `SQLite ${resolve(url)}`;
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const name of [...u.searchParams.keys()]) if (SECRET_PARAM.test(name)) u.searchParams.set(name, '***');
    return `PostgreSQL ${u.toString()}`;
  } catch {
    return 'PostgreSQL (its URL is not shown: it could not be parsed)';
  }
}
