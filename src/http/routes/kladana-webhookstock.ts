import { Type, type TSchema } from '@sinclair/typebox';
import type { App, RouteDeps } from '../deps.js';
import { KLADANA_REPORT_TYPES, KLADANA_STOCK_TYPES } from '../../webhooks/formats/kladana.js';
import {
  deleteWebhookStocks,
  entityMetadata,
  getWebhookStock,
  idFromHref,
  listWebhookStocks,
  parseItem,
  parseItems,
  saveWebhookStocks,
  updateWebhookStock,
  WEBHOOKSTOCK_PATH,
} from '../../webhooks/kladana-webhookstock.js';
import { authorApplication, contextEmployee } from '../../webhooks/kladana-hrefs.js';
import { principalOf } from '../auth.js';
import { Defaulted, IdParams, kladanaResponses, Strict, Url } from '../schemas.js';

const Meta = Type.Object({ href: Url(), metadataHref: Url(), type: Type.String(), mediaType: Type.String() });
/**
 * Every property but authorApplication is always there; none is marked required because
 * fast-json-stringify writes required properties first, and the vendor document puts authorApplication second.
 */
const Entity = Type.Partial(
  Type.Object({
    meta: Meta,
    authorApplication: Type.Object({ meta: Meta }, { description: 'read only: set when an application token created it' }),
    id: Type.String(),
    accountId: Type.String(),
    stockType: Type.String({ enum: [...KLADANA_STOCK_TYPES] }),
    reportType: Type.String({ enum: [...KLADANA_REPORT_TYPES] }),
    url: Url(),
    enabled: Type.Boolean(),
  }),
);
/** A `meta` as a client sends it back: href names the webhook; the other fields are read-only and ignored (parseItem). */
const MetaInput = Strict({
  href: Url(),
  metadataHref: Type.Optional(Url()),
  type: Type.Optional(Type.String()),
  mediaType: Type.Optional(Type.String()),
});
/** What parseItem takes: the writable fields, and the entity's read-only ones (ignored), since clients send back what they read. */
const Input = Strict({
  meta: Type.Optional(MetaInput),
  url: Type.Optional(Url({ maxLength: 255, description: 'required when creating' })),
  stockType: Type.Optional(Type.String({ enum: [...KLADANA_STOCK_TYPES], description: 'required when creating' })),
  reportType: Type.Optional(Type.String({ enum: [...KLADANA_REPORT_TYPES], description: 'required when creating' })),
  enabled: Type.Optional(Type.Boolean({ default: true })),
  id: Type.Optional(Type.String({ description: 'read only, ignored' })),
  accountId: Type.Optional(Type.String({ description: 'read only, ignored' })),
  authorApplication: Type.Optional(Type.Unknown({ description: 'read only, ignored' })),
});
/** Bulk requests: one transaction, at most 1000 items (parseItems). */
const Bulk = <T extends TSchema>(item: T) => Type.Array(item, { minItems: 1, maxItems: 1000 });
const Params = Type.Object({ id: Type.String() });

/**
 * The request schemas only document: bodies are checked by parseItem/parseItems, which name the
 * offending field (with its index in a bulk request) instead of Ajv's anyOf noise for "object or array".
 */
const documentOnly = { validatorCompiler: () => () => true };

