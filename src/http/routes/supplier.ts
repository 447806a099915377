import { Type } from '@sinclair/typebox';
import type { App, RouteDeps } from '../deps.js';
import { applySupplierStock, SUPPLIER_ACTIONS } from '../../inventory/supplier-stock.js';
import { principalOf } from '../auth.js';
import { Id, IdOrZero, Nullable, PositivePrice, Quantity, responses, Strict } from '../schemas.js';

/** The marketplace's supplier API (docs/formats/marketplace.md), field for field; `warehouseId` is ours (the marketplace knows one stock per supplier). */
export const SupplierStockBody = Strict({
  supplierProductId: Type.String({ minLength: 1, maxLength: 100 }),
  action: Type.Union(
    SUPPLIER_ACTIONS.map((a) => Type.Literal(a)),
    { description: 'the reason for the balances in sizes (kept as the document reference supplier:<action>); price needs newPrice and no sizes' },
  ),
  newPrice: Type.Optional(PositivePrice({ description: 'applied with any action when present (required by price); more than 0' })),
  sizes: Type.Optional(
    Type.Array(
      Strict({
        value: Type.String({ minLength: 0, maxLength: 50, description: 'one of the product\'s size values; "" for a product without sizes' }),
        count: Quantity({ description: 'the supplier\'s remaining stock of the size after the action (a balance; 0 = sold out)' }),
        soldCount: Type.Optional(Quantity({ description: 'units sold by the action; informational, the balance in count is what is booked' })),
        sizeId: Type.Optional(IdOrZero({ description: "when given, must match the product's sizeId for this value" })),
      }),
      { maxItems: 1000, description: 'required and non-empty for every action but price; each value at most once' },
    ),
  ),
  warehouseId: Type.Optional(Id({ description: "default: the account's oldest active warehouse" })),
});

const SupplierStockResult = Type.Object({
  action: Type.String(),
  supplierProductId: Type.String(),
  productId: Type.Integer({ description: 'the oldest product with this supplierProductId' }),
  documentId: Nullable(Type.Integer({ description: 'the posted count document; null when the message had no sizes' })),
  warehouseId: Nullable(Type.Integer({ description: 'null only for price on an account with no active warehouse' })),
  price: Type.Number({ description: "the product's price after the request" }),
  levels: Type.Array(
    Type.Object({ size: Nullable(Type.String()), amount: Type.Number(), reserved: Type.Number(), free: Type.Number() }),
    { description: "the product's stock at the warehouse per size (all its sizes, zeros included), after the request" },
  ),
});

export function supplierRoutes(app: App, { ctx, auth }: RouteDeps): void {
  app.post(
    '/api/v1/supplier/stock',
    {
      onRequest: auth.requireAccount,
      schema: {
        tags: ['supplier'],
        summary: 'Supplier stock API (docs/formats/marketplace.md): the supplier\'s balances per size become one count document; newPrice the price',
        description:
          'The product is found by supplierProductId. sizes[].count is the remaining stock of the size: a message with sizes posts one ' +
          'count document (source "supplier", reference "supplier:<action>") setting each size\'s total at the warehouse, so the ' +
          'ledger books the difference; a level below the reserved units is refused with 422 INSUFFICIENT_STOCK. ' +
          'Supplier messages are never echoed to marketplace webhooks. ' +
          'Like every POST, it takes an Idempotency-Key.',
        body: SupplierStockBody,
        response: responses({ 200: SupplierStockResult }),
      },
    },
    async (req) => applySupplierStock(ctx, principalOf(req).accountId, req.body),
  );
}
