import type { TagReference } from './types.js';

/** A real export of MAIN after the documents of the other examples (receipt, sale, transfer), CRLF as RFC 4180 has it. */
const STOCK_CSV =
  'productId,sku,code,title,unit,warehouseId,size,lot,expiry,serial,location,amount,reserved,free,updatedAt\r\n' +
  '1,TEE-RED-M,TEE-RED,"Organic cotton T-shirt, red, M",pcs,1,M,,,,A-01-1,7,0,7,2026-12-06T22:42:53.320Z\r\n' +
  '2,HOOD-GRY-L,HOOD-GRY,"Hoodie, grey, L",pcs,1,,,,,,5,0,5,2026-12-06T22:42:52.761Z\r\n';

/** The same documents' movements of TEE-RED-M, newest first. */
const MOVEMENTS_CSV =
  'id,createdAt,documentId,documentType,reference,warehouseId,productId,size,lot,expiry,serial,location,amountDelta,reservedDelta,amount,reserved,free\r\n' +
  '5,2026-12-06T22:42:53.320Z,3,transfer,TR-0031,2,1,M,,,,A-01-1,3,0,3,0,3\r\n' +
  '4,2026-12-06T22:42:53.320Z,3,transfer,TR-0031,1,1,M,,,,A-01-1,-3,0,7,0,7\r\n' +
  '3,2026-12-06T22:42:52.989Z,2,sale,SO-10483,1,1,M,,,,A-01-1,-2,0,10,0,10\r\n' +
  '1,2026-12-06T22:42:52.761Z,1,receipt,PO-2026-0142,1,1,M,,,,A-01-1,12,0,12,0,12\r\n';

