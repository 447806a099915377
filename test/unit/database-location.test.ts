import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { adminTokenFile, DATABASE_FORMS, databaseUrlProblem, poolerProblems } from '../../src/storage/database-location.js';

/** Database locations are checked before anything is opened: each refusal names the setting and never shows a password. */
describe('databaseUrlProblem', () => {
  it.each([':memory:', 'data/stock.db', '/var/lib/stockhook/stock.db', 'postgres://u:p@db:5432/x', 'postgresql://db/x'])('%s can be opened', (url) => {
    expect(databaseUrlProblem(url, '--db')).toBeNull();
  });

  it('an empty location, a PostgreSQL scheme in capitals, an unparseable PostgreSQL URL and any other scheme are refused', () => {
    expect(databaseUrlProblem('  ', '--db')).toBe(`--db is empty: give ${DATABASE_FORMS}`);
    expect(databaseUrlProblem('POSTGRES://u:hunter2@db/x', 'STOCKHOOK_DATABASE_URL')).toBe(
      'STOCKHOOK_DATABASE_URL "POSTGRES://…@db/x": a PostgreSQL URL starts with postgres:// or postgresql:// (lower case)',
    );
    expect(databaseUrlProblem('Postgresql:/db/x', '--db')).toBe('--db "Postgresql:/db/x": a PostgreSQL URL starts with postgres:// or postgresql:// (lower case)');
    expect(databaseUrlProblem('postgres://u:p@[bad/x', '--db')).toBe('--db: not a valid PostgreSQL URL (postgres://user:password@host:5432/database)');
    expect(databaseUrlProblem('sqlite:///x.db', '--db')).toBe(`--db "sqlite:///x.db" is not a database stockhook can open: give ${DATABASE_FORMS}`);
    expect(databaseUrlProblem('mysql://root:hunter2@db/x', '--db')).toBe(`--db "mysql://…@db/x" is not a database stockhook can open: give ${DATABASE_FORMS}`);
    expect(databaseUrlProblem('file:x.db', '--db')).toBe(`--db "file:x.db" is not a database stockhook can open: give ${DATABASE_FORMS}`);
    // postgres:// must begin the URL, not appear later in it.
    expect(databaseUrlProblem('POSTGRES://db/x?fallback=postgres://y', '--db')).toBe(
      '--db "POSTGRES://db/x?fallback=postgres://y": a PostgreSQL URL starts with postgres:// or postgresql:// (lower case)',
    );
  });
});

describe('adminTokenFile', () => {
  it('beside the SQLite file, or in the working directory named after the PostgreSQL database', () => {
    expect(adminTokenFile(':memory:', '/srv')).toBe('/srv/stockhook-memory.admin-token');
    expect(adminTokenFile('x.db', '/srv')).toBe('/srv/x.db.admin-token');
    expect(adminTokenFile('postgres://db/stock', '/srv')).toBe('/srv/stockhook-stock.admin-token');
    expect(adminTokenFile('postgres://db/a%20b$c', '/srv')).toBe('/srv/stockhook-a_b_c.admin-token');
    expect(adminTokenFile('postgres://[bad/x', '/srv')).toBe('/srv/stockhook-postgres.admin-token');
    expect(adminTokenFile('x.db')).toBe(`${resolve('x.db')}.admin-token`);
  });
});

describe('poolerProblems', () => {
  const pg = 'postgres://u:p@pooler:6432/x';
  const direct = 'postgres://u:p@db:5432/x';
  it('a pooler and a listen URL only where they mean something, each mistake on its own line', () => {
    expect(poolerProblems(pg, 'none', undefined)).toEqual([]);
    expect(poolerProblems(pg, 'transaction', undefined)).toEqual([]);
    expect(poolerProblems('postgresql://pooler/x', 'transaction', 'postgresql://db/x')).toEqual([]);
    expect(poolerProblems(pg, 'transaction', direct)).toEqual([]);
    expect(poolerProblems('data/x.db', 'none', undefined)).toEqual([]);
    expect(poolerProblems('data/x.db', 'transaction', undefined)).toEqual(['STOCKHOOK_PG_POOLER=transaction applies to a postgres:// database URL only (SQLite has no pooler)']);
    expect(poolerProblems('data/x.db', 'transaction', direct)).toEqual(['STOCKHOOK_PG_POOLER=transaction applies to a postgres:// database URL only (SQLite has no pooler)']);
    expect(poolerProblems(pg, 'none', direct)).toEqual([
      'STOCKHOOK_PG_LISTEN_URL is used only with STOCKHOOK_PG_POOLER=transaction (without a pooler, LISTEN goes to the database URL itself)',
    ]);
    expect(poolerProblems(pg, 'transaction', 'mysql://u:secret@db/x')).toEqual([
      'STOCKHOOK_PG_LISTEN_URL "mysql://…@db/x" must be a postgres:// or postgresql:// URL that reaches the server directly, not through the pooler',
    ]);
    // A file path or a listen URL that merely contains postgres:// is no PostgreSQL URL.
    expect(poolerProblems('data/postgres://x.db', 'transaction', undefined)).toEqual(['STOCKHOOK_PG_POOLER=transaction applies to a postgres:// database URL only (SQLite has no pooler)']);
    expect(poolerProblems(pg, 'transaction', 'mysql://db/x?via=postgres://y')).toEqual([
      'STOCKHOOK_PG_LISTEN_URL "mysql://db/x?via=postgres://y" must be a postgres:// or postgresql:// URL that reaches the server directly, not through the pooler',
    ]);
    expect(poolerProblems(pg, 'transaction', 'postgres://u:p@[bad/x')).toEqual(['STOCKHOOK_PG_LISTEN_URL: not a valid PostgreSQL URL (postgres://user:password@host:5432/database)']);
  });
});
