import { Type } from '@sinclair/typebox';
import type { App, RouteDeps } from '../deps.js';
import { StockItemAttributes, StockItemAttributesInput } from '../../inventory/stock-item-attributes.js';
import {
  createStockItem,
  deleteStockItem,
  getStockItem,
  listStockItems,
  releaseStockItem,
  updateStockItem,
} from '../../inventory/stock-items.js';
import { principalOf } from '../auth.js';
import { Defaulted, IdOrZero, IdParams, responses } from '../schemas.js';

export const StockItem = Type.Object(
  {
    id: Type.Integer({ description: "CycleSoftware's warehouse_stock_item_id" }),
    ...StockItemAttributes.properties,
    isReleasedForShipment: Type.Boolean(),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'StockItem' },
);

export function stockItemRoutes(app: App, { ctx, auth }: RouteDeps): void {
  app.addSchema(StockItem);
  const ItemRef = Type.Ref(StockItem);
  const pre = { onRequest: auth.requireAccount };
  const tags = ['stock items'];
  app.post(
    '/api/v1/stock-items',
    {
      ...pre,
      schema: {
        tags,
        summary: 'Create a serialized stock item',
        description: 'Missing attributes default to 0, "", false or []. outboundOrderItemId must be an order item of this account; outboundOrderId is taken from it.',
        body: StockItemAttributesInput,
        response: responses({ 201: ItemRef }),
      },
    },
    async (req, reply) => reply.status(201).send(await createStockItem(ctx, principalOf(req).accountId, req.body)),
  );
  app.get(
    '/api/v1/stock-items',
    {
      ...pre,
      schema: {
        tags,
        summary: 'List stock items by id; page with after=<last id>',
        querystring: Type.Object({
          after: Type.Optional(IdOrZero()),
          limit: Defaulted(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
        }),
        response: responses({ 200: Type.Object({ data: Type.Array(ItemRef) }) }),
      },
    },
    async (req) => ({ data: await listStockItems(ctx.store.db, principalOf(req).accountId, req.query) }),
  );
  app.get(
    '/api/v1/stock-items/:id',
    { ...pre, schema: { tags, summary: 'Get a stock item', params: IdParams, response: responses({ 200: ItemRef }) } },
    async (req) => getStockItem(ctx.store.db, principalOf(req).accountId, req.params.id),
  );
  app.patch(
    '/api/v1/stock-items/:id',
    {
      ...pre,
      schema: {
        tags,
        summary: 'Change stock item attributes (emits stock_item.updated)',
        description: 'location is merged; labels and subOrderItems are replaced.',
        params: IdParams,
        body: Type.Partial(StockItemAttributesInput, { minProperties: 1 }),
        response: responses({ 200: ItemRef }),
      },
    },
    async (req) => updateStockItem(ctx, principalOf(req).accountId, req.params.id, req.body),
  );
  app.post(
    '/api/v1/stock-items/:id/release',
    {
      ...pre,
      schema: {
        tags,
        summary: 'Release a stock item for shipment (once; again: 422 INVALID_STATE)',
        params: IdParams,
        response: responses({ 200: ItemRef }),
      },
    },
    async (req) => releaseStockItem(ctx, principalOf(req).accountId, req.params.id),
  );
  app.delete(
    '/api/v1/stock-items/:id',
    {
      ...pre,
      schema: { tags, summary: 'Delete a stock item (emits no event, as CycleSoftware says)', params: IdParams, response: responses({ 204: Type.Null() }) },
    },
    async (req, reply) => {
      await deleteStockItem(ctx, principalOf(req).accountId, req.params.id);
      return reply.status(204).send();
    },
  );
}
