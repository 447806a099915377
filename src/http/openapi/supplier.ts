import type { TagReference } from './types.js';

export const supplierReference: TagReference = {
  tag: { name: 'supplier', description: 'TODO-TAG' },
  operations: {
    'POST /api/v1/supplier/stock': {
      summary: 'Supplier stock API (docs/formats/marketplace.md): the supplier\'s balances per size become one count document; newPrice the price',
      description: 'The product is found by supplierProductId. sizes[].count is the remaining stock of the size: a message with sizes posts one count document (source "supplier", reference "supplier:<action>") setting each size\'s total at the warehouse, so the ledger books the difference; a level below the reserved units is refused with 422 INSUFFICIENT_STOCK. Supplier messages are never echoed to marketplace webhooks. Like every POST, it takes an Idempotency-Key.',
      body: {
        example: {
          summary: 'TODO-EX',
          value: {
            supplierProductId: 'SUP-88412',
            action: 'receipts',
            sizes: [{ value: 'M', count: 20, sizeId: 2 }],
            warehouseId: 1,
          },
        },
      },
      responses: {
        '200': {
          action: 'receipts',
          supplierProductId: 'SUP-88412',
          productId: 1,
          documentId: 5,
          warehouseId: 1,
          price: 17.5,
          levels: [{ size: 'M', amount: 20, reserved: 0, free: 20 }],
        },
      },
    },
  },
};
