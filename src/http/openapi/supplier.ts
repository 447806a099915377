import type { TagReference } from './types.js';

export const supplierReference: TagReference = {
  tag: {
    name: 'supplier',
    description:
      'The marketplace supplier stock API (docs/formats/marketplace.md): a supplier reports its remaining stock ' +
      'per size and its price, and stockhook books the difference as a count document.',
  },
  operations: {
    'POST /api/v1/supplier/stock': {
      summary: "Book a supplier's stock report",
      description:
        "A `write` token. The product is found by `supplierProductId`. `sizes[].count` is the supplier's " +
        'remaining stock of that size (0: sold out): the message posts one `count` document (source `supplier`, ' +
        "reference `supplier:<action>`) that makes each size's total at the warehouse (the first active one " +
        'unless `warehouseId` is given) equal to `count`, so the ledger books the difference; stock of the size ' +
        'kept under a lot or location stays, and a count below it is 422 `INSUFFICIENT_STOCK`. A size the product ' +
        "does not have is 422 `UNKNOWN_SIZE`. `newPrice`, when present, becomes the product's price (more than 0). " +
        '`action` (receipts, sold, cancel, return, price) is kept as the reason. Supplier messages are never ' +
        'echoed to `marketplace` webhooks. Send an `Idempotency-Key` to retry safely.',
      body: {
        receipts: {
          summary: 'The supplier received stock: 20 of size M left',
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
