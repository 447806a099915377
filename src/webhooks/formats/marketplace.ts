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

/**
 * Why document events and not stock.changed: a document event is already exactly one per
 * document and carries the document's type and lines, whichever stock keys (lots, locations) the
 * lines were booked to. From stock.changed we would need a collapse key per document and then read
 * the document back anyway. Cancellations arrive as `document.cancelled` with the original (its
 * type and lines). The supplier API reports balances and posts `count` documents, which this
 * format never takes: echoing a supplier's own sale back to it would count the sale twice.
 *
 * The sign of soldCount: +1 per unit for a posted sale, -1 for a posted return; a cancellation
 * turns the original's sign around (a cancelled sale gives units back, a cancelled return sells
 * them again). soldCount is therefore the net change in units sold caused by this document.
 */
function movement(e: StoredEvent): { doc: DocumentView; sign: 1 | -1 } | null {
  const doc = e.data.document as DocumentView | undefined;
  if (!doc || !TYPES.has(doc.type)) return null;
  const base = doc.type === 'sale' ? 1 : -1;
  if (e.type === 'document.posted') return { doc, sign: base };
  if (e.type === 'document.cancelled') return { doc, sign: base === 1 ? -1 : 1 };
  return null;
}

/**
 * The document's lines grouped by product and size, in the order the lines list them, with:
 * - count: the size's free stock (amount - reserved) summed over the account's active warehouses
 *   after the change: what the marketplace can still sell;
 * - sizeId: the product's sizeId for that size, 0 when it has none (the vendor document types it as a Number);
 * - value: the size, "" for a product without sizes.
 */
async function renderBody(tx: Tx, accountId: string, doc: DocumentView, sign: 1 | -1): Promise<MarketplaceBody> {
  const grouped = new Map<number, Map<string, number>>();
  for (const l of doc.lines) {
    const sizes = grouped.get(l.productId) ?? new Map<string, number>();
    const size = l.size ?? '';
    sizes.set(size, (sizes.get(size) ?? 0) + l.quantity);
    grouped.set(l.productId, sizes);
  }
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
        soldCount: round(sign * quantity),
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
    const body = await renderBody(ctx.tx, event.accountId, m.doc, m.sign);
    return { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
  },
  attemptHeaders: (d, sub, now) => standardHeaders(d.id, d.body, sub, now),
  signsWithSeveralSecrets: true,
  judge: (res) => nativeFormat.judge(res),
  secret: (given) => (given === undefined ? newStandardSecret() : checkStandardSecret(given)),
};
