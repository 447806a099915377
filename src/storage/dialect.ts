import type { CreateTableBuilder, Kysely, SelectQueryBuilder } from 'kysely';

/**
 * The few places where SQLite and PostgreSQL differ in a single statement or error, one adapter
 * per database (sqlite/dialect.ts, postgres/dialect.ts; kysely's own dialect adapters are the
 * model). Its store (sqlite/open.ts, postgres/open.ts) and the migrations use it; nothing outside
 * storage/ does.
 */
export interface StorageDialect {
  readonly name: 'sqlite' | 'postgres';
  /** Adds an integer auto-increment primary key column named `id`. */
  addIdColumn<T extends string>(table: CreateTableBuilder<T, never>): CreateTableBuilder<T, 'id'>;
  /** SQLSTATE-like test for a unique-constraint violation. */
  isUniqueViolation(err: unknown): boolean;
  /** A transient conflict (deadlock, serialization failure, busy) worth retrying the transaction. */
  isRetryable(err: unknown): boolean;
  /** Makes the claim's inner SELECT skip rows another worker is claiming. */
  lockForClaim<DB, TB extends keyof DB, O>(q: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O>;
  /** The database's size on disk in bytes (/metrics). */
  sizeBytes(db: Kysely<any>): Promise<number>;
}

/** The driver's error code (SQLITE_… from better-sqlite3, a SQLSTATE from pg). */
export const errorCode = (err: unknown): string | undefined =>
  typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
