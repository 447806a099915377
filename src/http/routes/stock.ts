import { Type } from '@sinclair/typebox';
import type { App, RouteDeps } from '../deps.js';
import { listStock, STOCK_SORTS } from '../../inventory/stock-list.js';
import { principalOf } from '../auth.js';
import { CalendarDate, Id, Nullable, responses, StockLevel } from '../schemas.js';

/** The stock list's filters (the CSV export takes the same ones). */
export const StockQuery = Type.Object({
  productId: Type.Optional(Id()),
  warehouseId: Type.Optional(Id()),
  nonZero: Type.Optional(Type.Boolean({ description: 'only keys with stock or reservations' })),
  outOfStock: Type.Optional(Type.Boolean({ description: 'only keys with nothing free (amount - reserved <= 0)' })),
  expiresBy: Type.Optional(CalendarDate()),
  q: Type.Optional(Type.String({ maxLength: 100, description: "part of the product's title, SKU or code, case-insensitive" })),
  at: Type.Optional(Type.String({ format: 'date-time', description: 'the moment to answer for (RFC 3339, a real calendar time)' })),
  sort: Type.Optional(Type.Union(STOCK_SORTS.map((x) => Type.Literal(x)), { description: "order by this column first (the key order breaks ties); cursors carry it, so keep it while paging" })),
  dir: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')], { description: 'direction of the whole order; asc by default' })),
  withProduct: Type.Optional(Type.Boolean({ description: "add each key's product code, sku, title and unit" })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  // A cursor of the title order carries a product title (up to 500 characters, base64 in JSON).
  cursor: Type.Optional(Type.String({ maxLength: 4000 })),
});

export function stockRoutes(app: App, { ctx, auth }: RouteDeps): void {
  app.get(
    '/api/v1/stock',
    {
      onRequest: auth.requireAccount,
      schema: {
        tags: ['stock'],
        summary: 'Stock levels per stock key (amount, reserved, free), now or at a past moment',
        description:
          'Ordered by product, warehouse and the key parts. Without limit every matching key comes back; with limit, page with cursor=<nextCursor>. ' +
          'at=<ISO time> answers from the movement ledger: each key as it stood at that moment (version = its changes so far, updatedAt = its last change by then); keys without a movement by then are left out.',
        querystring: StockQuery,
        response: responses({ 200: Type.Object({ data: Type.Array(Type.Ref(StockLevel)), nextCursor: Nullable(Type.String()) }) }),
      },
    },
    async (req) => listStock(ctx.store.db, principalOf(req).accountId, req.query),
  );
}
