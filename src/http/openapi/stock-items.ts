import type { TagReference } from './types.js';

/** An e-bike frame on order 10488's first item, as the API answers it; the examples differ in a few fields. */
const stockItem = (over: Record<string, unknown>) => ({
  id: 1,
  outboundOrderId: 1,
  outboundOrderItemId: 1,
  outboundShipmentId: 0,
  outboundShipmentItemId: 0,
  location: { location: 'Workshop', rackName: 'R3' },
  supplierId: 0,
  articleId: 'EB-CITY-28',
  barcode: '8712345009876',
  batteryId: '',
  customerId: 0,
  customerOrderId: 0,
  employeeFirstName: '',
  employeeLastName: '',
  frameId: 'WAZ4402117',
  isAssembled: false,
  isShipped: false,
  isDelivered: false,
  keyId: '',
  lockId: '',
  licensePlateNumber: '',
  orderReferenceId: '',
  orderReferenceText: '',
  labels: ['pre-delivery-check'],
  subOrderItems: [],
  isReleasedForShipment: false,
  createdAt: '2026-12-06T22:42:54.425Z',
  updatedAt: '2026-12-06T22:42:54.425Z',
  ...over,
});

const assembled = { isAssembled: true, location: { location: 'Workshop', rackName: 'R4' }, updatedAt: '2026-12-06T22:42:54.447Z' };

export const stockItemsReference: TagReference = {
  tag: {
    name: 'stock items',
    description:
      "CycleSoftware's serialized stock items (docs/formats/cyclesoftware.md): one physical unit, such as a bicycle " +
      'with its frame, key and battery numbers, optionally linked to an outbound order item. Shipping that order ' +
      'item marks it shipped. Changes emit stock_item.created, stock_item.updated and ' +
      'stock_item.released_for_shipment; they do not change the stock ledger.',
  },
  operations: {
    'POST /api/v1/stock-items': {
      summary: 'Create a serialized stock item',
      description:
        'A `write` token. Attributes not sent default to 0, "", false or []. `outboundOrderItemId` must be an item ' +
        "of one of this account's outbound orders, and `outboundOrderId` is taken from it. Emits stock_item.created.",
      body: {
        frame: {
          summary: 'An e-bike for order item 1, waiting in the workshop',
          value: {
            outboundOrderItemId: 1,
            articleId: 'EB-CITY-28',
            barcode: '8712345009876',
            frameId: 'WAZ4402117',
            location: { location: 'Workshop', rackName: 'R3' },
            labels: ['pre-delivery-check'],
          },
        },
      },
      responses: { '201': stockItem({}) },
    },
    'GET /api/v1/stock-items': {
      summary: 'List stock items',
      description: "By id, oldest first. Pages of `limit` (default 100); for the next page pass the last item's id as `after`.",
      query: { after: 0, limit: 50 },
      responses: { '200': { data: [stockItem({})] } },
    },
    'GET /api/v1/stock-items/{id}': {
      summary: 'Get a stock item',
      description: "One stock item with every attribute; another account's id is 404 `NOT_FOUND`.",
      params: { id: 1 },
      responses: { '200': stockItem({}) },
    },
    'PATCH /api/v1/stock-items/{id}': {
      summary: 'Change stock item attributes',
      description:
        'A `write` token. Changes only the attributes sent: `location` is merged (send `rackName` alone to move ' +
        'racks), `labels` and `subOrderItems` are replaced. Emits stock_item.updated.',
      params: { id: 1 },
      body: { assembled: { summary: 'Assembled, and moved to rack R4', value: { isAssembled: true, location: { rackName: 'R4' } } } },
      responses: { '200': stockItem(assembled) },
    },
    'DELETE /api/v1/stock-items/{id}': {
      summary: 'Delete a stock item',
      description:
        "A `write` token. Removes the stock item. It emits no event, as CycleSoftware's API says: subscribers are " +
        'not told.',
      params: { id: 2 },
      responses: {},
    },
    'POST /api/v1/stock-items/{id}/release': {
      summary: 'Release a stock item for shipment',
      description:
        'A `write` token. Marks the item released for shipment, once: releasing it again is 422 `INVALID_STATE`. ' +
        'Emits stock_item.released_for_shipment.',
      params: { id: 1 },
      responses: { '200': stockItem({ ...assembled, isReleasedForShipment: true, updatedAt: '2026-12-06T22:42:54.466Z' }) },
    },
  },
};
