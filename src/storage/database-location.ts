import { resolve } from 'node:path';
import { quoteValue as quoted } from '../errors.js';
import { isPostgresUrl } from './database-url.js';

/**
 * The database locations stockhook can open, checked before anything is opened (config.ts).
 */
/** A URL's user and password left out of an error line. */
const masked = (url: string): string => url.replace(/\/\/[^/@]*@/, '//…@');

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
export const DATABASE_FORMS = 'a SQLite file path (e.g. ./data/stockhook.db or /var/lib/stockhook/stockhook.db), :memory:, or a postgres:// or postgresql:// URL';

/**
 * What is wrong with a database location, or null. A location with any other scheme
 * (`mysql://`, `postgress://`, `sqlite:///x.db`, `file:x.db`) is refused: read as a file path it
 * would become a folder named after the URL holding a new, empty ledger, and the operator would see
 * nothing wrong.
 */
export function databaseUrlProblem(url: string, name: string): string | null {
  if (url.trim() === '') return `${name} is empty: give ${DATABASE_FORMS}`;
  if (url === ':memory:') return null;
  const scheme = SCHEME.exec(url)?.[1].toLowerCase();
  if (scheme === undefined) return null;
  if (scheme === 'postgres' || scheme === 'postgresql') {
    if (!/^postgres(ql)?:\/\//.test(url)) return `${name} ${quoted(masked(url))}: a PostgreSQL URL starts with postgres:// or postgresql:// (lower case)`;
    try {
      new URL(url);
      return null;
    } catch {
      return `${name}: not a valid PostgreSQL URL (postgres://user:password@host:5432/database)`;
    }
  }
  return `${name} ${quoted(masked(url))} is not a database stockhook can open: give ${DATABASE_FORMS}`;
}

/**
 * Where a first start writes the generated administrator token when no terminal is there to show
 * it: beside the SQLite file (`<file>.admin-token`, so two ledgers in one folder never share one),
 * or, for PostgreSQL and `:memory:`, which have no folder of their own, in the working directory,
 * named after the database (`stockhook-<database>.admin-token`).
 */
export function adminTokenFile(url: string, cwd: string = process.cwd()): string {
  if (url === ':memory:') return resolve(cwd, 'stockhook-memory.admin-token');
  if (!isPostgresUrl(url)) return `${resolve(cwd, url)}.admin-token`;
  let name = 'postgres';
  try {
    name = decodeURIComponent(new URL(url).pathname.slice(1)) || name;
  } catch {
    // databaseUrlProblem refused unparseable URLs before anything was opened; the default name stays.
  }
  return resolve(cwd, `stockhook-${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.admin-token`);
}

/**
 * What is wrong with the pooler settings (STOCKHOOK_PG_POOLER, STOCKHOOK_PG_LISTEN_URL) beside a
 * database location, one line each. A listen URL is the direct way to the server for the one
 * LISTEN connection that a pooler in transaction mode cannot carry: anywhere else it would be a
 * second address for the same database that nothing uses, kept by mistake.
 */
export function poolerProblems(databaseUrl: string, pooler: 'none' | 'transaction', listenUrl: string | undefined): string[] {
  const lines: string[] = [];
  const postgres = /^postgres(ql)?:\/\//.test(databaseUrl);
  if (pooler === 'transaction' && !postgres) lines.push('STOCKHOOK_PG_POOLER=transaction applies to a postgres:// database URL only (SQLite has no pooler)');
  if (listenUrl === undefined) return lines;
  if (pooler !== 'transaction') {
    lines.push('STOCKHOOK_PG_LISTEN_URL is used only with STOCKHOOK_PG_POOLER=transaction (without a pooler, LISTEN goes to the database URL itself)');
  } else if (!/^postgres(ql)?:\/\//.test(listenUrl)) {
    lines.push(`STOCKHOOK_PG_LISTEN_URL ${quoted(masked(listenUrl))} must be a postgres:// or postgresql:// URL that reaches the server directly, not through the pooler`);
  } else {
    const problem = databaseUrlProblem(listenUrl, 'STOCKHOOK_PG_LISTEN_URL');
    if (problem) lines.push(problem);
  }
  return lines;
}
