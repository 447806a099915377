import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, MIN_ADMIN_TOKEN_LENGTH, SETTINGS } from '../../src/config.js';
import { editDistance, mistypedNames } from '../../src/config-values.js';
import { databaseUrlProblem } from '../../src/storage/database-location.js';

/** The lines a configuration is refused with, or [] when it loads. */
function problems(env: NodeJS.ProcessEnv, overrides: Parameters<typeof loadConfig>[0] = {}): string[] {
  try {
    loadConfig(overrides, env, false);
    return [];
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
}

const LONG_TOKEN = 'a'.repeat(MIN_ADMIN_TOKEN_LENGTH);

describe('the database location', () => {
  it.each([
    ['./data/stockhook.db'],
    ['/var/lib/stockhook/stockhook.db'],
    ['relative/dir/x.db'],
    [':memory:'],
    ['postgres://stockhook@127.0.0.1:5432/stockhook'],
    ['postgresql://u:p@db.internal/x?sslmode=require'],
  ])('%s is accepted', (url) => {
    expect(databaseUrlProblem(url, '--db')).toBeNull();
    expect(loadConfig({ db: url }, {}, false).databaseUrl).toBe(url);
  });

  it.each([
    ['mysql://root@127.0.0.1:3306/x', '--db "mysql://…@127.0.0.1:3306/x" is not a database stockhook can open'],
    ['postgress://u@h/x', '--db "postgress://…@h/x" is not a database stockhook can open'],
    ['sqlite:///var/lib/stockhook/x.db', '--db "sqlite:///var/lib/stockhook/x.db" is not a database stockhook can open'],
    ['file:x.db', '--db "file:x.db" is not a database stockhook can open'],
    ['POSTGRES://u@h/x', '--db "POSTGRES://…@h/x": a PostgreSQL URL starts with postgres:// or postgresql:// (lower case)'],
    ['postgres:/h/x', '--db "postgres:/h/x": a PostgreSQL URL starts with postgres:// or postgresql:// (lower case)'],
    ['', '--db is empty: give a SQLite file path'],
  ])('%j is refused, naming what is accepted', (url, start) => {
    const lines = problems({}, { db: url });
    expect(lines).toHaveLength(1);
    expect(lines[0].startsWith(start)).toBe(true);
    if (url !== '' && !url.startsWith('POSTGRES') && !url.startsWith('postgres:/h')) expect(lines[0]).toContain(':memory:, or a postgres:// or postgresql:// URL');
  });

  it('a password in a refused URL is not echoed', () => {
    const [line] = problems({ STOCKHOOK_DATABASE_URL: 'mysql://root:hunter2@db/x' });
    expect(line).toMatch(/^STOCKHOOK_DATABASE_URL "mysql:\/\/…@db\/x" is not/);
    expect(line).not.toContain('hunter2');
  });
});

describe('each setting is checked, every mistake reported at once', () => {
  it('several mistakes give one line each, in a stable order', () => {
    expect(
      problems({
        STOCKHOOK_PORT: '70000',
        STOCKHOOK_ROLE: 'both',
        STOCKHOOK_ALLOW_PRIVATE_TARGETS: 'true',
        STOCKHOOK_LOG_LEVEL: 'verbose',
        STOCKHOOK_RATE_LIMIT: '1.5',
        STOCKHOOK_DELIVERY_THREAD: 'yes',
      }),
    ).toEqual([
      'STOCKHOOK_PORT must be an integer from 0 to 65535, not "70000"',
      'STOCKHOOK_ROLE must be one of all, api, worker, not "both"',
      'STOCKHOOK_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, not "verbose"',
      'STOCKHOOK_RATE_LIMIT must be an integer from 0 to 1000000000, not "1.5"',
      'STOCKHOOK_ALLOW_PRIVATE_TARGETS must be 1 or 0, not "true"',
      'STOCKHOOK_DELIVERY_THREAD must be 1 or 0, not "yes"',
    ]);
  });

  it('flags are 1 or 0; absent or empty is the default', () => {
    expect(loadConfig({}, { STOCKHOOK_ALLOW_PRIVATE_TARGETS: '1', STOCKHOOK_DELIVERY_THREAD: '0' }, false)).toMatchObject({ allowPrivateTargets: true, deliveryThread: false });
    expect(loadConfig({}, { STOCKHOOK_ALLOW_PRIVATE_TARGETS: '', STOCKHOOK_DELIVERY_THREAD: '' }, false)).toMatchObject({ allowPrivateTargets: false, deliveryThread: true });
    expect(problems({ STOCKHOOK_PG_NAMED_STATEMENTS: 'off' })).toEqual(['STOCKHOOK_PG_NAMED_STATEMENTS must be 1 or 0, not "off"']);
  });

  it('a pooler in transaction mode: statements unnamed unless told, LISTEN on a direct URL or none; refused where it cannot apply', () => {
    const pgUrl = 'postgres://stockhook:secret@pooler.internal:6432/stockhook';
    const direct = 'postgres://stockhook:secret@db.internal:5432/stockhook';
    expect(loadConfig({}, { STOCKHOOK_DATABASE_URL: pgUrl }, false)).toMatchObject({ pooler: 'none', namedStatements: true, listenUrl: undefined });
    expect(loadConfig({}, { STOCKHOOK_DATABASE_URL: pgUrl, STOCKHOOK_PG_POOLER: 'transaction' }, false)).toMatchObject({ pooler: 'transaction', namedStatements: false, listenUrl: undefined });
    // PgBouncer 1.21+ with max_prepared_statements carries named statements: the operator may say so.
    const both = { STOCKHOOK_DATABASE_URL: pgUrl, STOCKHOOK_PG_POOLER: 'transaction', STOCKHOOK_PG_NAMED_STATEMENTS: '1', STOCKHOOK_PG_LISTEN_URL: direct };
    expect(loadConfig({}, both, false)).toMatchObject({ pooler: 'transaction', namedStatements: true, listenUrl: direct });
    expect(problems({ STOCKHOOK_DATABASE_URL: pgUrl, STOCKHOOK_PG_POOLER: 'session' })).toEqual(['STOCKHOOK_PG_POOLER must be one of none, transaction, not "session"']);
    expect(problems({ STOCKHOOK_PG_POOLER: 'transaction' })).toEqual(['STOCKHOOK_PG_POOLER=transaction applies to a postgres:// database URL only (SQLite has no pooler)']);
    expect(problems({ STOCKHOOK_DATABASE_URL: pgUrl, STOCKHOOK_PG_LISTEN_URL: direct })).toEqual([
      'STOCKHOOK_PG_LISTEN_URL is used only with STOCKHOOK_PG_POOLER=transaction (without a pooler, LISTEN goes to the database URL itself)',
    ]);
    const wrong = problems({ STOCKHOOK_DATABASE_URL: pgUrl, STOCKHOOK_PG_POOLER: 'transaction', STOCKHOOK_PG_LISTEN_URL: 'mysql://u:secret@db/x' });
    expect(wrong).toEqual([expect.stringMatching(/^STOCKHOOK_PG_LISTEN_URL .* must be a postgres:\/\/ or postgresql:\/\/ URL that reaches the server directly/)]);
    // The password in it is not echoed.
    expect(wrong.join('\n')).not.toContain('secret');
  });

  it('numbers: padded, fractional, exponents, out of range or not numbers are refused; the bounds are accepted', () => {
    expect(problems({ STOCKHOOK_DELIVERY_LEASE_MS: ' 5000' })).toEqual(['STOCKHOOK_DELIVERY_LEASE_MS must be an integer from 1000 to 86400000, not " 5000"']);
    expect(problems({ STOCKHOOK_DELIVERY_LEASE_MS: '999' })).toHaveLength(1);
    expect(problems({ STOCKHOOK_RETENTION_EVENTS_DAYS: '1e3' })).toEqual(['STOCKHOOK_RETENTION_EVENTS_DAYS must be an integer from 0 to 36500, not "1e3"']);
    expect(problems({ STOCKHOOK_RETENTION_EVENTS_DAYS: '+7' })).toHaveLength(1);
    expect(problems({ STOCKHOOK_RETENTION_EVENTS_DAYS: 'NaN' })).toEqual(['STOCKHOOK_RETENTION_EVENTS_DAYS must be an integer from 0 to 36500, not "NaN"']);
    expect(loadConfig({}, { STOCKHOOK_DELIVERY_LEASE_MS: '1000', STOCKHOOK_PORT: '0' }, false)).toMatchObject({ deliveryLeaseMs: 1000, port: 0 });
    expect(problems({}, { port: '-1' })).toEqual(['--port must be an integer from 0 to 65535, not "-1"']);
  });

  it('an administrator token shorter than 32 characters is refused without echoing it', () => {
    const short = 'x'.repeat(MIN_ADMIN_TOKEN_LENGTH - 1);
    const lines = problems({ STOCKHOOK_ADMIN_TOKEN: short });
    expect(lines).toEqual([`STOCKHOOK_ADMIN_TOKEN is 31 characters; it must be at least 32 (e.g. openssl rand -hex 32), or unset for one made at the first start`]);
    expect(loadConfig({}, { STOCKHOOK_ADMIN_TOKEN: LONG_TOKEN }, false).adminToken).toBe(LONG_TOKEN);
    // The 5-character token of the operator's report.
    expect(problems({ STOCKHOOK_ADMIN_TOKEN: 'abcde' })).toEqual([
      'STOCKHOOK_ADMIN_TOKEN is 5 characters; it must be at least 32 (e.g. openssl rand -hex 32), or unset for one made at the first start',
    ]);
    const both = problems({ STOCKHOOK_ADMIN_TOKEN: 'bad token' });
    expect(both).toHaveLength(2);
    expect(both.join('\n')).not.toContain('bad token');
  });

  it('the public URL is an http(s) URL without query or fragment', () => {
    expect(loadConfig({}, { STOCKHOOK_PUBLIC_URL: 'https://stock.example.com/base/' }, false).publicUrl).toBe('https://stock.example.com/base');
    for (const bad of ['stock.example.com', 'ftp://x', 'https://x/?a=1', 'https://x/#f']) {
      expect(problems({ STOCKHOOK_PUBLIC_URL: bad })).toEqual([expect.stringMatching(/^STOCKHOOK_PUBLIC_URL must be an http:\/\/ or https:\/\/ URL/)]);
    }
  });

  it('an empty host is refused', () => {
    expect(problems({ STOCKHOOK_HOST: ' ' })).toEqual(['STOCKHOOK_HOST is empty: give an address to bind, e.g. 127.0.0.1 or ::']);
  });

  it('a STOCKHOOK_* name one or two edits from a setting is a typo; far names are left alone', () => {
    expect(problems({ STOCKHOOK_DATABSE_URL: 'postgres://h/x' })).toEqual(['STOCKHOOK_DATABSE_URL is not a setting: did you mean STOCKHOOK_DATABASE_URL?']);
    expect(problems({ STOCKHOOK_PORTS: '80' })).toEqual(['STOCKHOOK_PORTS is not a setting: did you mean STOCKHOOK_PORT?']);
    expect(mistypedNames({ STOCKHOOK_TEST_DBS: 'sqlite', STOCKHOOK_SOMETHING_ELSE: '1', OTHER_PORT: '1' }, SETTINGS)).toEqual([]);
    expect(editDistance('STOCKHOOK_ROLE', 'STOCKHOOK_RULE')).toBe(1);
    expect(editDistance('abc', 'acb')).toBe(2);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('every setting docs/operations/configuration.md documents is known, and every known setting is documented', async () => {
    const { readFile } = await import('node:fs/promises');
    const page = await readFile(new URL('../../docs/operations/configuration.md', import.meta.url), 'utf8');
    const documented = [...page.matchAll(/^\| [^|]*\| `(STOCKHOOK_[A-Z_]+)` \|/gm)].map((m) => m[1]).sort();
    expect(documented).toEqual([...SETTINGS].sort());
  });
});
