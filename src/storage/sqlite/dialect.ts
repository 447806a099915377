import { sql, type ColumnDefinitionBuilder } from 'kysely';
import { errorCode, type StorageDialect } from '../dialect.js';

export const sqliteDialect: StorageDialect = {
  name: 'sqlite',
  addIdColumn: (t) => t.addColumn('id', 'integer', (c: ColumnDefinitionBuilder) => c.primaryKey().autoIncrement()),
  isUniqueViolation: (err) => errorCode(err) === 'SQLITE_CONSTRAINT_UNIQUE' || errorCode(err) === 'SQLITE_CONSTRAINT_PRIMARYKEY',
  // SQLITE_BUSY and its extended codes (SQLITE_BUSY_SNAPSHOT, ...): another connection holds or moved the write lock.
  isRetryable: (err) => errorCode(err)?.startsWith('SQLITE_BUSY') === true,
  // One writer at a time: the claim is already exclusive.
  lockForClaim: (q) => q,
  // The main file; the WAL beside it is bounded by checkpoints.
  sizeBytes: async (db) => {
    const { rows } = await sql<{ n: number }>`select page_count * page_size as n from pragma_page_count(), pragma_page_size()`.execute(db);
    return Number(rows[0]?.n ?? 0);
  },
};
