import type { TagReference } from './types.js';

export const documentsReference: TagReference = {
  tag: {
    name: 'documents',
    description:
      'Every stock change is a document: posted atomically (all its lines or none), never edited, cancelled only ' +
      'by posting its reversal. `receipt` and `return` add stock, `sale` and `writeoff` remove it, `transfer` ' +
      'moves it to another warehouse, `count` sets the amount found by an inventory count, `reserve` and ' +
      '`release` move stock in and out of the reservation. Each line names a product and optionally a size, lot, ' +
      'expiry, serial and location: with the warehouse, the stock key its level is kept under.',
  },
  operations: {
    'POST /api/v1/documents': {
      summary: 'Post a stock document',
      description:
        'A `write` token. All lines are booked in one transaction, with their movements, a document.posted event ' +
        'and a stock.changed event per stock key, and the deliveries to matching webhooks, or nothing is. A ' +
        'change that would make free stock (amount minus reserved) negative at any key is 422 `INSUFFICIENT_STOCK` ' +
        'and changes nothing, also under concurrent requests; stock is found only under the exact key sent, so a ' +
        'sale must name the size, lot and location the stock was received with (the refusal names the key asked ' +
        "for and the free stock at the product's other keys in that warehouse). A line's size must be one of the " +
        "product's sizes (422 `UNKNOWN_SIZE`), the warehouse must be active (422 `INACTIVE_WAREHOUSE`). Quantities " +
        'are 0 to 1,000,000,000 with at most 6 decimals. Send an `Idempotency-Key` to retry safely.',
      body: {
        receipt: {
          summary: 'A receipt of 12 TEE-RED-M (size M, bin A-01-1) and 5 hoodies into MAIN',
          value: {
            type: 'receipt',
            warehouseId: 1,
            reference: 'PO-2026-0142',
            lines: [{ productId: 1, size: 'M', quantity: 12, location: 'A-01-1' }, { productId: 2, quantity: 5 }],
          },
        },
        sale: {
          summary: 'A sale of 2 TEE-RED-M from bin A-01-1',
          value: {
            type: 'sale',
            warehouseId: 1,
            reference: 'SO-10483',
            lines: [{ productId: 1, size: 'M', quantity: 2, location: 'A-01-1' }],
          },
        },
        transfer: {
          summary: 'A transfer of 3 TEE-RED-M from MAIN to the outlet',
          value: {
            type: 'transfer',
            warehouseId: 1,
            toWarehouseId: 2,
            reference: 'TR-0031',
            lines: [{ productId: 1, size: 'M', quantity: 3, location: 'A-01-1' }],
          },
        },
      },
      responses: {
        '201': {
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
          author: { kind: 'user', applicationId: null },
          source: null,
        },
      },
    },
    'GET /api/v1/documents': {
      summary: 'List documents with their lines',
      description:
        'Newest first, filtered by type, warehouse (either side of a transfer), cancelled or not, and creation ' +
        "time (`since`, `until`: RFC 3339). Pages of `limit` (default 50); pass the answer's `nextCursor` as " +
        '`cursor` for the next page (null on the last).',
      query: { type: 'receipt', warehouseId: 1, limit: 20 },
      responses: {
        '200': {
          data: [
            {
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
              author: { kind: 'user', applicationId: null },
              source: null,
            },
          ],
          nextCursor: null,
        },
      },
    },
    'GET /api/v1/documents/{id}/events': {
      summary: 'The events a document caused',
      description:
        'document.posted, its stock.changed events (one per stock key, with the level after the change) and, once ' +
        "cancelled, document.cancelled and the reversal's stock.changed events, in commit order: what its webhooks " +
        'were sent. Events pruned by retention (after 90 days by default) are no longer listed.',
      params: { id: 2 },
      responses: {
        '200': {
          data: [
            {
              id: '01a24d86-3d5b-7ee1-a331-dd90b79a814a',
              seq: 14,
              type: 'document.posted',
              object: 'document',
              objectId: '2',
              action: 'added',
              occurredAt: '2026-12-06T22:42:52.886Z',
              data: {
                document: {
                  id: 2,
                  type: 'sale',
                  status: 'posted',
                  warehouseId: 1,
                  toWarehouseId: null,
                  reference: 'SO-10483',
                  reversesDocumentId: null,
                  reversedByDocumentId: null,
                  createdAt: '2026-12-06T22:42:52.886Z',
                  lines: [
                    {
                      productId: 1,
                      size: 'M',
                      lot: null,
                      expiry: null,
                      serial: null,
                      location: 'A-01-1',
                      quantity: 2,
                    },
                  ],
                },
              },
            },
            {
              id: '01a24d86-3d5b-7aaa-bc9d-b1a5e8a85c27',
              seq: 15,
              type: 'stock.changed',
              object: 'stock',
              objectId: '1',
              action: 'changed',
              occurredAt: '2026-12-06T22:42:52.886Z',
              data: {
                warehouseId: 1,
                productId: 1,
                size: 'M',
                lot: null,
                expiry: null,
                serial: null,
                location: 'A-01-1',
                amount: 10,
                reserved: 0,
                free: 10,
                amountDelta: -2,
                reservedDelta: 0,
                version: 2,
                documentId: 2,
                documentType: 'sale',
                reversal: false,
                reference: 'SO-10483',
              },
            },
          ],
        },
      },
    },
    'GET /api/v1/documents/{id}': {
      summary: 'Get a document with its lines',
      description:
        'One document with its lines, its status (`posted` or `cancelled`), the reversal that cancelled it ' +
        '(`reversedByDocumentId`) or the document it reverses (`reversesDocumentId`), and who posted it ' +
        "(`author`: the account's user or an installed application).",
      params: { id: 1 },
      responses: {
        '200': {
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
          author: { kind: 'user', applicationId: null },
          source: null,
        },
      },
    },
    'POST /api/v1/documents/{id}/cancel': {
      summary: 'Cancel a document by posting its reversal',
      description:
        'A `write` token. Posts a document of the same type with the opposite effect (`reversesDocumentId` set) ' +
        'and marks this one cancelled; answers the cancelled document. The reversal follows the same rules: a ' +
        'receipt whose stock was already sold cannot be cancelled (422 `INSUFFICIENT_STOCK`), and a document ' +
        'cancelled before is 409 `DOCUMENT_ALREADY_CANCELLED`. Emits document.cancelled and the stock.changed ' +
        'events.',
      params: { id: 2 },
      responses: {
        '200': {
          id: 2,
          type: 'sale',
          status: 'cancelled',
          warehouseId: 1,
          toWarehouseId: null,
          reference: 'SO-10483',
          reversesDocumentId: null,
          reversedByDocumentId: 4,
          createdAt: '2026-12-06T22:42:52.886Z',
          lines: [
            { productId: 1, size: 'M', lot: null, expiry: null, serial: null, location: 'A-01-1', quantity: 2 },
          ],
          author: { kind: 'user', applicationId: null },
          source: null,
        },
      },
    },
  },
};
