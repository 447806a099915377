import { Type } from '@sinclair/typebox';
import type { App, RouteDeps } from '../deps.js';
import { principalOf } from '../auth.js';
import { Defaulted, Id, IdParams, Nullable, responses, Strict } from '../schemas.js';
import { Inbox } from '../../sources/inbound.js';
import { listMappings, MAPPING_KINDS } from '../../sources/mapping.js';
import { listRequests, OUTCOMES } from '../../sources/request-log.js';
import { createSource, deleteSource, findSource, healthOf, listSources, MAPPING_RULES, toSourceView, updateSource, type Source } from '../../sources/sources.js';
import { addMapping, deleteMapping, listUnmatched, retryUnmatched } from '../../sources/unmatched.js';
import { SOURCE_FORMATS } from '../../sources/vendors.js';

/** A vendor's request body is read up to 1 MiB, like the API's (a MetaKocka stock list of every warehouse fits many times over). */
const BODY_LIMIT_BYTES = 1024 * 1024;

const Source = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    format: Type.String(),
    url: Type.String({ description: "paste into the vendor's webhook settings: its path is the source's unguessable token" }),
    mapping: Type.String(),
    allowCreate: Type.Boolean(),
    defaultWarehouseId: Nullable(Type.Integer()),
    ownWebhookIds: Type.Array(Type.String()),
    enabled: Type.Boolean(),
    hasSecret: Type.Boolean(),
    hasReportAuthorization: Type.Boolean(),
    reportBaseUrl: Nullable(Type.String()),
    health: Type.Object({
      lastRequest: Nullable(Type.Object({ id: Type.String(), receivedAt: Type.String(), outcome: Type.String() })),
      unmatched: Type.Integer({ description: 'rows waiting for a mapping' }),
    }),
    createdAt: Type.String(),
    updatedAt: Type.String(),
  },
  { $id: 'Source' },
);

const fields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  format: Type.Union(SOURCE_FORMATS.map((f) => Type.Literal(f))),
  secret: Type.Optional(
    Nullable(Type.String({ minLength: 1, maxLength: 512, description: "what the vendor signs with (MetaKocka client_secret, Poster application secret, CycleSoftware hash secret, the upstream stockhook's whsec_…); required but for kladana; never shown again" })),
  ),
  reportAuthorization: Type.Optional(
    Nullable(Type.String({ minLength: 1, maxLength: 1000, pattern: '^[\\x21-\\x7e][\\x20-\\x7e]*$', description: 'kladana: the Authorization header its reportUrl is fetched with (Basic … or Bearer …); never shown again' })),
  ),
  reportBaseUrl: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 500, description: 'kladana: a reportUrl must start with this (default https://app.kladana.in/api/remap/1.2/)' }))),
  mapping: Type.Optional(Type.Union(MAPPING_RULES.map((m) => Type.Literal(m)), { description: 'how external products are found when no explicit mapping names them; default sku' })),
  allowCreate: Type.Optional(Type.Boolean({ description: 'create a product the vendor names and nothing maps (default false: the row is kept as unmatched)' })),
  defaultWarehouseId: Type.Optional(Nullable(Id({ description: 'where balances of a vendor that names no warehouse go (Kladana reportType all)' }))),
  ownWebhookIds: Type.Optional(Type.Array(Type.String({ format: 'uuid' }), { maxItems: 50, description: "the subscriptions of the source's own system: what it books is not echoed to them" })),
  enabled: Type.Optional(Type.Boolean()),
};

const BookResult = Type.Object({
  documentIds: Type.Array(Type.Integer()),
  booked: Type.Integer(),
  unmatched: Type.Integer(),
  stale: Type.Array(Type.Object({ key: Type.String(), mark: Type.Number(), last: Type.Number() })),
  createdProductIds: Type.Array(Type.Integer()),
});

