import { sql, type Selectable } from 'kysely';
import type { Tx } from '../storage/database.js';
import { guard, ledgerRows, setDeltas, type KeyChange } from '../storage/ledger-rows.js';
import { preparedInsert } from '../storage/prepared.js';
import type { StockLevelTable } from '../storage/schema.js';
import { ShortageError } from './shortage.js';
import type { StockKey } from './stock-key.js';

export interface Change {
  amountDelta: number;
  reservedDelta: number;
}

export interface AppliedChange extends Change {
  level: Selectable<StockLevelTable>;
  /** Its movement is already written (the store wrote it in the level's statement); recordMovements skips it. */
  moved?: true;
}

type LevelRow = Selectable<StockLevelTable>;

const keyWhere = (accountId: string, k: StockKey) =>
  ({
    account_id: accountId,
    warehouse_id: k.warehouseId,
    product_id: k.productId,
    size: k.size,
    lot: k.lot,
    expiry: k.expiry,
    serial: k.serial,
    location: k.location,
  }) as const;

export const levelKey = (r: LevelRow): StockKey => ({
  warehouseId: r.warehouse_id,
  productId: r.product_id,
  size: r.size,
  lot: r.lot,
  expiry: r.expiry,
  serial: r.serial,
  location: r.location,
});

/**
 * Applies one change to one stock key as a single statement, so concurrent writers cannot
 * interleave a read and a write:
 * - pure additions upsert (INSERT .. ON CONFLICT DO UPDATE);
 * - everything else is one conditional UPDATE whose WHERE states the invariants
 *   (amount >= 0, reserved >= 0, free = amount - reserved >= 0). PostgreSQL re-checks the WHERE
 *   on the latest row version after waiting for a concurrent writer, so of two sales of the last
 *   unit exactly one matches. Zero rows updated means the change would break an invariant.
 */
export async function applyToKey(
  tx: Tx,
  accountId: string,
  key: StockKey,
  change: Change,
  now: number,
  /** The document the movement belongs to: given, the store may write the movement in the same statement. */
  documentId?: number,
): Promise<AppliedChange> {
  const { amountDelta: a, reservedDelta: r } = change;
  const adding = a >= 0 && r === 0;
  const values: KeyChange = { ...keyWhere(accountId, key), a, r, now };
  const { level, moved } = await ledgerRows(tx).changeKey(tx, values, adding, documentId);
  if (!level) throw new ShortageError(accountId, key, change);
  return { level, amountDelta: a, reservedDelta: adding ? 0 : r, ...(moved ? { moved: true as const } : {}) };
}

/** The same conditional update, for a level known by id (reversals replay recorded movements). */
export async function applyToLevel(tx: Tx, accountId: string, levelId: number, change: Change, now: number): Promise<AppliedChange> {
  const { amountDelta: a, reservedDelta: r } = change;
  const q = tx
    .updateTable('stock_levels')
    .set(setDeltas(a, r, now))
    .where('account_id', '=', accountId)
    .where('id', '=', levelId);
  const level = await guard(q, a, r).returningAll().executeTakeFirst();
  if (!level) {
    const row = await tx.selectFrom('stock_levels').selectAll().where('id', '=', levelId).executeTakeFirstOrThrow();
    throw new ShortageError(accountId, levelKey(row), change);
  }
  return { level, amountDelta: a, reservedDelta: r };
}

/**
 * Locks a key's row (creating it at zero if new) and returns it, for the one operation that needs
 * the current value to compute its delta: an inventory count. The no-op UPDATE takes the row lock
 * on PostgreSQL, so the amount cannot move before the count's own update.
 */
export async function lockKey(tx: Tx, accountId: string, key: StockKey, now: number): Promise<LevelRow> {
  await tx
    .insertInto('stock_levels')
    .values({ ...keyWhere(accountId, key), amount: 0, reserved: 0, version: 0, updated_ms: now })
    .onConflict((oc) => oc.columns(['account_id', 'product_id', 'warehouse_id', 'size', 'lot', 'expiry', 'serial', 'location']).doNothing())
    .execute();
  let q = tx.updateTable('stock_levels').set({ version: sql`version` });
  for (const [col, val] of Object.entries(keyWhere(accountId, key))) q = q.where(col as 'account_id', '=', val as string);
  return q.returningAll().executeTakeFirstOrThrow();
}

export async function recordMovements(
  tx: Tx,
  accountId: string,
  documentId: number,
  applied: AppliedChange[],
  now: number,
): Promise<void> {
  const unmoved = applied.filter((c) => !c.moved);
  if (unmoved.length === 0) return;
  await insertMovements(
    tx,
    unmoved.map((c) => ({
      account_id: accountId,
      document_id: documentId,
      stock_level_id: c.level.id,
      amount_delta: c.amountDelta,
      reserved_delta: c.reservedDelta,
      created_ms: now,
    })),
  );
}

const insertMovements = preparedInsert('movements', ['account_id', 'document_id', 'stock_level_id', 'amount_delta', 'reserved_delta', 'created_ms']);
