import { PostgresAdapter } from 'kysely';
import type { Db, Tx } from './db.js';
import type { LedgerRows } from './ledger-sql.js';
import { postgresLedgerRows } from './postgres/ledger-rows.js';
import { sqliteLedgerRows } from './sqlite/ledger-rows.js';

export type { DocumentHead, KeyChange, LedgerRows, LevelRow, LineValues } from './ledger-sql.js';
export { guard, insertLines, setDeltas } from './ledger-sql.js';

/**
 * The ledger statements of the database a connection or transaction is on. The domain holds a
 * transaction, not the store, when it writes stock: the connection's SQL flavour (its adapter)
 * names the store, as prepared.ts keys its plans by it.
 */
export const ledgerRows = (db: Db | Tx): LedgerRows => (db.getExecutor().adapter instanceof PostgresAdapter ? postgresLedgerRows : sqliteLedgerRows);
