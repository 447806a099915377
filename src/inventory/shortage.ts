import { sql, type SqlBool } from 'kysely';
import { AppError } from '../errors.js';
import { round } from '../quantity.js';
import type { Db } from '../storage/database.js';
import { keyView, type KeyParts, type StockKey } from './stock-key.js';

/** Quantities are doubles: "nothing free" tolerates the ledger's rounding noise (see ledger.ts). */
const EPSILON = 1e-9;
/** Other keys listed in a refusal; the rest are counted. A product kept by serial may have thousands. */
export const OTHER_KEYS_LISTED = 10;

const PARTS = ['size', 'lot', 'expiry', 'serial', 'location'] as const satisfies ReadonlyArray<keyof KeyParts>;

/**
 * A change one stock key cannot take: less free (or reserved) stock than it asks. Thrown inside the
 * write, where it costs nothing; what the key and its neighbours hold is read only when the refusal
 * is answered (explainShortage), after the transaction rolled back.
 */
export class ShortageError extends AppError {
  /** How much of the measure the request asked of this key; a document's lines at one key add up. */
  asked: number;

  constructor(
    readonly accountId: string,
    readonly key: StockKey,
    readonly change: { amountDelta: number; reservedDelta: number },
  ) {
    const reserved = change.reservedDelta < 0;
    super(reserved ? 'INSUFFICIENT_RESERVED' : 'INSUFFICIENT_STOCK', undefined, { key: keyView(key), ...change });
    this.asked = askedOf(change, reserved);
  }

  /** Free stock, or reserved stock for a release or a shipment from a reservation. */
  get measure(): 'free' | 'reserved' {
    return this.code === 'INSUFFICIENT_RESERVED' ? 'reserved' : 'free';
  }
}

/** What a change takes from the measure: free falls by reserved - amount, reserved by -reserved. */
export const askedOf = (change: { amountDelta: number; reservedDelta: number }, reserved: boolean): number =>
  round(reserved ? -change.reservedDelta : change.reservedDelta - change.amountDelta);

/** `location A-01-1, lot L7`, or `no size, lot, expiry, serial or location` for the plain key. */
export function describeKeyParts(parts: KeyParts): string {
  const given = PARTS.filter((p) => parts[p] !== '').map((p) => `${p} ${parts[p]}`);
  return given.length > 0 ? given.join(', ') : 'no size, lot, expiry, serial or location';
}

type Row = KeyParts & { amount: number; reserved: number };

/**
 * The refusal with what a person needs to fix the request: the key asked for in words, what it
 * holds now, and the other keys of the same product in the same warehouse that hold the measure
 * (most first, at most OTHER_KEYS_LISTED, the rest counted). A sale without its location where
 * stock is kept by location is the usual case.
 */
export async function explainShortage(db: Db, err: ShortageError): Promise<AppError> {
  const { accountId, key } = err;
  const measure = err.measure;
  const held = measure === 'free' ? sql<number>`amount - reserved` : sql<number>`reserved`;
  const levels = db
    .selectFrom('stock_levels')
    .select([...PARTS, 'amount', 'reserved'])
    .where('account_id', '=', accountId)
    .where('product_id', '=', key.productId)
    .where('warehouse_id', '=', key.warehouseId);
  const thisKey = sql<SqlBool>`(${sql.join(PARTS.map((p) => sql`${sql.ref(p)} = ${key[p]}`), sql` and `)})`;
  const others = levels.where(sql<SqlBool>`not ${thisKey}`).where(sql<SqlBool>`${held} > ${EPSILON}`);
  const [product, warehouse, own, listed, counted] = await Promise.all([
    db.selectFrom('products').select(['sku']).where('account_id', '=', accountId).where('id', '=', key.productId).executeTakeFirst(),
    db.selectFrom('warehouses').select(['name']).where('account_id', '=', accountId).where('id', '=', key.warehouseId).executeTakeFirst(),
    levels.where(thisKey).executeTakeFirst(),
    others.orderBy(held, 'desc').orderBy('location').orderBy('lot').orderBy('expiry').orderBy('serial').orderBy('size').limit(OTHER_KEYS_LISTED).execute(),
    others.clearSelect().select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  const amountOf = (r: Row | undefined) => (r ? (measure === 'free' ? round(Number(r.amount) - Number(r.reserved)) : round(Number(r.reserved))) : 0);
  const otherKeys = listed.map((r) => ({ ...keyPartsView(r), [measure]: amountOf(r) }));
  const notListed = Number(counted.n) - otherKeys.length;
  const what = product?.sku ? product.sku : `product ${key.productId}`;
  const where = `warehouse ${warehouse?.name ?? key.warehouseId} (${describeKeyParts(key)})`;
  const elsewhere =
    otherKeys.length === 0
      ? `no ${measure} stock at other keys of this warehouse`
      : `${measure} at other keys of this warehouse: ${listed.map((r) => `${describeKeyParts(r)}: ${amountOf(r)}`).join('; ')}${notListed > 0 ? `; and ${notListed} more keys` : ''}`;
  const message = `Not enough ${measure} stock of ${what} at ${where}: asked ${err.asked}, ${measure} ${amountOf(own)}; ${elsewhere}`;
  const details = { ...(err.details as object), asked: err.asked, [measure]: amountOf(own), otherKeys, otherKeysNotListed: notListed };
  return new AppError(err.code, message, details);
}

const keyPartsView = (r: KeyParts): Record<keyof KeyParts, string | null> => ({
  size: r.size || null,
  lot: r.lot || null,
  expiry: r.expiry || null,
  serial: r.serial || null,
  location: r.location || null,
});
