import { sql, type ColumnDefinitionBuilder } from 'kysely';
import { errorCode, type StorageDialect } from '../dialect.js';
import { isStalePlan } from './named-statements.js';

export const postgresDialect: StorageDialect = {
  name: 'postgres',
  addIdColumn: (t) => t.addColumn('id', 'serial', (c: ColumnDefinitionBuilder) => c.primaryKey()),
  isUniqueViolation: (err) => errorCode(err) === '23505',
  // 40P01 deadlock_detected, 40001 serialization_failure, and a prepared plan a migration made stale (named-statements.ts).
  isRetryable: (err) => errorCode(err) === '40P01' || errorCode(err) === '40001' || isStalePlan(err),
  // FOR UPDATE SKIP LOCKED: concurrent claims from other workers take other rows instead of waiting.
  lockForClaim: (q) => q.forUpdate().skipLocked(),
  sizeBytes: async (db) => {
    const { rows } = await sql<{ n: number }>`select pg_database_size(current_database()) as n`.execute(db);
    return Number(rows[0]?.n ?? 0);
  },
};
