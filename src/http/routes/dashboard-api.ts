import { Type } from '@sinclair/typebox';
import type { App, RouteDeps } from '../deps.js';
import { listDeliveries } from '../../delivery/log.js';
import { deliveryStats, MAX_STATS_BUCKETS } from '../../delivery/stats.js';
import { subscriptionHealth } from '../../webhooks/subscription-health.js';
import { principalOf } from '../auth.js';
import { Defaulted, Delivery, Nullable, responses } from '../schemas.js';

const STATUSES = ['pending', 'succeeded', 'failed', 'dropped', 'held', 'cancelled'];

const Health = Type.Object({
  webhookId: Type.String({ format: 'uuid' }),
  state: Type.Union(['healthy', 'failing', 'paused', 'disabled'].map((x) => Type.Literal(x)), {
    description: 'disabled; paused (the circuit breaker holds its deliveries until pausedUntil); failing (since failingSince); healthy',
  }),
  disabledReason: Nullable(Type.String()),
  failingSince: Nullable(Type.String({ format: 'date-time' })),
  pausedUntil: Nullable(Type.String({ format: 'date-time', description: 'set only while the pause lasts' })),
  lastAttempt: Nullable(
    Type.Object({
      at: Type.String({ format: 'date-time' }),
      outcome: Type.String(),
      statusCode: Nullable(Type.Integer()),
      error: Nullable(Type.String()),
    }),
  ),
  nextAttemptAt: Nullable(Type.String({ format: 'date-time', description: "the earliest pending delivery's next try, not before the pause ends" })),
  pending: Type.Integer(),
  held: Type.Integer(),
});

const StatsBucket = Type.Object({
  at: Type.String({ format: 'date-time', description: 'start of the bucket' }),
  attempts: Type.Integer(),
  succeeded: Type.Integer(),
  failed: Type.Integer({ description: 'attempts whose outcome is not succeeded' }),
  p50Ms: Nullable(Type.Number({ description: 'median attempt duration; null when the bucket has no attempts' })),
  p95Ms: Nullable(Type.Number()),
});

/** The read APIs the dashboard (/ui) is drawn from: the account's delivery log and attempt statistics. */
export function dashboardApiRoutes(app: App, { ctx, auth }: RouteDeps): void {
  const pre = { onRequest: auth.requireAccount };
  app.get(
    '/api/v1/deliveries',
    {
      ...pre,
      schema: {
        tags: ['deliveries'],
        summary: "The account's delivery log across subscriptions, newest first",
        querystring: Type.Object({
          webhookId: Type.Optional(Type.String({ format: 'uuid' })),
          status: Type.Optional(Type.Union(STATUSES.map((s) => Type.Literal(s)))),
          eventType: Type.Optional(Type.String({ maxLength: 100 })),
          eventId: Type.Optional(Type.String({ format: 'uuid', description: 'the deliveries of one event' })),
          since: Type.Optional(Type.String({ format: 'date-time' })),
          until: Type.Optional(Type.String({ format: 'date-time' })),
          limit: Defaulted(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
          cursor: Type.Optional(Type.String({ maxLength: 200 })),
        }),
        response: responses({ 200: Type.Object({ data: Type.Array(Type.Ref(Delivery)), nextCursor: Nullable(Type.String()) }) }),
      },
    },
    async (req) => listDeliveries(ctx.store.db, principalOf(req), req.query.webhookId, req.query),
  );
  app.get(
    '/api/v1/webhooks/health',
    {
      ...pre,
      schema: {
        tags: ['webhooks'],
        summary: "Each subscription's endpoint health: breaker pause, failing streak, last attempt, next attempt, deliveries waiting",
        response: responses({ 200: Type.Object({ data: Type.Array(Health) }) }),
      },
    },
    async (req) => ({ data: await subscriptionHealth(ctx.store.db, principalOf(req), ctx.now()) }),
  );
  app.get(
    '/api/v1/stats/deliveries',
    {
      ...pre,
      schema: {
        tags: ['deliveries'],
        summary: 'Attempts per time bucket: count, succeeded, failed, p50 and p95 duration',
        description: `since at most 7 days back (default: one hour ago), at most ${MAX_STATS_BUCKETS} buckets; buckets start at multiples of bucketSeconds.`,
        querystring: Type.Object({
          since: Type.Optional(Type.String({ format: 'date-time' })),
          bucketSeconds: Defaulted(Type.Integer({ minimum: 1, maximum: 86400, default: 60 })),
          webhookId: Type.Optional(Type.String({ format: 'uuid' })),
        }),
        response: responses({
          200: Type.Object({
            since: Type.String({ format: 'date-time' }),
            until: Type.String({ format: 'date-time' }),
            bucketSeconds: Type.Number(),
            buckets: Type.Array(StatsBucket),
          }),
        }),
      },
    },
    async (req) => {
      const now = ctx.now();
      const since = req.query.since === undefined ? now - 3600_000 : Date.parse(req.query.since);
      return deliveryStats(ctx.store.db, principalOf(req), { since, bucketSeconds: req.query.bucketSeconds, webhookId: req.query.webhookId }, now);
    },
  );
}
