import { Type } from '@sinclair/typebox';
import type { App, RouteDeps } from '../deps.js';
import { listDeliveries, testWebhook } from '../../delivery/log.js';
import { startReplay } from '../../delivery/replay.js';
import { EVENT_TYPES } from '../../events/catalog.js';
import { FORMAT_NAMES } from '../../webhooks/formats/registry.js';
import { findSubscription, listSubscriptions } from '../../webhooks/subscription-row.js';
import { toView } from '../../webhooks/subscription-view.js';
import {
  createSubscription,
  DEFAULT_ROTATION_GRACE_SECONDS,
  deleteSubscription,
  MAX_ROTATION_GRACE_SECONDS,
  rotateSecret,
  updateSubscription,
} from '../../webhooks/subscriptions.js';
import { emptyBodyIsObject } from '../empty-body.js';
import { principalOf } from '../auth.js';
import { BasicPassword, BasicUsername, Defaulted, Delivery, HeaderToken, Nullable, Replay, responses, Strict, Url, UuidParams, Webhook } from '../schemas.js';

const WebhookRef = Type.Ref(Webhook);

const fields = {
  url: Url({ minLength: 1, maxLength: 2048, description: 'http or https' }),
  // No schema default: PATCH shares these fields, and a default would turn every PATCH into a format change.
  format: Type.Optional(Type.Union(FORMAT_NAMES.map((f) => Type.Literal(f)), { description: 'default native' })),
  events: Type.Optional(Nullable(Type.Array(Type.Union(EVENT_TYPES.map((e) => Type.Literal(e))), { maxItems: 50 }))),
  // Only bounded here: each format's secret() is the check (native and marketplace: whsec_<base64>;
  // metakocka, cyclesoftware: any non-empty value the user chose in the vendor's system).
  secret: Type.Optional(
    Type.String({ minLength: 1, maxLength: 512, description: "checked by the format: native/marketplace whsec_<base64>; others any value the vendor's system allows; generated when absent" }),
  ),
  basicAuth: Type.Optional(Nullable(Strict({ username: BasicUsername({ maxLength: 200 }), password: BasicPassword({ maxLength: 200 }) }))),
  bearerToken: Type.Optional(Nullable(HeaderToken({ minLength: 1, maxLength: 1000 }))),
  enabled: Type.Optional(Type.Boolean()),
  retrySchedule: Type.Optional(Nullable(Type.Array(Type.Number({ minimum: 0, maximum: 7 * 86400 }), { maxItems: 30 }))),
  coalesceSeconds: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 3600 }))),
  maxInFlight: Type.Optional(Type.Integer({ minimum: 1, maximum: 256 })),
  objects: Type.Optional(Type.Array(Type.String({ maxLength: 50 }), { maxItems: 50, description: 'poster: the objects it wants' })),
  stockType: Type.Optional(Type.String({ maxLength: 20, description: 'kladana' })),
  reportType: Type.Optional(Type.String({ maxLength: 20, description: 'kladana' })),
};

