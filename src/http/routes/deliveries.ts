import { Type } from '@sinclair/typebox';
import type { App, RouteDeps } from '../deps.js';
import { getDelivery, retryDelivery } from '../../delivery/log.js';
import { principalOf } from '../auth.js';
import { Delivery, Nullable, responses, Url, UuidParams } from '../schemas.js';

const Attempt = Type.Object({
  attempt: Type.Integer(),
  startedAt: Type.String({ format: 'date-time' }),
  durationMs: Type.Number(),
  outcome: Type.String(),
  request: Type.Object({ url: Url(), headers: Type.Record(Type.String(), Type.String()), body: Type.String() }),
  response: Nullable(Type.Object({ status: Type.Integer(), headers: Type.Record(Type.String(), Type.Unknown()), body: Type.String() })),
  error: Nullable(Type.Object({ kind: Type.String(), message: Type.String() })),
});

export function deliveryRoutes(app: App, { ctx, auth }: RouteDeps): void {
  const pre = { onRequest: auth.requireAccount };
  const tags = ['deliveries'];
  app.get(
    '/api/v1/deliveries/:id',
    {
      ...pre,
      schema: {
        tags,
        summary: 'A delivery with its body and every attempt (request headers with credentials masked, response status, headers and first 8 KiB)',
        params: UuidParams,
        response: responses({ 200: Type.Intersect([Type.Ref(Delivery), Type.Object({ body: Type.String(), attemptLog: Type.Array(Attempt) })]) }),
      },
    },
    async (req) => getDelivery(ctx.store.db, principalOf(req), req.params.id),
  );
  app.post(
    '/api/v1/deliveries/:id/retry',
    {
      ...pre,
      schema: { tags, summary: 'Send a finished delivery again: same id, same bytes, one more attempt', params: UuidParams, response: responses({ 202: Type.Ref(Delivery) }) },
    },
    async (req, reply) => reply.status(202).send(await retryDelivery(ctx, principalOf(req), req.params.id)),
  );
}
