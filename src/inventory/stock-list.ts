import { sql, type Expression, type SqlBool } from 'kysely';
import { round } from '../quantity.js';
import type { Db } from '../storage/database.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import type { LevelView } from './levels.js';
import { keyView } from './stock-key.js';

/** Quantities are doubles: "nothing free" tolerates the ledger's rounding noise (see ledger.ts). */
const EPSILON = 1e-9;

export interface StockFilter {
  productId?: number;
  warehouseId?: number;
  nonZero?: boolean;
  /** Only keys with nothing free (amount - reserved <= 0). */
  outOfStock?: boolean;
  /** Only keys with an expiry date on or before this day (YYYY-MM-DD). */
  expiresBy?: string;
  /** Words in the product's title, SKU or code (case-insensitive substring). */
  q?: string;
  /** Stock as it was at this moment (ISO time), summed from the movement ledger. */
  at?: string;
  withProduct?: boolean;
  /** A column to order by first (the key order breaks ties); the default is the key order. */
  sort?: StockSort;
  /** The direction of the whole order (sort column and key order): asc by default. */
  dir?: 'asc' | 'desc';
  /** Page size; without it every matching key comes back at once (the original contract). */
  limit?: number;
  cursor?: string;
}

export interface StockRow extends LevelView {
  product?: { code: string; sku: string; title: string; unit: string };
}

export const STOCK_SORTS = ['title', 'amount', 'reserved', 'free', 'expiry'] as const;
export type StockSort = (typeof STOCK_SORTS)[number];

const ORDER = ['l.product_id', 'l.warehouse_id', 'l.size', 'l.lot', 'l.expiry', 'l.serial', 'l.location'] as const;