export function webhookRoutes(app: App, { ctx, auth, renderer }: RouteDeps): void {
  const pre = { onRequest: auth.requireAccount };
  const tags = ['webhooks'];
  app.post(
    '/api/v1/webhooks',
    {
      ...pre,
      schema: {
        tags,
        summary: 'Subscribe an endpoint; the answer shows the signing secret this once',
        body: Strict(fields),
        response: responses({ 201: WebhookRef }),
      },
    },
    async (req, reply) => reply.status(201).send(await createSubscription(ctx, principalOf(req), req.body)),
  );
  app.get(
    '/api/v1/webhooks',
    { ...pre, schema: { tags, summary: 'List subscriptions (no secrets)', response: responses({ 200: Type.Object({ data: Type.Array(WebhookRef) }) }) } },
    async (req) => ({ data: (await listSubscriptions(ctx.store.db, principalOf(req))).map((s) => toView(s)) }),
  );
  app.get(
    '/api/v1/webhooks/:id',
    { ...pre, schema: { tags, summary: 'Get a subscription (no secret)', params: UuidParams, response: responses({ 200: WebhookRef }) } },
    async (req) => toView(await findSubscription(ctx.store.db, principalOf(req), req.params.id)),
  );
  app.patch(
    '/api/v1/webhooks/:id',
    {
      ...pre,
      schema: {
        tags,
        summary: 'Change a subscription; disabling holds its pending deliveries, enabling sends them',
        params: UuidParams,
        body: Type.Partial(Strict(fields), { minProperties: 1 }),
        response: responses({ 200: WebhookRef }),
      },
    },
    async (req) => updateSubscription(ctx, principalOf(req), req.params.id, req.body),
  );
  app.delete(
    '/api/v1/webhooks/:id',
    { ...pre, schema: { tags, summary: 'Delete a subscription; its waiting deliveries are cancelled', params: UuidParams, response: responses({ 204: Type.Null() }) } },
    async (req, reply) => {
      await deleteSubscription(ctx, principalOf(req), req.params.id);
      return reply.status(204).send();
    },
  );
  app.post(
    '/api/v1/webhooks/:id/rotate-secret',
    {
      ...pre,
      preValidation: emptyBodyIsObject,
      schema: {
        tags,
        summary: 'Replace the signing secret; the new one is shown this once',
        description:
          'native and marketplace (Standard Webhooks) keep signing with the old secret beside the new one for the grace period ' +
          '(`webhook-signature: v1,<new> v1,<old>`); the other formats sign with the new secret at once. The body is optional.',
        params: UuidParams,
        body: Strict({
          gracePeriodSeconds: Type.Optional(
            Type.Integer({
              minimum: 0,
              maximum: MAX_ROTATION_GRACE_SECONDS,
              default: DEFAULT_ROTATION_GRACE_SECONDS,
              description: 'how long the old secret keeps signing (default 24 h, as Svix); 0 switches at once',
            }),
          ),
        }),
        response: responses({ 200: WebhookRef }),
      },
    },
    async (req) => rotateSecret(ctx, principalOf(req), req.params.id, req.body.gracePeriodSeconds),
  );
  app.post(
    '/api/v1/webhooks/:id/test',
    {
      ...pre,
      schema: {
        tags,
        summary: 'Send a webhook.test event to this subscription only',
        params: UuidParams,
        response: responses({ 202: Type.Object({ eventId: Type.String(), deliveryId: Nullable(Type.String()) }) }),
      },
    },
    async (req, reply) => reply.status(202).send(await testWebhook(ctx, principalOf(req), req.params.id)),
  );
  app.post(
    '/api/v1/webhooks/:id/replay',
    {
      ...pre,
      schema: {
        tags,
        summary: 'Re-sync: send every matching event since a time again, to this subscription',
        description: 'Starts a background job and answers at once; follow its progress at GET /api/v1/replays/:id.',
        params: UuidParams,
        body: Strict({ since: Type.String({ format: 'date-time' }) }),
        response: responses({ 202: Type.Ref(Replay) }),
      },
    },
    async (req, reply) => {
      const { view, done } = await startReplay(ctx, renderer, principalOf(req), req.params.id, Date.parse(req.body.since));
      // The job records its own failure; nothing is left to await here.
      void done;
      return reply.status(202).header('location', `/api/v1/replays/${view.id}`).send(view);
    },
  );
  app.get(
    '/api/v1/webhooks/:id/deliveries',
    {
      ...pre,
      schema: {
        tags,
        summary: "A subscription's delivery log, newest first",
        params: UuidParams,
        querystring: Type.Object({
          status: Type.Optional(Type.Union(['pending', 'succeeded', 'failed', 'dropped', 'held', 'cancelled'].map((s) => Type.Literal(s)))),
          eventType: Type.Optional(Type.String()),
          since: Type.Optional(Type.String({ format: 'date-time' })),
          until: Type.Optional(Type.String({ format: 'date-time' })),
          limit: Defaulted(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
          cursor: Type.Optional(Type.String()),
        }),
        response: responses({ 200: Type.Object({ data: Type.Array(Type.Ref(Delivery)), nextCursor: Nullable(Type.String()) }) }),
      },
    },
    async (req) => listDeliveries(ctx.store.db, principalOf(req), req.params.id, req.query),
  );
}
