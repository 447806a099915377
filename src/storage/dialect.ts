import { isStalePlan } from './pg-named-statements.js';
import { PostgresAdapter, sql, type ColumnDefinitionBuilder, type CreateTableBuilder, type Kysely, type SelectQueryBuilder } from 'kysely';

/**
 * The few places where SQLite and PostgreSQL differ, kept in one adapter
 * (kysely's own dialect adapters are the model) instead of `if (sqlite)` branches.
 */
export interface StorageDialect {
  readonly name: 'sqlite' | 'postgres';
  /** Adds an integer auto-increment primary key column named `id`. */
  addIdColumn<T extends string>(table: CreateTableBuilder<T, never>): CreateTableBuilder<T, 'id'>;
  /** SQLSTATE-like test for a unique-constraint violation. */
  isUniqueViolation(err: unknown): boolean;
  /** A transient conflict (deadlock, serialization failure, busy) worth retrying the transaction. */
  isRetryable(err: unknown): boolean;
  /**
   * Makes the claim's inner SELECT skip rows another worker is claiming (PostgreSQL
   * FOR UPDATE SKIP LOCKED). SQLite has one writer at a time, so the claim is already exclusive.
   */
  lockForClaim<DB, TB extends keyof DB, O>(q: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O>;
  /** The database's size on disk in bytes (/metrics). */
  sizeBytes(db: Kysely<any>): Promise<number>;
}


const code = (err: unknown): string | undefined =>
  typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;

export const sqliteDialect: StorageDialect = {
  name: 'sqlite',
  addIdColumn: (t) => t.addColumn('id', 'integer', (c: ColumnDefinitionBuilder) => c.primaryKey().autoIncrement()),
  isUniqueViolation: (err) => code(err) === 'SQLITE_CONSTRAINT_UNIQUE' || code(err) === 'SQLITE_CONSTRAINT_PRIMARYKEY',
  // SQLITE_BUSY and its extended codes (SQLITE_BUSY_SNAPSHOT, ...): another connection holds or moved the write lock.
  isRetryable: (err) => code(err)?.startsWith('SQLITE_BUSY') === true,
  lockForClaim: (q) => q,
  // The main file; the WAL beside it is bounded by checkpoints.
  sizeBytes: async (db) => {
    const { rows } = await sql<{ n: number }>`select page_count * page_size as n from pragma_page_count(), pragma_page_size()`.execute(db);
    return Number(rows[0]?.n ?? 0);
  },
};

/**
 * Whether this connection's database runs INSERT/UPDATE inside WITH (PostgreSQL does, SQLite does
 * not): there a level change and its movement are one statement, a round trip fewer per line.
 */
export const writesInCtes = (db: Kysely<any>): boolean => db.getExecutor().adapter instanceof PostgresAdapter;

export const postgresDialect: StorageDialect = {
  name: 'postgres',
  addIdColumn: (t) => t.addColumn('id', 'serial', (c: ColumnDefinitionBuilder) => c.primaryKey()),
  isUniqueViolation: (err) => code(err) === '23505',
  // 40P01 deadlock_detected, 40001 serialization_failure, and a prepared plan a migration made stale (pg-named-statements.ts).
  isRetryable: (err) => code(err) === '40P01' || code(err) === '40001' || isStalePlan(err),
  lockForClaim: (q) => q.forUpdate().skipLocked(),
  sizeBytes: async (db) => {
    const { rows } = await sql<{ n: number }>`select pg_database_size(current_database()) as n`.execute(db);
    return Number(rows[0]?.n ?? 0);
  },
};
