import type { WriteScope } from '../context.js';
import { saveStockItemIn } from '../inventory/stock-items.js';
import { boundedKey, withOrigin } from './booking.js';
import type { Source } from './sources.js';
import type { Parsed } from './vendors.js';

export interface StockItemBooking {
  stockItemId: number | null;
  created: boolean;
  released: boolean;
  stale: boolean;
}

/**
 * CycleSoftware's `warehouse_stock_item.updated` / `released_for_shipment`: the serialized unit is
 * mirrored as a stockhook stock item (created the first time its CycleSoftware id is seen, and
 * remembered in the source's mappings as kind `stock_item`), its attributes set, and released for
 * shipment when the event says so. The envelope's event_timestamp orders the events of one item.
 */
export async function bookStockItem(scope: WriteScope, source: Source, p: Extract<Parsed, { kind: 'stock-item' }>): Promise<StockItemBooking> {
  const { tx, now } = scope;
  const key = boundedKey(`stock_item:${p.itemId}`);
  if (p.mark !== null) {
    const last = await tx.selectFrom('source_marks').select('mark').where('source_id', '=', source.id).where('key', '=', key).executeTakeFirst();
    if (last && p.mark < Number(last.mark)) return { stockItemId: null, created: false, released: false, stale: true };
    await tx
      .insertInto('source_marks')
      .values({ source_id: source.id, key, mark: p.mark, updated_ms: now })
      .onConflict((oc) => oc.columns(['source_id', 'key']).doUpdateSet({ mark: p.mark as number, updated_ms: now }))
      .execute();
  }
  const mapped = await tx
    .selectFrom('source_mappings')
    .select('target_id')
    .where('source_id', '=', source.id)
    .where('kind', '=', 'stock_item')
    .where('external_id', '=', p.itemId)
    .executeTakeFirst();
  const release = p.event === 'warehouse_stock_item.released_for_shipment';
  const item = await saveStockItemIn(withOrigin(scope, source), source.accountId, mapped?.target_id ?? null, p.attributes, release);
  if (!mapped) {
    await tx
      .insertInto('source_mappings')
      .values({ source_id: source.id, kind: 'stock_item', external_id: p.itemId, account_id: source.accountId, target_id: item.id, created_ms: now })
      .execute();
  }
  return { stockItemId: item.id, created: !mapped, released: item.isReleasedForShipment, stale: false };
}