/** Kladana's `webhookstock` API (docs/formats/kladana.md), byte for byte in shape, over `kladana` subscriptions. */
export function kladanaWebhookStockRoutes(app: App, { ctx, auth }: RouteDeps): void {
  const tags = ['kladana'];
  const onRequest = auth.requireAccount;
  app.get(
    WEBHOOKSTOCK_PATH,
    {
      onRequest,
      schema: {
        tags,
        summary: 'List the webhooks for changing balances',
        querystring: Type.Object({
          limit: Defaulted(Type.Integer({ minimum: 1, maximum: 1000, default: 1000 })),
          offset: Defaulted(Type.Integer({ minimum: 0, maximum: 2_147_483_647, default: 0 })),
        }),
        response: kladanaResponses({
          200: Type.Object({
            context: Type.Object({ employee: Type.Object({ meta: Meta }) }),
            meta: Type.Object({ ...Meta.properties, size: Type.Integer(), limit: Type.Integer(), offset: Type.Integer() }),
            rows: Type.Array(Entity),
          }),
        }),
      },
    },
    async (req) => listWebhookStocks(ctx, principalOf(req), req.query),
  );
  app.post(
    WEBHOOKSTOCK_PATH,
    {
      onRequest,
      ...documentOnly,
      schema: {
        tags,
        summary: 'Create one webhook (object), or create and update several in one transaction (array; items with meta.href are updates)',
        body: Type.Union([Input, Bulk(Input)]),
        response: kladanaResponses({ 200: Type.Union([Entity, Type.Array(Entity)]) }, { bulk: true }),
      },
    },
    async (req) => {
      const p = principalOf(req);
      if (Array.isArray(req.body)) return saveWebhookStocks(ctx, p, parseItems(req.body), true);
      const [entity] = await saveWebhookStocks(ctx, p, [parseItem(req.body)], false);
      return entity;
    },
  );
  app.post(
    `${WEBHOOKSTOCK_PATH}/delete`,
    {
      onRequest,
      ...documentOnly,
      schema: {
        tags,
        summary: 'Delete several webhooks in one transaction',
        body: Bulk(Strict({ meta: MetaInput })),
        response: kladanaResponses({ 200: Type.Array(Type.Object({ info: Type.String() })) }, { bulk: true }),
      },
    },
    async (req) => {
      const items = parseItems(req.body);
      const ids = (req.body as Array<{ meta?: { href?: unknown } }>).map((x, i) => items[i].id ?? idFromHref(x.meta?.href, `[${i}].meta.href`));
      return deleteWebhookStocks(ctx, principalOf(req), ids);
    },
  );
  app.get(
    `${WEBHOOKSTOCK_PATH}/:id`,
    { onRequest, schema: { tags, summary: 'Get one webhook for changing balances', params: Params, response: kladanaResponses({ 200: Entity }) } },
    async (req) => getWebhookStock(ctx, principalOf(req), req.params.id),
  );
  app.put(
    `${WEBHOOKSTOCK_PATH}/:id`,
    {
      onRequest,
      ...documentOnly,
      schema: {
        tags,
        summary: 'Change a webhook (url, stockType, reportType); {"enabled": false} disables it',
        params: Params,
        body: Type.Omit(Input, ['meta']),
        response: kladanaResponses({ 200: Entity }),
      },
    },
    async (req) => {
      const { id: _ignored, ...item } = parseItem(req.body ?? {});
      return updateWebhookStock(ctx, principalOf(req), (req.params as { id: string }).id, item);
    },
  );
  app.delete(
    `${WEBHOOKSTOCK_PATH}/:id`,
    {
      onRequest,
      schema: {
        tags,
        summary: 'Delete a webhook for changing balances: 200 application/json, the same info object as one item of a bulk delete',
        params: Params,
        response: kladanaResponses({ 200: Type.Object({ info: Type.String() }) }),
      },
    },
    async (req) => (await deleteWebhookStocks(ctx, principalOf(req), [req.params.id]))[0],
  );
  // The hrefs of the list's context.employee and of a webhook's authorApplication answer too.
  app.get(
    '/api/remap/1.2/context/employee',
    {
      onRequest,
      schema: {
        tags,
        summary: "The caller as Kladana's employee: stockhook has no staff users, so the account (its UUID and name)",
        response: kladanaResponses({ 200: Type.Object({ meta: Meta, id: Type.String(), accountId: Type.String(), name: Type.String() }) }),
      },
    },
    async (req) => contextEmployee(ctx.store.db, ctx.settings.publicUrl, principalOf(req)),
  );
  app.get(
    '/api/remap/1.2/entity/application/:id',
    {
      onRequest,
      schema: {
        tags,
        summary: "A webhook's authorApplication: an application installed in this account or author of one of its webhooks, else 404",
        params: IdParams,
        response: kladanaResponses({ 200: Type.Object({ meta: Meta, id: Type.Integer(), accountId: Type.String(), name: Type.String() }) }),
      },
    },
    async (req) => authorApplication(ctx.store.db, ctx.settings.publicUrl, principalOf(req), req.params.id),
  );
  // The metadataHref of every meta stockhook hands out is served (static routes win over /:id).
  for (const entity of ['webhookstock', 'employee', 'application'] as const) {
    app.get(
      `/api/remap/1.2/entity/${entity}/metadata`,
      {
        onRequest,
        schema: {
          tags,
          summary: `Kladana metadata of ${entity} (no custom attributes)`,
          response: kladanaResponses({
            200: Type.Object({
              meta: Type.Object({ href: Url(), mediaType: Type.String() }),
              attributes: Type.Array(Type.Object({})),
              createShared: Type.Boolean(),
            }),
          }),
        },
      },
      async () => entityMetadata(ctx.settings.publicUrl, entity),
    );
  }
}
