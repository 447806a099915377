import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/*
 * One seam per database: what differs between SQLite and PostgreSQL is decided in src/storage/
 * (.dependency-cruiser.cjs forbids importing its database-specific modules from elsewhere). This
 * reads the code outside storage for the other way of asking: a dialect, an adapter or a database
 * name used as a switch. Comments may name the databases (they say why something is so); code may not.
 */

const SRC = join(import.meta.dirname, '../../src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    // The API reference's text and examples name the databases as a reader sees them; it decides nothing.
    if (e.isDirectory()) return path === join(SRC, 'storage') || path === join(SRC, 'http', 'openapi') ? [] : files(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

/** The code without its comments (a `//` after a colon or inside a quote is a URL, not a comment). */
const code = (text: string): string => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\w])\/\/.*$/gm, '$1');

const SWITCHES: Array<[string, RegExp]> = [
  ['a dialect', /\bdialect\b/i],
  ['a database test', /\bis(Postgres|Sqlite|SQLite)\w*\b/],
  ['an adapter or a Kysely dialect', /\b(Postgres|Sqlite)(Adapter|Dialect)\b/],
  ['a database name as a value', /['"`](postgres|postgresql|sqlite)['"`]/i],
  ['the store name compared', /store\.name\s*[!=]==?/],
  ['a database driver', /from ['"](pg|better-sqlite3)['"]/],
  ['the way one database numbers events', /\b(writesInCtes|numbersEventsAfterCommit|sequenceEvents\w*)\b/],
];

describe('one seam per database', () => {
  it('no code outside src/storage/ asks which database it is on', () => {
    const found: string[] = [];
    for (const file of files(SRC)) {
      const lines = code(readFileSync(file, 'utf8')).split('\n');
      lines.forEach((line, i) => {
        for (const [what, re] of SWITCHES) if (re.test(line)) found.push(`${relative(SRC, file)}:${i + 1} ${what}: ${line.trim()}`);
      });
    }
    expect(found).toEqual([]);
  });

  it('finds a switch where there is one', () => {
    const sample = "if (store.name === 'postgres') run(); // a comment naming SQLite is fine\nconst url = 'http://x'; // dialect";
    const lines = code(sample).split('\n');
    expect(lines.filter((l) => SWITCHES.some(([, re]) => re.test(l)))).toEqual(["if (store.name === 'postgres') run(); "]);
  });
});