/** `%text%` for LIKE with the pattern characters of the text taken literally. */
export const likePattern = (text: string) => `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * Stock levels per key, now or at a past moment, ordered by (product, warehouse, key parts) and
 * paged on that order with a keyset cursor (the unique stock key index serves both).
 *
 * `at`: a key's level at time t is the sum of its movements up to t (levels always equal the sum of
 * their movements). It is computed per key with correlated aggregates on the movements_level_time
 * index, so a page costs the movements of the keys on it, not of the whole ledger; keys that had no
 * movement by then did not exist yet and are left out.
 */
/**
 * The stock keys matching a filter (now or at a past moment), unordered and unpaged, with their
 * amount and reserved as the list shows them: the list pages it, the totals sum it.
 */
export function filteredStock(db: Db, accountId: string, f: Omit<StockFilter, 'limit' | 'cursor' | 'sort' | 'dir' | 'withProduct'>) {
  let amount: Expression<number> = sql<number>`l.amount`;
  let reserved: Expression<number> = sql<number>`l.reserved`;
  let version: Expression<number> = sql<number>`l.version`;
  let updated: Expression<number> = sql<number>`l.updated_ms`;
  if (f.at !== undefined) {
    const at = Date.parse(f.at);
    const agg = (fn: ReturnType<typeof sql>) =>
      sql<number>`(select ${fn} from movements mv where mv.account_id = l.account_id and mv.stock_level_id = l.id and mv.created_ms <= ${at})`;
    amount = agg(sql`coalesce(sum(mv.amount_delta), 0)`);
    reserved = agg(sql`coalesce(sum(mv.reserved_delta), 0)`);
    version = agg(sql`count(*)`);
    updated = agg(sql`max(mv.created_ms)`);
  }
  let q = db
    .selectFrom('stock_levels as l')
    .innerJoin('products as p', (j) => j.onRef('p.id', '=', 'l.product_id').onRef('p.account_id', '=', 'l.account_id'))
    .select(['l.warehouse_id', 'l.product_id', 'l.size', 'l.lot', 'l.expiry', 'l.serial', 'l.location', 'p.code', 'p.sku', 'p.title', 'p.unit'])
    .select([sql<number>`${amount}`.as('amount'), sql<number>`${reserved}`.as('reserved'), sql<number>`${version}`.as('version'), sql<number>`${updated}`.as('updated_ms')])
    .where('l.account_id', '=', accountId);
  if (f.productId !== undefined) q = q.where('l.product_id', '=', f.productId);
  if (f.warehouseId !== undefined) q = q.where('l.warehouse_id', '=', f.warehouseId);
  if (f.at !== undefined) {
    const at = Date.parse(f.at);
    q = q.where(sql<SqlBool>`exists (select 1 from movements mv where mv.account_id = l.account_id and mv.stock_level_id = l.id and mv.created_ms <= ${at})`);
  }
  if (f.nonZero) q = q.where(sql<SqlBool>`(${amount} <> 0 or ${reserved} <> 0)`);
  if (f.outOfStock) q = q.where(sql<SqlBool>`${amount} - ${reserved} <= ${EPSILON}`);
  if (f.expiresBy !== undefined) q = q.where('l.expiry', '<>', '').where('l.expiry', '<=', f.expiresBy);
  if (f.q !== undefined && f.q.trim() !== '') {
    const p = likePattern(f.q.trim());
    q = q.where(
      sql<SqlBool>`(lower(p.title) like ${p} escape '\\' or lower(p.sku) like ${p} escape '\\' or lower(p.code) like ${p} escape '\\')`,
    );
  }
  return { q, amount, reserved };
}

export async function listStock(db: Db, accountId: string, f: StockFilter): Promise<{ data: StockRow[]; nextCursor: string | null }> {
  const { q: filtered, amount, reserved } = filteredStock(db, accountId, f);
  let q = filtered;
  // The sort column leads the keyset; quantities are expressions (a past moment sums the ledger).
  const sortExpr: Expression<unknown> | null =
    f.sort === undefined
      ? null
      : f.sort === 'title'
        ? sql`p.title`
        : f.sort === 'expiry'
          ? sql`l.expiry`
          : f.sort === 'amount'
            ? amount
            : f.sort === 'reserved'
              ? reserved
              : sql`(${amount} - ${reserved})`;
  const desc = f.dir === 'desc';
  if (f.cursor !== undefined) {
    const c = decodeCursor(f.cursor, sortExpr === null ? 'nnsssss' : `${f.sort === 'title' ? 't' : f.sort === 'expiry' ? 's' : 'f'}nnsssss`);
    // Row values compare lexicographically on both databases; in the key order account_id leads so
    // PostgreSQL can walk the unique key index from the cursor on.
    const cols = sql.join(ORDER.map((col) => sql.ref(col)));
    q =
      sortExpr === null
        ? q.where(sql<SqlBool>`(l.account_id, ${cols}) ${sql.raw(desc ? '<' : '>')} (${accountId}, ${sql.join(c)})`)
        : q.where(sql<SqlBool>`(${sortExpr}, ${cols}) ${sql.raw(desc ? '<' : '>')} (${sql.join(c)})`);
  }
  if (sortExpr !== null) q = q.orderBy(sql`${sortExpr}`, desc ? 'desc' : 'asc');
  for (const col of ORDER) q = q.orderBy(col, desc ? 'desc' : 'asc');
  if (f.limit !== undefined) q = q.limit(f.limit + 1);
  const rows = await q.execute();
  const page = f.limit === undefined ? rows : rows.slice(0, f.limit);
  const data = page.map((r): StockRow => {
    const a = round(Number(r.amount));
    const res = round(Number(r.reserved));
    return {
      ...(keyView({ warehouseId: r.warehouse_id, productId: r.product_id, size: r.size, lot: r.lot, expiry: r.expiry, serial: r.serial, location: r.location }) as Omit<
        LevelView,
        'amount' | 'reserved' | 'free' | 'version' | 'updatedAt'
      >),
      amount: a,
      reserved: res,
      free: round(a - res),
      version: Number(r.version),
      updatedAt: new Date(Number(r.updated_ms)).toISOString(),
      ...(f.withProduct && { product: { code: r.code, sku: r.sku, title: r.title, unit: r.unit } }),
    };
  });
  const last = page[page.length - 1];
  const more = f.limit !== undefined && rows.length > f.limit && last;
  return {
    data,
    nextCursor: more ? encodeCursor([...(sortExpr === null ? [] : [sortValue(f.sort as StockSort, last)]), last.product_id, last.warehouse_id, last.size, last.lot, last.expiry, last.serial, last.location]) : null,
  };
}

/** The sort column's value of a row as the database compares it (quantities unrounded). */
function sortValue(sort: StockSort, r: { title: string; expiry: string; amount: unknown; reserved: unknown }): string | number {
  if (sort === 'title') return r.title;
  if (sort === 'expiry') return r.expiry;
  if (sort === 'amount') return Number(r.amount);
  if (sort === 'reserved') return Number(r.reserved);
  return Number(r.amount) - Number(r.reserved);
}
