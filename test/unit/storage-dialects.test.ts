import { describe, expect, it } from 'vitest';
import { postgresDialect } from '../../src/storage/postgres/dialect.js';
import { sqliteDialect } from '../../src/storage/sqlite/dialect.js';

const withCode = (code: unknown, message = 'x') => Object.assign(new Error(message), { code });

/** Which driver errors each store runs a transaction again for, and which it calls a unique violation. */
describe('the two dialects classify driver errors', () => {
  it('SQLite retries SQLITE_BUSY and every extended busy code, nothing else', () => {
    for (const code of ['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_BUSY_RECOVERY', 'SQLITE_BUSY_TIMEOUT']) {
      expect(sqliteDialect.isRetryable(withCode(code)), code).toBe(true);
    }
    for (const e of [withCode('SQLITE_LOCKED'), withCode('SQLITE_CONSTRAINT_UNIQUE'), withCode('X_SQLITE_BUSY'), new Error('SQLITE_BUSY'), null, 'SQLITE_BUSY']) {
      expect(sqliteDialect.isRetryable(e), String(e)).toBe(false);
    }
    expect(sqliteDialect.isUniqueViolation(withCode('SQLITE_CONSTRAINT_UNIQUE'))).toBe(true);
    expect(sqliteDialect.isUniqueViolation(withCode('SQLITE_CONSTRAINT_PRIMARYKEY'))).toBe(true);
    expect(sqliteDialect.isUniqueViolation(withCode('SQLITE_CONSTRAINT_FOREIGNKEY'))).toBe(false);
  });

  it('PostgreSQL retries a deadlock, a serialization failure and a plan a migration made stale, nothing else', () => {
    for (const e of [withCode('40P01'), withCode('40001'), withCode('0A000', 'cached plan must not change result type')]) {
      expect(postgresDialect.isRetryable(e), String(e.code)).toBe(true);
    }
    for (const e of [withCode('0A000', 'feature not supported'), withCode('23505'), withCode('40P02'), withCode('08006'), new Error('40P01'), null]) {
      expect(postgresDialect.isRetryable(e), String(e)).toBe(false);
    }
    expect(postgresDialect.isUniqueViolation(withCode('23505'))).toBe(true);
    expect(postgresDialect.isUniqueViolation(withCode('23503'))).toBe(false);
  });
});