const Mapping = Strict({
  kind: Type.Union(MAPPING_KINDS.map((k) => Type.Literal(k))),
  externalId: Type.String({ minLength: 1, maxLength: 200 }),
  targetId: Id(),
});

export function sourceRoutes(app: App, { ctx, auth, reportFetches }: RouteDeps): void {
  const pre = { onRequest: auth.requireAccount };
  const tags = ['sources'];
  const publicUrl = ctx.settings.publicUrl;
  const ref = Type.Ref(Source);
  app.addSchema(Source);
  const owned = async (accountId: string, id: number) => findSource(ctx.store.db, accountId, id);

  app.post(
    '/api/v1/sources',
    { ...pre, schema: { tags, summary: "Register an inbound source: a vendor's own webhooks booked as stock", body: Strict({ ...fields, name: fields.name, format: fields.format }), response: responses({ 201: ref }) } },
    async (req, reply) => reply.status(201).send(toSourceView(await createSource(ctx, principalOf(req).accountId, req.body), publicUrl)),
  );
  const withHealth = async (sources: Source[]) => {
    const health = await healthOf(ctx.store.db, sources.map((s) => s.id));
    return sources.map((s) => toSourceView(s, publicUrl, health.get(s.id)));
  };
  app.get('/api/v1/sources', { ...pre, schema: { tags, summary: 'List sources (no secrets) with their health', response: responses({ 200: Type.Object({ data: Type.Array(ref) }) }) } }, async (req) => ({
    data: await withHealth(await listSources(ctx.store.db, principalOf(req).accountId)),
  }));
  app.get('/api/v1/sources/:id', { ...pre, schema: { tags, summary: 'Get a source with its health', params: IdParams, response: responses({ 200: ref }) } }, async (req) =>
    (await withHealth([await owned(principalOf(req).accountId, req.params.id)]))[0],
  );
  app.patch(
    '/api/v1/sources/:id',
    { ...pre, schema: { tags, summary: 'Change a source (its format and URL stay)', params: IdParams, body: Type.Partial(Strict(fields), { minProperties: 1 }), response: responses({ 200: ref }) } },
    async (req) => (await withHealth([await updateSource(ctx, principalOf(req).accountId, req.params.id, req.body)]))[0],
  );
  app.delete('/api/v1/sources/:id', { ...pre, schema: { tags, summary: 'Delete a source, its mappings and its log; what it booked stays', params: IdParams, response: responses({ 204: Type.Null() }) } }, async (req, reply) => {
    await deleteSource(ctx, principalOf(req).accountId, req.params.id);
    return reply.status(204).send();
  });

  app.get(
    '/api/v1/sources/:id/mappings',
    { ...pre, schema: { tags, summary: "The source's explicit mappings", params: IdParams, response: responses({ 200: Type.Object({ data: Type.Array(Type.Object({ kind: Type.String(), externalId: Type.String(), targetId: Type.Integer(), createdAt: Type.String() })) }) }) } },
    async (req) => ({ data: await listMappings(ctx.store.db, (await owned(principalOf(req).accountId, req.params.id)).id) }),
  );
  app.post(
    '/api/v1/sources/:id/mappings',
    {
      ...pre,
      schema: { tags, summary: 'Map an external product or warehouse; the unmatched rows it places are booked in the same write', params: IdParams, body: Mapping, response: responses({ 200: BookResult }) },
    },
    async (req) => addMapping(ctx, principalOf(req).accountId, req.params.id, req.body),
  );
  app.delete(
    '/api/v1/sources/:id/mappings/:kind/:externalId',
    {
      ...pre,
      schema: {
        tags,
        summary: 'Remove an explicit mapping',
        params: Type.Object({ id: Id(), kind: Type.Union(MAPPING_KINDS.map((k) => Type.Literal(k))), externalId: Type.String({ minLength: 1, maxLength: 200 }) }),
        response: responses({ 204: Type.Null() }),
      },
    },
    async (req, reply) => {
      await deleteMapping(ctx, principalOf(req).accountId, req.params.id, req.params.kind, req.params.externalId);
      return reply.status(204).send();
    },
  );
  app.get(
    '/api/v1/sources/:id/unmatched',
    {
      ...pre,
      schema: {
        tags,
        summary: 'Rows that mapped to nothing, with their raw row, oldest first',
        params: IdParams,
        querystring: Type.Object({ after: Type.Optional(Id()), limit: Defaulted(Type.Integer({ minimum: 1, maximum: 500, default: 100 })) }),
        response: responses({
          200: Type.Object({
            data: Type.Array(
              Type.Object({
                id: Type.Integer(),
                requestId: Nullable(Type.String()),
                product: Type.String(),
                warehouse: Nullable(Type.String()),
                reason: Type.String(),
                amount: Type.Number(),
                row: Type.Unknown(),
                createdAt: Type.String(),
              }),
            ),
          }),
        }),
      },
    },
    async (req) => ({ data: await listUnmatched(ctx.store.db, (await owned(principalOf(req).accountId, req.params.id)).id, req.query) }),
  );
  app.post(
    '/api/v1/sources/:id/unmatched/retry',
    {
      ...pre,
      schema: { tags, summary: "Try the kept rows again (after products or warehouses got the SKU or code the source's rule looks for)", params: IdParams, response: responses({ 200: BookResult }) },
    },
    async (req) => retryUnmatched(ctx, principalOf(req).accountId, req.params.id),
  );
  app.get(
    '/api/v1/sources/:id/requests',
    {
      ...pre,
      schema: {
        tags,
        summary: "The source's log: every request received, its verification, the answer given, what it booked or why not; newest first",
        params: IdParams,
        querystring: Type.Object({ before: Type.Optional(Type.String({ maxLength: 40 })), limit: Defaulted(Type.Integer({ minimum: 1, maximum: 500, default: 50 })) }),
        response: responses({
          200: Type.Object({
            data: Type.Array(
              Type.Object({
                id: Type.String(),
                receivedAt: Type.String(),
                deliveryKey: Nullable(Type.String()),
                headers: Type.Record(Type.String(), Type.String()),
                body: Type.String(),
                bodyTruncated: Type.Boolean(),
                verified: Type.Boolean(),
                verifyReason: Nullable(Type.String()),
                answer: Type.Object({ status: Type.Integer(), body: Type.String() }),
                outcome: Type.Union(OUTCOMES.map((o) => Type.Literal(o))),
                detail: Type.Record(Type.String(), Type.Unknown()),
              }),
            ),
          }),
        }),
      },
    },
    async (req) => ({ data: await listRequests(ctx.store.db, (await owned(principalOf(req).accountId, req.params.id)).id, req.query) }),
  );

  // The inbound URL. Not an API call: the vendor's request, verified by its own scheme over the
  // raw bytes, so this scope takes every body as a Buffer and answers the way each vendor expects.
  const inbox = new Inbox(ctx, { log: (msg, err) => app.log.error({ err }, msg), ...reportFetches });
  // At start, the reports a stopped process left unfetched are fetched; at close, a fetch under way
  // is cut short and left due, so the next start (or another process) fetches it.
  app.addHook('onReady', async () => inbox.start());
  app.addHook('onClose', async () => inbox.stop());
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT_BYTES }, (_req, body, done) => done(null, body));
    scope.post('/in/:token', { schema: { hide: true, params: Type.Object({ token: Type.String({ minLength: 1, maxLength: 100 }) }) } }, async (req, reply) => {
      const query = Object.fromEntries(Object.entries(req.query as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'string' ? v : undefined]));
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const answer = await inbox.receive({ token: (req.params as { token: string }).token, headers: req.headers, query, body });
      if (answer.contentType) reply.header('content-type', answer.contentType);
      return reply.status(answer.status).send(answer.body === '' ? undefined : answer.body);
    });
  });
}
