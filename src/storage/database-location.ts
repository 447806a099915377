import { quoteValue as quoted } from '../errors.js';

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
