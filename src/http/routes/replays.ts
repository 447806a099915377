import { Type } from '@sinclair/typebox';
import type { App, RouteDeps } from '../deps.js';
import { getReplay, listReplays } from '../../delivery/replay.js';
import { principalOf } from '../auth.js';
import { Replay, responses, UuidParams } from '../schemas.js';

export function replayRoutes(app: App, { ctx, auth }: RouteDeps): void {
  const pre = { onRequest: auth.requireAccount };
  const tags = ['webhooks'];
  app.get(
    '/api/v1/replays/:id',
    { ...pre, schema: { tags, summary: "A replay job's progress", params: UuidParams, response: responses({ 200: Type.Ref(Replay) }) } },
    async (req) => getReplay(ctx, principalOf(req), req.params.id),
  );
  app.get(
    '/api/v1/replays',
    {
      ...pre,
      schema: {
        tags,
        summary: 'The latest replay jobs',
        querystring: Type.Object({ webhookId: Type.Optional(Type.String({ format: 'uuid' })) }),
        response: responses({ 200: Type.Object({ data: Type.Array(Type.Ref(Replay)) }) }),
      },
    },
    async (req) => ({ data: await listReplays(ctx, principalOf(req), req.query.webhookId) }),
  );
}
