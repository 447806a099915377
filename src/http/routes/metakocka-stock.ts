import { Type } from '@sinclair/typebox';
import type { App, RouteDeps } from '../deps.js';
import { metakockaStockBody, renderMetakockaStock } from '../../inventory/reports/metakocka-stock.js';
import { principalOf } from '../auth.js';
import { Id, responses } from '../schemas.js';

const S = Type.String();
const StockRow = Type.Object({
  warehouse_id: S,
  mk_id: S,
  count_code: S,
  code: S,
  title: S,
  amount: S,
  reserved_amount: S,
  free_amount: S,
  unit: S,
  lot_number: Type.Optional(S),
  expiration_date: Type.Optional(S),
  serial_number: Type.Optional(S),
  micro_location: Type.Optional(S),
  size: Type.Optional(S),
});

export function metakockaStockRoutes(app: App, { ctx, auth }: RouteDeps): void {
  app.get(
    '/api/v1/stock/metakocka',
    {
      onRequest: auth.requireAccount,
      schema: {
        tags: ['stock'],
        summary: "A product's stock list exactly as the metakocka webhook sends it",
        querystring: Type.Object({ productId: Id() }),
        // Documents the shape only: the handler sends pre-rendered bytes, which fastify passes through.
        response: responses({
          200: Type.Object({ opr_code: S, opr_time_ms: S, stock_list_count: S, stock_list: Type.Array(StockRow) }),
        }),
      },
    },
    async (req, reply) => {
      const body = await metakockaStockBody(ctx.store.db, principalOf(req).accountId, req.query.productId);
      // The same renderer as the webhook, so a receiver can compare pull and push byte for byte.
      return reply.type('application/json; charset=utf-8').send(renderMetakockaStock(body));
    },
  );
}
