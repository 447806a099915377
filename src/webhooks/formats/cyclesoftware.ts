import type { EventType, StoredEvent } from '../../events/catalog.js';
import type { OutboundOrderView } from '../../inventory/outbound-order-views.js';
import type { StockItemView } from '../../inventory/stock-items.js';
import { cyclesoftwareSignature } from '../../receiver/signatures.js';
import { outboundOrderPayload, stockItemPayload } from './cyclesoftware-payloads.js';
import type { WebhookFormat } from './format.js';
import { nativeFormat, STANDARD_DELIVERY } from './native.js';
import { freeFormSecret, randomHex } from './secrets.js';

/** CycleSoftware's (docs/formats/cyclesoftware.md) event names. Deleting a stock item has no canonical event, so it sends nothing. */
export const CYCLESOFTWARE_EVENTS: Partial<Record<EventType, string>> = {
  'outbound_order.updated': 'warehouse_outbound_order.created_or_updated',
  'stock_item.updated': 'warehouse_stock_item.updated',
  'stock_item.released_for_shipment': 'warehouse_stock_item.released_for_shipment',
};

/**
 * Unix seconds with milliseconds, always written with three decimals: CycleSoftware (docs/formats/cyclesoftware.md) types it `float`,
 * and `1657012068.000` stays a float in PHP and Python where `1657012068` would decode as an int.
 */
export function cyclesoftwareTimestamp(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function payloadOf(event: StoredEvent): Record<string, unknown> {
  if (event.type === 'outbound_order.updated') return outboundOrderPayload(event.data.order as OutboundOrderView);
  return stockItemPayload(event.data.stockItem as StockItemView);
}

/**
 * CycleSoftware's envelope (docs/formats/cyclesoftware.md): `{id, account_id, event_name, event_timestamp, payload}`,
 * with the delivery id as `id` so it matches `X-CycleSoftware-Delivery` on every attempt.
 * The payload is the object as the event recorded it, so each message shows the state that
 * change produced, also when replayed later.
 */
export const cyclesoftwareFormat: WebhookFormat = {
  name: 'cyclesoftware',
  ...STANDARD_DELIVERY,
  takes: (event) => CYCLESOFTWARE_EVENTS[event.type] !== undefined,
  async render(event, _sub, ctx) {
    const eventName = CYCLESOFTWARE_EVENTS[event.type];
    if (!eventName) return null;
    // Written by hand around the timestamp: JSON.stringify would drop a `.000` fraction.
    const body =
      `{"id":${JSON.stringify(ctx.deliveryId)},"account_id":${ctx.account.number},` +
      `"event_name":${JSON.stringify(eventName)},"event_timestamp":${cyclesoftwareTimestamp(event.occurredAt)},` +
      `"payload":${JSON.stringify(payloadOf(event))}}`;
    return {
      body,
      headers: {
        'content-type': 'application/json',
        'X-CycleSoftware-Delivery': ctx.deliveryId,
        'X-CycleSoftware-Event': eventName,
      },
    };
  },
  // Signed per attempt, so a secret rotated while a delivery waits applies to its retries.
  attemptHeaders: (d, sub) => ({ 'X-CycleSoftware-Signature': cyclesoftwareSignature(sub.secret, d.body) }),
  // The vendor document says nothing on responses: any 2xx, with native's 410 and Retry-After handling.
  judge: (res) => nativeFormat.judge(res),
  secret: freeFormSecret('the hash secret', randomHex(32)),
};
