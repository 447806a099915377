import { Type } from '@sinclair/typebox';
import type { App, RouteDeps } from '../deps.js';
import { getEvent, listEvents } from '../../events/list.js';
import { principalOf } from '../auth.js';
import { Defaulted, Event, responses, UuidParams } from '../schemas.js';

export function eventRoutes(app: App, { ctx, auth }: RouteDeps): void {
  app.get(
    '/api/v1/events',
    {
      onRequest: auth.requireAccount,
      schema: {
        tags: ['events'],
        summary: 'The event log, in commit order; page with after=<nextAfter>',
        querystring: Type.Object({
          after: Defaulted(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0, description: 'the seq of the last event seen' })),
          limit: Defaulted(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          type: Type.Optional(Type.String({ description: 'comma-separated event types' })),
          last: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'the newest N events after `after` instead of the oldest (where a live tail starts); limit is then ignored' })),
        }),
        response: responses({ 200: Type.Object({ data: Type.Array(Type.Ref(Event)), nextAfter: Type.Integer() }) }),
      },
    },
    async (req) =>
      listEvents(ctx.store, principalOf(req).accountId, {
        after: req.query.after,
        limit: req.query.limit,
        types: req.query.type?.split(',').filter(Boolean),
        last: req.query.last,
      }),
  );
  app.get(
    '/api/v1/events/:id',
    { onRequest: auth.requireAccount, schema: { tags: ['events'], summary: 'One event', params: UuidParams, response: responses({ 200: Type.Ref(Event) }) } },
    async (req) => getEvent(ctx.store, principalOf(req).accountId, req.params.id),
  );
}
