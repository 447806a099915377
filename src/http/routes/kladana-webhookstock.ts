import { Type } from '@sinclair/typebox';
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
import { principalOf } from '../auth.js';
import { responses } from '../schemas.js';

const Meta = Type.Object({ href: Type.String(), metadataHref: Type.String(), type: Type.String(), mediaType: Type.String() });
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
    url: Type.String(),
    enabled: Type.Boolean(),
  }),
);
const Input = Type.Object({
  meta: Type.Optional(Type.Object({ href: Type.String() }, { description: 'bulk POST: present on the webhooks to update' })),
  url: Type.Optional(Type.String({ maxLength: 255, description: 'required when creating' })),
  stockType: Type.Optional(Type.String({ enum: [...KLADANA_STOCK_TYPES], description: 'required when creating' })),
  reportType: Type.Optional(Type.String({ enum: [...KLADANA_REPORT_TYPES], description: 'required when creating' })),
  enabled: Type.Optional(Type.Boolean({ default: true })),
});
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
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 1000 }),
          offset: Type.Integer({ minimum: 0, maximum: 2_147_483_647, default: 0 }),
        }),
        response: responses({
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
        body: Type.Union([Input, Type.Array(Input)]),
        response: responses({ 200: Type.Union([Entity, Type.Array(Entity)]) }),
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
        body: Type.Array(Type.Object({ meta: Type.Object({ href: Type.String() }) })),
        response: responses({ 200: Type.Array(Type.Object({ info: Type.String() })) }),
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
    { onRequest, schema: { tags, summary: 'Get one webhook for changing balances', params: Params, response: responses({ 200: Entity }) } },
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
        response: responses({ 200: Entity }),
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
        response: responses({ 200: Type.Object({ info: Type.String() }) }),
      },
    },
    async (req) => (await deleteWebhookStocks(ctx, principalOf(req), [req.params.id]))[0],
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
          response: responses({
            200: Type.Object({
              meta: Type.Object({ href: Type.String(), mediaType: Type.String() }),
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
