import { Type } from '@sinclair/typebox';
import type { App, RouteDeps } from '../../app.js';
import { applySupplierStockIn, SUPPLIER_ACTIONS } from '../../inventory/supplier-stock.js';
import { principalOf } from '../auth.js';
import { idempotentWrite, MAX_KEY_LENGTH, REPLAYED_HEADER, requestHash } from '../idempotency.js';
import { Id, IdOrZero, Nullable, Price, Quantity, responses, Strict } from '../schemas.js';

const ROUTE = 'POST /api/v1/supplier/stock';

/** Seed 002, field for field; `warehouseId` is ours (the marketplace knows one stock per supplier). */
export const SupplierStockBody = Strict({
  supplierProductId: Type.String({ minLength: 1, maxLength: 100 }),
  action: Type.Union(
    SUPPLIER_ACTIONS.map((a) => Type.Literal(a)),
    { description: 'receipts → receipt, sold → sale, return → return, cancel (an order cancelled before shipping) → return, price → product price' },
  ),
  newPrice: Type.Optional(Price({ description: 'required by, and only read by, action price; must be > 0' })),
  sizes: Type.Optional(
    Type.Array(
      Strict({
        value: Type.String({ minLength: 1, maxLength: 50, description: "one of the product's size values" }),
        count: Quantity({ description: 'units moved; > 0 for stock actions' }),
        soldCount: Type.Optional(Quantity({ description: 'accepted for compatibility, not booked' })),
        sizeId: Type.Optional(IdOrZero({ description: "when given, must match the product's sizeId for this value" })),
      }),
      { maxItems: 1000, description: 'required and non-empty for every action but price' },
    ),
  ),
  warehouseId: Type.Optional(Id({ description: "default: the account's oldest active warehouse" })),
});

const SupplierStockResult = Type.Object({
  action: Type.String(),
  supplierProductId: Type.String(),
  productId: Type.Integer({ description: 'the oldest product with this supplierProductId' }),
  documentId: Nullable(Type.Integer({ description: 'the posted document; null for price' })),
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
      preHandler: auth.requireAccount,
      schema: {
        tags: ['supplier'],
        summary: 'Supplier stock API (seed 002): one message becomes one posted document or a price change',
        description:
          'The product is found by supplierProductId. A stock action posts one document with source "supplier" and reference ' +
          '"supplier:<action>" in one transaction; selling more than the free stock is refused with 422 INSUFFICIENT_STOCK. ' +
          'With an Idempotency-Key the request applies at most once: a retry with the same body gets the stored response ' +
          `and the header ${REPLAYED_HEADER}: true; the same key with another body gets 409 IDEMPOTENCY_KEY_REUSED. ` +
          'Errors are not stored, so a failed request may be retried with its key.',
        headers: Type.Object({
          'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: MAX_KEY_LENGTH })),
        }),
        body: SupplierStockBody,
        response: responses({ 200: SupplierStockResult }),
      },
    },
    async (req, reply) => {
      const { accountId } = principalOf(req);
      const key = req.headers['idempotency-key'];
      const out = await idempotentWrite(ctx, accountId, key ? { key, hash: requestHash(ROUTE, req.body) } : null, async (scope) => ({
        status: 200,
        body: await applySupplierStockIn(scope, accountId, req.body),
      }));
      if (out.replayed) reply.header(REPLAYED_HEADER, 'true');
      return reply.status(out.status as 200).send(out.body);
    },
  );
}
