import type { TagReference } from './types.js';

export const eventsReference: TagReference = {
  tag: {
    name: 'events',
    description:
      "The account's event log: every change writes its events (stock.changed, document.posted, " +
      'document.cancelled, product.*, warehouse.*, outbound_order.updated, stock_item.*, application.*) in the ' +
      'same transaction, numbered per account (`seq`) in commit order. Poll it instead of, or beside, webhooks: ' +
      'paging by `after` never skips an event. Events are kept 90 days by default (docs/operations/retention.md).',
  },
  operations: {
    'GET /api/v1/events': {
      summary: 'The event log, in commit order',
      description:
        'Events with `seq` greater than `after`, oldest first, at most `limit` (default 100); continue with ' +
        '`after=<nextAfter>` until a page comes back short. `type` keeps the listed types (comma-separated). ' +
        '`last=N` answers the newest N events after `after` instead, which is where a live tail starts. Paging ' +
        'from before the retained history is 410 `HISTORY_PRUNED`, with `details.oldestAfter`, the `after` to start ' +
        'from.',
      query: { after: 0, limit: 2, type: 'stock.changed' },
      responses: {
        '200': {
          data: [
            {
              id: '01a24d86-3d08-7637-9507-a4d53c9f1f19',
              seq: 12,
              type: 'stock.changed',
              object: 'stock',
              objectId: '1',
              action: 'changed',
              occurredAt: '2026-12-06T22:42:52.805Z',
              data: {
                warehouseId: 1,
                productId: 1,
                size: 'M',
                lot: null,
                expiry: null,
                serial: null,
                location: 'A-01-1',
                amount: 12,
                reserved: 0,
                free: 12,
                amountDelta: 12,
                reservedDelta: 0,
                version: 1,
                documentId: 1,
                documentType: 'receipt',
                reversal: false,
                reference: 'PO-2026-0142',
              },
            },
            {
              id: '01a24d86-3d08-7627-93d0-da990d1e4330',
              seq: 13,
              type: 'stock.changed',
              object: 'stock',
              objectId: '2',
              action: 'changed',
              occurredAt: '2026-12-06T22:42:52.805Z',
              data: {
                warehouseId: 1,
                productId: 2,
                size: null,
                lot: null,
                expiry: null,
                serial: null,
                location: null,
                amount: 5,
                reserved: 0,
                free: 5,
                amountDelta: 5,
                reservedDelta: 0,
                version: 1,
                documentId: 1,
                documentType: 'receipt',
                reversal: false,
                reference: 'PO-2026-0142',
              },
            },
          ],
          nextAfter: 13,
        },
      },
    },
    'GET /api/v1/events/{id}': {
      summary: 'Get one event',
      description:
        'One event by its id (a UUID, as webhook deliveries carry it in their payload and `eventId`), with its ' +
        '`seq`, type, object and data. An event pruned by retention is 404 `NOT_FOUND`.',
      params: { id: '01a24d86-3d08-7818-9463-d87f970976c4' },
      responses: {
        '200': {
          id: '01a24d86-3d08-7818-9463-d87f970976c4',
          seq: 11,
          type: 'document.posted',
          object: 'document',
          objectId: '1',
          action: 'added',
          occurredAt: '2026-12-06T22:42:52.805Z',
          data: {
            document: {
              id: 1,
              type: 'receipt',
              status: 'posted',
              warehouseId: 1,
              toWarehouseId: null,
              reference: 'PO-2026-0142',
              reversesDocumentId: null,
              reversedByDocumentId: null,
              createdAt: '2026-12-06T22:42:52.805Z',
              lines: [
                { productId: 1, size: 'M', lot: null, expiry: null, serial: null, location: 'A-01-1', quantity: 12 },
                { productId: 2, size: null, lot: null, expiry: null, serial: null, location: null, quantity: 5 },
              ],
            },
          },
        },
      },
    },
  },
};
