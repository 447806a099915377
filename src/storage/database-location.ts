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
