import { Type } from '@sinclair/typebox';
import type { App, RouteDeps } from '../deps.js';
import { listMovements } from '../../inventory/movements.js';
import { principalOf } from '../auth.js';
import { Defaulted, Id, Movement, Nullable, responses } from '../schemas.js';

const part = (name: string) =>
  Type.Optional(Type.String({ maxLength: 100, description: `only keys with this ${name}; empty (${name}=) for keys without one` }));

/** The movement list's filters (the CSV export takes the same ones). */
export const MovementQuery = Type.Object({
  productId: Type.Optional(Id()),
  warehouseId: Type.Optional(Id()),
  size: part('size'),
  lot: part('lot'),
  expiry: part('expiry'),
  serial: part('serial'),
  location: part('location'),
  documentId: Type.Optional(Id()),
  since: Type.Optional(Type.String({ format: 'date-time' })),
  until: Type.Optional(Type.String({ format: 'date-time' })),
  limit: Defaulted(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
});

export function movementRoutes(app: App, { ctx, auth }: RouteDeps): void {
  app.get(
    '/api/v1/movements',
    {
      onRequest: auth.requireAccount,
      schema: {
        tags: ['stock'],
        summary: 'The movement ledger of a product or stock key, newest first, with the level after each; page with cursor=<nextCursor>',
        description: 'Each movement names its document (type, reference, whether it is a cancellation, who posted it). Levels always equal the sum of movements.',
        querystring: MovementQuery,
        response: responses({ 200: Type.Object({ data: Type.Array(Type.Ref(Movement)), nextCursor: Nullable(Type.String()) }) }),
      },
    },
    async (req) => listMovements(ctx.store.db, principalOf(req).accountId, req.query),
  );
}