export const stockReference: TagReference = {
  tag: {
    name: 'stock',
    description:
      'Reading the ledger back: levels per stock key now or at any past moment, the movements that made them, and ' +
      "a product's stock in the shape the metakocka format sends. Every level equals the sum of its movements; " +
      'free stock is amount minus reserved and is never negative.',
  },
  operations: {
    'GET /api/v1/stock': {
      summary: 'Stock levels per stock key, now or at a past moment',
      description:
        'One row per stock key (warehouse, product, size, lot, expiry, serial, location) with amount, reserved ' +
        'and free, and `version`, which grows by one on every change of the key. Ordered by product, warehouse ' +
        'and key parts. Filters: productId, warehouseId, `nonZero`, `outOfStock` (nothing free), `expiresBy` ' +
        "(YYYY-MM-DD), `q` (title, SKU or code); `withProduct=true` adds the product's fields. Without `limit` " +
        'every matching key comes back; with it, page with `cursor=<nextCursor>`. `at=<RFC 3339 time>` answers ' +
        'for that moment from the movement ledger: each key as it stood then, keys without a movement by then ' +
        'left out.',
      query: { productId: 1, warehouseId: 1, nonZero: true },
      responses: {
        '200': {
          data: [
            {
              warehouseId: 1,
              productId: 1,
              size: 'M',
              lot: null,
              expiry: null,
              serial: null,
              location: 'A-01-1',
              amount: 9,
              reserved: 0,
              free: 9,
              version: 4,
              updatedAt: '2026-12-06T22:42:53.320Z',
            },
          ],
          nextCursor: null,
        },
      },
    },
    'GET /api/v1/movements': {
      summary: 'The movement ledger of a product or a stock key',
      description:
        "Newest first, one movement per document line and stock key, each with the key's level right after it and " +
        'its document (type, reference, whether it is a cancellation, its source, and who posted it). Narrow to a ' +
        'key with warehouseId, size, lot, expiry, serial and location (an empty value, `lot=`, means none), or to ' +
        'one document. Pages of `limit`; pass `nextCursor` as `cursor`.',
      query: { productId: 1, warehouseId: 1, limit: 20 },
      responses: {
        '200': {
          data: [
            {
              id: 6,
              createdAt: '2026-12-06T22:42:53.320Z',
              warehouseId: 1,
              productId: 1,
              size: 'M',
              lot: null,
              expiry: null,
              serial: null,
              location: 'A-01-1',
              amountDelta: 2,
              reservedDelta: 0,
              amount: 9,
              reserved: 0,
              free: 9,
              document: {
                id: 4,
                type: 'sale',
                reference: 'SO-10483',
                reversesDocumentId: 2,
                source: null,
                author: { kind: 'user', applicationId: null },
              },
            },
            {
              id: 4,
              createdAt: '2026-12-06T22:42:52.989Z',
              warehouseId: 1,
              productId: 1,
              size: 'M',
              lot: null,
              expiry: null,
              serial: null,
              location: 'A-01-1',
              amountDelta: -3,
              reservedDelta: 0,
              amount: 7,
              reserved: 0,
              free: 7,
              document: {
                id: 3,
                type: 'transfer',
                reference: 'TR-0031',
                reversesDocumentId: null,
                source: null,
                author: { kind: 'user', applicationId: null },
              },
            },
          ],
          nextCursor: null,
        },
      },
    },
    'GET /api/v1/stock/export': {
      summary: 'Every stock key of the stock list, as CSV',
      description:
        'The rows GET /api/v1/stock lists for the same filters (productId, warehouseId, `nonZero`, `outOfStock`, ' +
        '`expiresBy`, `q`, `at`, `sort`, `dir`), in the same order, every page of them, streamed as `stock.csv` ' +
        "(RFC 4180: a header row, CRLF line ends, quoted fields). Each row carries the product's sku, code, title " +
        'and unit beside the key, amount, reserved, free and `updatedAt`; an empty cell is a key part the key does ' +
        'not have. A `read` token.',
      query: { warehouseId: 1, nonZero: true },
      responses: { '200': STOCK_CSV },
    },
    'GET /api/v1/stock/totals': {
      summary: 'Totals of the stock list: overall, per warehouse and per product',
      description:
        'For the stock keys GET /api/v1/stock would list with the same filters: how many keys, and their amount, ' +
        'reserved and free summed, overall (`all`), per warehouse and per product. Products are summed for the ' +
        "first 1000 products in the list's order; `productsComplete` is false when there were more. `at` answers " +
        'for a past moment, as the list does. A `read` token.',
      query: { nonZero: true },
      responses: {
        '200': {
          all: { keys: 3, amount: 15, reserved: 0, free: 15 },
          warehouses: [
            { warehouseId: 1, keys: 2, amount: 12, reserved: 0, free: 12 },
            { warehouseId: 2, keys: 1, amount: 3, reserved: 0, free: 3 },
          ],
          products: [
            { productId: 1, keys: 2, amount: 10, reserved: 0, free: 10 },
            { productId: 2, keys: 1, amount: 5, reserved: 0, free: 5 },
          ],
          productsComplete: true,
        },
      },
    },
    'GET /api/v1/movements/export': {
      summary: 'Every movement of the ledger for these filters, as CSV',
      description:
        'The movements GET /api/v1/movements lists for the same filters (product, warehouse, key parts, document, ' +
        '`since`, `until`), newest first, every page of them, streamed as `movements.csv` (RFC 4180). Each row has ' +
        "the movement's deltas, the key's level right after it, and its document's id, type and reference. A `read` " +
        'token.',
      query: { productId: 1, since: '2026-12-01T00:00:00Z' },
      responses: { '200': MOVEMENTS_CSV },
    },
    'GET /api/v1/stock/metakocka': {
      summary: "A product's stock in MetaKocka's stock-list shape",
      description:
        "Exactly the body the `metakocka` webhook format sends when this product's stock changes: one row per " +
        'warehouse, size and location (`micro_location`) with amount, reserved and free amounts as strings, as ' +
        "MetaKocka's API answers. Use it to check what a MetaKocka subscriber receives (docs/formats/metakocka.md).",
      query: { productId: 1 },
      responses: {
        '200': {
          opr_code: '0',
          opr_time_ms: '0',
          stock_list_count: '3',
          stock_list: [
            {
              warehouse_id: '1',
              mk_id: '1',
              count_code: 'TEE-RED-M',
              code: 'TEE-RED',
              title: 'Organic cotton T-shirt, red, M',
              amount: '11',
              reserved_amount: '0',
              free_amount: '11',
              unit: 'pcs',
              size: 'M',
            },
            {
              warehouse_id: '1',
              mk_id: '1',
              count_code: 'TEE-RED-M',
              code: 'TEE-RED',
              title: 'Organic cotton T-shirt, red, M',
              amount: '9',
              reserved_amount: '0',
              free_amount: '9',
              unit: 'pcs',
              micro_location: 'A-01-1',
              size: 'M',
            },
            {
              warehouse_id: '2',
              mk_id: '1',
              count_code: 'TEE-RED-M',
              code: 'TEE-RED',
              title: 'Organic cotton T-shirt, red, M',
              amount: '3',
              reserved_amount: '0',
              free_amount: '3',
              unit: 'pcs',
              micro_location: 'A-01-1',
              size: 'M',
            },
          ],
        },
      },
    },
  },
};
