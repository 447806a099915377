import type { TagReference } from './types.js';

/** An order item as the API answers it, from a real session; the examples below differ in a few fields. */
const item = (over: Record<string, unknown>) => ({
  id: 1,
  productId: 2,
  itemTypeId: 1,
  isActive: true,
  barcode: '8712345000211',
  quantity: 2,
  quantityClaimed: 0,
  quantityShipped: 0,
  isBlockedForClaiming: false,
  description: 'Hoodie, grey, L',
  remark: '',
  reference: '',
  isSoldToCustomer: false,
  attachedToItemId: null,
  isPooledWithinStores: false,
  ...over,
});

/** Web order 10488: two grey hoodies, then a third in gift wrap. */
const order = (statusId: number, updatedAt: string, items: unknown[]) => ({
  id: 1,
  typeId: 1,
  statusId,
  dealerId: 0,
  orderAccountId: 0,
  warehouseId: 1,
  preferredDeliveryAt: '2026-12-09T00:00:00.000Z',
  salesOrderId: null,
  referenceText: 'Web order 10488',
  createdAt: '2026-12-06T22:42:54.080Z',
  updatedAt,
  items,
});

const created = order(10, '2026-12-06T22:42:54.080Z', [item({})]);
const giftWrap = item({ id: 2, barcode: 'HOOD-GRY', quantity: 1, description: 'Hoodie, grey, L (gift wrap)' });

export const outboundOrdersReference: TagReference = {
  tag: {
    name: 'outbound orders',
    description:
      "CycleSoftware's warehouse outbound orders (docs/formats/cyclesoftware.md): an order's items claim (reserve) " +
      'stock at its warehouse and ship it, which removes it from the ledger. Each change emits outbound_order.updated ' +
      'and the stock.changed events of what it reserved or shipped. Order items take stock kept without size, lot or ' +
      'location.',
  },
  operations: {
    'POST /api/v1/outbound-orders': {
      summary: 'Create an outbound order with its items',
      description:
        'A `write` token. The order at a warehouse, with CycleSoftware\'s numbers kept as given (`typeId`, ' +
        '`statusId`, `dealerId`, `orderAccountId`, `salesOrderId`) and its items: a product and a whole quantity ' +
        "each (the barcode defaults to the product's code). `preferredDeliveryAt` is a date, an RFC 3339 time or " +
        "CycleSoftware's `YYYY-MM-DD HH:mm:ss` (UTC). A product kept per size cannot be ordered (422 `UNKNOWN_SIZE`). " +
        'Creating claims nothing yet. Emits outbound_order.updated.',
      body: {
        webOrder: {
          summary: 'A web order for two grey hoodies, to deliver on 9 December',
          value: {
            warehouseId: 1,
            typeId: 1,
            statusId: 10,
            referenceText: 'Web order 10488',
            preferredDeliveryAt: '2026-12-09',
            items: [{ productId: 2, quantity: 2, barcode: '8712345000211', description: 'Hoodie, grey, L' }],
          },
        },
      },
      responses: { '201': created },
    },
    'GET /api/v1/outbound-orders': {
      summary: 'List outbound orders',
      description:
        'By id, oldest first, optionally of one warehouse or status. Pages of `limit` (default 100); for the next ' +
        "page pass the last order's id as `after`.",
      query: { warehouseId: 1, statusId: 10, limit: 50 },
      responses: { '200': { data: [created] } },
    },
    'GET /api/v1/outbound-orders/{id}': {
      summary: 'Get an outbound order',
      description: 'One order with all its items, including deactivated ones, and how much of each is claimed and shipped.',
      params: { id: 1 },
      responses: { '200': created },
    },
    'PATCH /api/v1/outbound-orders/{id}': {
      summary: 'Change an order; add, change or deactivate items',
      description:
        'A `write` token. Changes only the fields sent. Items with an `id` are changed, items without one are ' +
        'added; `isActive: false` marks an item deleted and releases what it claimed but did not ship. Emits ' +
        'outbound_order.updated.',
      params: { id: 1 },
      body: {
        addItem: {
          summary: 'Move the order to status 20 and add a third hoodie in gift wrap',
          value: { statusId: 20, items: [{ productId: 2, quantity: 1, description: 'Hoodie, grey, L (gift wrap)' }] },
        },
      },
      responses: { '200': order(20, '2026-12-06T22:42:54.187Z', [item({}), giftWrap]) },
    },
    'POST /api/v1/outbound-orders/{id}/claim': {
      summary: 'Claim (reserve) stock for order items',
      description:
        'A `write` token. Reserves the quantities at the order\'s warehouse, so they are no longer free for other ' +
        'sales. Without `items`, claims everything unclaimed on active items not blocked for claiming. Not enough ' +
        'free stock is 422 `INSUFFICIENT_STOCK` and nothing changes. Emits outbound_order.updated and stock.changed.',
      params: { id: 1 },
      body: { twoHoodies: { summary: 'Claim both hoodies of item 1', value: { items: [{ itemId: 1, quantity: 2 }] } } },
      responses: { '200': order(20, '2026-12-06T22:42:54.255Z', [item({ quantityClaimed: 2 }), giftWrap]) },
    },
    'POST /api/v1/outbound-orders/{id}/ship': {
      summary: 'Ship claimed stock',
      description:
        'A `write` token. Removes the shipped quantities from the amount and from the reservation, and marks the ' +
        'stock items linked to the shipped order items shipped (each emits stock_item.updated). Without `items`, ' +
        'ships everything claimed and not yet shipped; more than is claimed and unshipped is 422 `INVALID_STATE`. ' +
        'Emits outbound_order.updated and stock.changed.',
      params: { id: 1 },
      body: { twoHoodies: { summary: 'Ship the two claimed hoodies', value: { items: [{ itemId: 1, quantity: 2 }] } } },
      responses: {
        '200': order(20, '2026-12-06T22:42:54.298Z', [item({ quantityClaimed: 2, quantityShipped: 2 }), giftWrap]),
      },
    },
  },
};
