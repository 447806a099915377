import type { StoredEvent } from '../../events/catalog.js';
import type { DocumentView } from '../../inventory/documents.js';
import type { ProductSize } from '../../inventory/products.js';
import { round } from '../../quantity.js';
import type { Tx } from '../../storage/database.js';
import type { WebhookFormat } from './format.js';
import { nativeFormat, STANDARD_DELIVERY } from './native.js';
import { checkStandardSecret, newStandardSecret, standardHeaders } from './standard-signature.js';

/** The the marketplace (docs/formats/marketplace.md) body: `{products: [{id, sizes: [{value, count, soldCount, sizeId}]}]}`. */
export interface MarketplaceBody {
  products: Array<{ id: number; sizes: Array<{ value: string; count: number; soldCount: number; sizeId: number }> }>;
}

/** The document types the marketplace hears about: its sales and returns. */
const TYPES = new Set(['sale', 'return']);

/** Units sold per product and size (net: a return sells minus units). */
type Sold = Map<number, Map<string, number>>;

/**
 * Why document events and not stock.changed: a document event is already exactly one per
 * document and carries the document's type and lines, whichever stock keys (lots, locations) the
 * lines were booked to. From stock.changed we would need a collapse key per document and then read
 * the document back anyway. Cancellations arrive as `document.cancelled` with the original (its
 * type and lines). The supplier API reports balances and posts `count` documents, which this
 * format never takes: echoing a supplier's own sale back to it would count the sale twice.
 *
 * A `count` booked from an inbound source (a Poster till's sale arriving as its new balance; the
 * event carries its `origin`) is taken: for the marketplace it is a sale (or a return) made
 * elsewhere, and `count` is what it can still sell. Its soldCount is what the count took away,
 * read from the same write's stock.changed events of that document.
 *
 * The sign of soldCount: +1 per unit for a posted sale, -1 for a posted return; a cancellation
 * turns the original's sign around (a cancelled sale gives units back, a cancelled return sells
 * them again). soldCount is therefore the net change in units sold caused by this document.
 */
function movement(e: StoredEvent): { doc: DocumentView; sign: 1 | -1 } | null {
  const doc = e.data.document as DocumentView | undefined;
  if (!doc) return null;
  if (doc.type === 'count' && e.type === 'document.posted' && e.data.origin !== undefined) return { doc, sign: 1 };
  if (!TYPES.has(doc.type)) return null;
  const base = doc.type === 'sale' ? 1 : -1;
  if (e.type === 'document.posted') return { doc, sign: base };
  if (e.type === 'document.cancelled') return { doc, sign: base === 1 ? -1 : 1 };
  return null;
}

const add = (sold: Sold, productId: number, size: string, n: number): void => {
  const sizes = sold.get(productId) ?? new Map<string, number>();
  sizes.set(size, (sizes.get(size) ?? 0) + n);
  sold.set(productId, sizes);
};

/** What the document sold, per product and size, in the order its lines list them. */
function soldBy(doc: DocumentView, sign: 1 | -1, batch: readonly StoredEvent[]): Sold {
  const sold: Sold = new Map();
  if (doc.type !== 'count') {
    for (const l of doc.lines) add(sold, l.productId, l.size ?? '', sign * l.quantity);
    return sold;
  }
  for (const l of doc.lines) add(sold, l.productId, l.size ?? '', 0);
  for (const e of batch) {
    if (e.type !== 'stock.changed' || e.data.documentId !== doc.id) continue;
    add(sold, Number(e.data.productId), (e.data.size as string | null) ?? '', -Number(e.data.amountDelta));
  }
  return sold;
}

/**
 * The document's lines grouped by product and size, in the order the lines list them, with:
 * - count: the size's free stock (amount - reserved) summed over the account's active warehouses
 *   after the change: what the marketplace can still sell;
 * - sizeId: the product's sizeId for that size, 0 when it has none (the vendor document types it as a Number);
 * - value: the size, "" for a product without sizes.
 */
async function renderBody(tx: Tx, accountId: string, grouped: Sold): Promise<MarketplaceBody> {
  const ids = [...grouped.keys()];
  const products = await tx.selectFrom('products').select(['id', 'sizes']).where('account_id', '=', accountId).where('id', 'in', ids).execute();
  const sizeIds = new Map(products.map((p) => [p.id, JSON.parse(p.sizes) as ProductSize[]]));
  const free = await tx
    .selectFrom('stock_levels')
    .innerJoin('warehouses', 'warehouses.id', 'stock_levels.warehouse_id')
    .select(['stock_levels.product_id', 'stock_levels.size'])
    .select((eb) => eb.fn.sum<number>(eb('stock_levels.amount', '-', eb.ref('stock_levels.reserved'))).as('free'))
    .where('stock_levels.account_id', '=', accountId)
    .where('stock_levels.product_id', 'in', ids)
    .where('warehouses.active', '=', 1)
    .where('warehouses.deleted', '=', 0)
    .groupBy(['stock_levels.product_id', 'stock_levels.size'])
    .execute();
  const freeOf = new Map(free.map((r) => [`${r.product_id}\u0000${r.size}`, Number(r.free)]));
  return {
    products: ids.map((id) => ({
      id,
      sizes: [...(grouped.get(id) as Map<string, number>)].map(([value, quantity]) => ({
        value,
        count: round(freeOf.get(`${id}\u0000${value}`) ?? 0),
        soldCount: round(quantity),
        sizeId: sizeIds.get(id)?.find((s) => s.value === value)?.sizeId ?? 0,
      })),
    })),
  };
}

/**
 * The fashion marketplace's sales-and-returns webhook (docs/formats/marketplace.md), signed with Standard Webhooks
 * headers; the dispatcher adds `Authorization: Bearer <token>` when the subscription has one.
 */
export const marketplaceFormat: WebhookFormat = {
  name: 'marketplace',
  ...STANDARD_DELIVERY,
  takes: (event) => event.type === 'webhook.test' || movement(event) !== null,
  async render(event, _sub, ctx) {
    // A test carries the shape with nothing in it, so a receiver can check its plumbing.
    if (event.type === 'webhook.test') return { body: JSON.stringify({ products: [] }), headers: { 'content-type': 'application/json' } };
    const m = movement(event);
    if (!m || m.doc.lines.length === 0) return null;
    const sold = soldBy(m.doc, m.sign, ctx.batch);
    // A count that confirmed the level moved nothing: nothing to tell.
    if (m.doc.type === 'count' && [...sold.values()].every((sizes) => [...sizes.values()].every((n) => n === 0))) return null;
    const body = await renderBody(ctx.tx, event.accountId, sold);
    return { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
  },
  attemptHeaders: (d, sub, now) => standardHeaders(d.id, d.body, sub, now),
  signsWithSeveralSecrets: true,
  judge: (res) => nativeFormat.judge(res),
  secret: (given) => (given === undefined ? newStandardSecret() : checkStandardSecret(given)),
};
