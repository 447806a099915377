import type { TagReference } from './types.js';

export const productsReference: TagReference = {
  tag: {
    name: 'products',
    description:
      'What is stocked. A product has your codes (`sku`, `code`), a title, a unit and a price, optionally sizes ' +
      "(stock of a sized product is kept per size) and the supplier's product id (for the supplier stock API). " +
      'Changes emit product.created, product.updated and product.deleted events.',
  },
  operations: {
    'POST /api/v1/products': {
      summary: 'Create a product',
      description:
        "A `write` token. `title` is required. With `sizes`, the product's stock is kept per size and every " +
        "document line must name one of them (422 `UNKNOWN_SIZE` otherwise); `sizeId` is the marketplace's id of " +
        'the size. `supplierProductId` is how `POST /api/v1/supplier/stock` finds the product. Emits ' +
        'product.created.',
      body: {
        tee: {
          summary: 'A T-shirt sold in size M, known to its supplier as SUP-88412',
          value: {
            code: 'TEE-RED',
            sku: 'TEE-RED-M',
            title: 'Organic cotton T-shirt, red, M',
            unit: 'pcs',
            price: 19.9,
            supplierProductId: 'SUP-88412',
            sizes: [{ value: 'M', sizeId: 2 }],
          },
        },
      },
      responses: {
        '201': {
          id: 1,
          code: 'TEE-RED',
          sku: 'TEE-RED-M',
          title: 'Organic cotton T-shirt, red, M',
          unit: 'pcs',
          price: 19.9,
          supplierProductId: 'SUP-88412',
          sizes: [{ value: 'M', sizeId: 2 }],
          createdAt: '2026-12-06T22:42:52.498Z',
          updatedAt: '2026-12-06T22:42:52.498Z',
        },
      },
    },
    'GET /api/v1/products': {
      summary: 'List products',
      description:
        'Every product of the account by id, or only the one with the given `supplierProductId`.',
      query: { supplierProductId: 'SUP-88412' },
      responses: {
        '200': {
          data: [
            {
              id: 1,
              code: 'TEE-RED',
              sku: 'TEE-RED-M',
              title: 'Organic cotton T-shirt, red, M',
              unit: 'pcs',
              price: 19.9,
              supplierProductId: 'SUP-88412',
              sizes: [{ value: 'M', sizeId: 2 }],
              createdAt: '2026-12-06T22:42:52.498Z',
              updatedAt: '2026-12-06T22:42:52.498Z',
            },
          ],
        },
      },
    },
    'GET /api/v1/products/{id}': {
      summary: 'Get a product',
      description:
        "One product by id, with its sizes; another account's id is 404 `NOT_FOUND`.",
      params: { id: 1 },
      responses: {
        '200': {
          id: 1,
          code: 'TEE-RED',
          sku: 'TEE-RED-M',
          title: 'Organic cotton T-shirt, red, M',
          unit: 'pcs',
          price: 19.9,
          supplierProductId: 'SUP-88412',
          sizes: [{ value: 'M', sizeId: 2 }],
          createdAt: '2026-12-06T22:42:52.498Z',
          updatedAt: '2026-12-06T22:42:52.498Z',
        },
      },
    },
    'PATCH /api/v1/products/{id}': {
      summary: 'Change a product',
      description:
        'A `write` token. Changes only the fields sent; `sizes` replaces the list. A size that still holds stock ' +
        'or reservations cannot be dropped (409 `PRODUCT_HAS_STOCK`, with the sizes in `details`), and a product ' +
        'without sizes cannot be given sizes while it holds stock. Emits product.updated.',
      params: { id: 1 },
      body: { price: { summary: 'A new price', value: { price: 17.5 } } },
      responses: {
        '200': {
          id: 1,
          code: 'TEE-RED',
          sku: 'TEE-RED-M',
          title: 'Organic cotton T-shirt, red, M',
          unit: 'pcs',
          price: 17.5,
          supplierProductId: 'SUP-88412',
          sizes: [{ value: 'M', sizeId: 2 }],
          createdAt: '2026-12-06T22:42:52.498Z',
          updatedAt: '2026-12-06T22:42:52.549Z',
        },
      },
    },
    'DELETE /api/v1/products/{id}': {
      summary: 'Remove a product with no stock',
      description:
        'A `write` token. A product with stock anywhere is 409 `PRODUCT_HAS_STOCK`. Its movement history stays in ' +
        'the ledger. Emits product.deleted.',
      params: { id: 3 },
      responses: {},
    },
  },
};
