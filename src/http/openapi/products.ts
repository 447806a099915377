import type { TagReference } from './types.js';

export const productsReference: TagReference = {
  tag: { name: 'products', description: 'TODO-TAG' },
  operations: {
    'POST /api/v1/products': {
      summary: 'Create a product',
      description: 'TODO-DESCRIBE',
      body: {
        example: {
          summary: 'TODO-EX',
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
      description: 'TODO-DESCRIBE',
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
      description: 'TODO-DESCRIBE',
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
      description: 'TODO-DESCRIBE',
      params: { id: 1 },
      body: { example: { summary: 'TODO-EX', value: { price: 17.5 } } },
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
      description: 'TODO-DESCRIBE',
      params: { id: 3 },
      responses: {},
    },
  },
};
