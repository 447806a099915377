import { Type } from '@sinclair/typebox';
import type { App, RouteDeps } from '../deps.js';
import { listLevels } from '../../inventory/levels.js';
import { principalOf } from '../auth.js';
import { Id, responses, StockLevel } from '../schemas.js';

export function stockRoutes(app: App, { ctx, auth }: RouteDeps): void {
  app.get(
    '/api/v1/stock',
    {
      preHandler: auth.requireAccount,
      schema: {
        tags: ['stock'],
        summary: 'Stock levels per stock key (amount, reserved, free)',
        querystring: Type.Object({
          productId: Type.Optional(Id()),
          warehouseId: Type.Optional(Id()),
          nonZero: Type.Optional(Type.Boolean({ description: 'only keys with stock or reservations' })),
        }),
        response: responses({ 200: Type.Object({ data: Type.Array(Type.Ref(StockLevel)) }) }),
      },
    },
    async (req) => ({ data: await listLevels(ctx.store.db, principalOf(req).accountId, req.query) }),
  );
}
