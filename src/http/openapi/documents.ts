import type { TagReference } from './types.js';

export const documentsReference: TagReference = {
  tag: { name: 'documents', description: 'TODO-TAG' },
  operations: {
    'POST /api/v1/documents': {
      summary: 'Post a stock document atomically',
      description: 'receipt/return add stock; sale/writeoff remove it; transfer moves it to toWarehouseId; count sets the amount; reserve/release change the reservation. A change that would make free stock negative is refused with 422 INSUFFICIENT_STOCK.',
      body: {
        receipt: {
          summary: 'TODO-EX',
          value: {
            type: 'receipt',
            warehouseId: 1,
            reference: 'PO-2026-0142',
            lines: [{ productId: 1, size: 'M', quantity: 12, location: 'A-01-1' }, { productId: 2, quantity: 5 }],
          },
        },
        sale: {
          summary: 'TODO-EX',
          value: {
            type: 'sale',
            warehouseId: 1,
            reference: 'SO-10483',
            lines: [{ productId: 1, size: 'M', quantity: 2, location: 'A-01-1' }],
          },
        },
        transfer: {
          summary: 'TODO-EX',
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
      summary: 'List documents with their lines, newest first; page with cursor=<nextCursor>',
      description: 'TODO-DESCRIBE',
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
      summary: 'The events a document caused (document.posted, stock.changed, document.cancelled), in commit order',
      description: 'TODO-DESCRIBE',
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
      description: 'TODO-DESCRIBE',
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
      summary: 'Cancel a posted document by posting its reversal',
      description: 'TODO-DESCRIBE',
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
