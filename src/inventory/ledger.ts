import { sql, type Selectable } from 'kysely';
import { AppError } from '../errors.js';
import type { Db, Tx } from '../storage/database.js';
import { writesInCtes } from '../storage/dialect.js';
import { prepared, preparedInsert } from '../storage/prepared.js';
import type { StockLevelTable } from '../storage/schema.js';
import { keyView, type StockKey } from './stock-key.js';

/**
 * Quantities are doubles; a tolerance keeps 0.3 - 0.1 - 0.2 (= -2.8e-17) from counting as negative.
 * It is far below any unit anyone stocks in.
 */
const EPSILON = 1e-9;

export interface Change {
  amountDelta: number;
  reservedDelta: number;
}

export interface AppliedChange extends Change {
  level: Selectable<StockLevelTable>;
  /** Its movement is already written (PostgreSQL writes it in the level's statement); recordMovements skips it. */
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
  /** The document the movement belongs to: given, PostgreSQL writes the movement in the same statement. */
  documentId?: number,
): Promise<AppliedChange> {
  const { values, adding } = keyChange(accountId, key, change, now);
  const { a, r } = values;
  if (documentId !== undefined && writesInCtes(tx)) {
    const moving = { ...values, documentId };
    const [level] = (await (adding ? addToKeyAndMove(tx, moving) : changeKeyAndMove(tx, moving))).rows;
    if (!level) throw shortage(key, change);
    return { level, amountDelta: a, reservedDelta: adding ? 0 : r, moved: true };
  }
  if (adding) {
    const [level] = (await addToKey(tx, values)).rows;
    return { level, amountDelta: a, reservedDelta: 0 };
  }
  const [level] = (await changeKey(tx, values)).rows;
  if (!level) throw shortage(key, change);
  return { level, amountDelta: a, reservedDelta: r };
}

// The two statements of applyToKey, compiled once (storage/prepared.ts): every document line runs one.
type KeyChange = ReturnType<typeof keyWhere> & { a: number; r: number; now: number };

/**
 * A key's change as its statements take it, and whether it only adds: an upsert with no guard
 * (upsertLevel) rather than a guarded update (guardedUpdate).
 */
function keyChange(accountId: string, key: StockKey, change: Change, now: number): { values: KeyChange; adding: boolean } {
  const { amountDelta: a, reservedDelta: r } = change;
  return { values: { ...keyWhere(accountId, key), a, r, now }, adding: a >= 0 && r === 0 };
}
const KEY_COLUMNS = ['account_id', 'warehouse_id', 'product_id', 'size', 'lot', 'expiry', 'serial', 'location'] as const;

const addToKey = prepared<KeyChange>()((db, v) => upsertLevel(db, v));

function upsertLevel(db: Db | Tx, v: KeyChange) {
  return db
    .insertInto('stock_levels')
    .values({
      account_id: v.account_id,
      warehouse_id: v.warehouse_id,
      product_id: v.product_id,
      size: v.size,
      lot: v.lot,
      expiry: v.expiry,
      serial: v.serial,
      location: v.location,
      amount: v.a,
      reserved: 0,
      version: 1,
      updated_ms: v.now,
    })
    .onConflict((oc) =>
      oc.columns(['account_id', 'product_id', 'warehouse_id', 'size', 'lot', 'expiry', 'serial', 'location']).doUpdateSet({
        amount: sql`stock_levels.amount + excluded.amount`,
        version: sql`stock_levels.version + 1`,
        updated_ms: v.now,
      }),
    )
    .returningAll();
}

const changeKey = prepared<KeyChange>()((db, v) => guardedUpdate(db, v));

function guardedUpdate(db: Db | Tx, v: KeyChange) {
  let q = db.updateTable('stock_levels').set(setDeltas(v.a, v.r, v.now));
  for (const col of KEY_COLUMNS) q = q.where(col, '=', v[col]);
  return guard(q, v.a, v.r).returningAll();
}

// PostgreSQL: the level's statement also writes its movement (a data-modifying WITH), so a line
// costs one round trip instead of two. No row back means the guard refused: nothing was written.
type KeyMove = KeyChange & { documentId: number };
const withMovement = (db: Db, v: KeyMove, adding: boolean) =>
  db
    .with('level', () => (adding ? upsertLevel(db, v) : guardedUpdate(db, v)))
    .with('moved', (qc) =>
      qc
        .insertInto('movements')
        .columns(['account_id', 'document_id', 'stock_level_id', 'amount_delta', 'reserved_delta', 'created_ms'])
        .expression((eb) =>
          eb
            .selectFrom('level')
            // Typed casts: PostgreSQL cannot infer a parameter's type inside a WITH's SELECT list.
            .select((s) => [
              s.cast(s.val(v.account_id), 'text').as('account_id'),
              s.cast(s.val(v.documentId), 'integer').as('document_id'),
              'level.id',
              s.cast(s.val(v.a), 'double precision').as('amount_delta'),
              (adding ? s.cast(s.val(0), 'double precision') : s.cast(s.val(v.r), 'double precision')).as('reserved_delta'),
              s.cast(s.val(v.now), 'bigint').as('created_ms'),
            ]),
        ),
    )
    .selectFrom('level')
    .selectAll();
const addToKeyAndMove = prepared<KeyMove>()((db, v) => withMovement(db, v, true));
const changeKeyAndMove = prepared<KeyMove>()((db, v) => withMovement(db, v, false));

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
    throw shortage(levelKey(row), change);
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

function setDeltas(a: number, r: number, now: number) {
  return {
    amount: sql<number>`amount + ${a}`,
    reserved: sql<number>`reserved + ${r}`,
    version: sql<number>`version + 1`,
    updated_ms: now,
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function guard<Q extends { where: (...args: any[]) => Q }>(q: Q, a: number, r: number): Q {
  return q
    .where(sql<boolean>`amount + ${a} >= ${-EPSILON}`)
    .where(sql<boolean>`reserved + ${r} >= ${-EPSILON}`)
    .where(sql<boolean>`(amount + ${a}) - (reserved + ${r}) >= ${-EPSILON}`);
}

function shortage(key: StockKey, change: Change): AppError {
  const code = change.reservedDelta < 0 ? 'INSUFFICIENT_RESERVED' : 'INSUFFICIENT_STOCK';
  return new AppError(code, undefined, { key: keyView(key), ...change });
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
