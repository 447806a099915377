import { Type } from '@sinclair/typebox';
import type { App, RouteDeps } from '../deps.js';
import { claimOrder, createOrder, getOrder, listOrders, shipOrder, updateOrder } from '../../inventory/outbound-orders.js';
import { emptyBodyIsObject } from '../empty-body.js';
import { principalOf } from '../auth.js';
import { Defaulted, Id, IdOrZero, IdParams, Nullable, responses, Strict, WholeQuantity } from '../schemas.js';

const Text = Type.String({ maxLength: 1000 });

export const OutboundOrderItem = Type.Object(
  {
    id: Type.Integer({ description: "CycleSoftware's outbound_order_item_id" }),
    productId: Type.Integer({ description: 'the product whose stock the item claims' }),
    itemTypeId: Type.Integer(),
    isActive: Type.Boolean({ description: 'false: the item is marked deleted' }),
    barcode: Type.String(),
    quantity: Type.Integer(),
    quantityClaimed: Type.Integer(),
    quantityShipped: Type.Integer(),
    isBlockedForClaiming: Type.Boolean(),
    description: Type.String(),
    remark: Type.String(),
    reference: Type.String(),
    isSoldToCustomer: Type.Boolean(),
    attachedToItemId: Nullable(Type.Integer()),
    isPooledWithinStores: Type.Boolean(),
  },
  { $id: 'OutboundOrderItem' },
);

export const OutboundOrder = Type.Object(
  {
    id: Type.Integer(),
    typeId: Type.Integer(),
    statusId: Type.Integer(),
    dealerId: Type.Integer(),
    orderAccountId: Type.Integer({ description: "the customer's account number (CycleSoftware's account_id)" }),
    warehouseId: Type.Integer({ description: "CycleSoftware's store_id" }),
    preferredDeliveryAt: Nullable(Type.String({ format: 'date-time' })),
    salesOrderId: Nullable(Type.Integer()),
    referenceText: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    items: Type.Array(Type.Ref(OutboundOrderItem)),
  },
  { $id: 'OutboundOrder' },
);

const ItemFields = {
  productId: Id(),
  itemTypeId: Type.Optional(IdOrZero()),
  isActive: Type.Optional(Type.Boolean()),
  barcode: Type.Optional(Type.String({ maxLength: 100, description: "default: the product's code" })),
  quantity: WholeQuantity(),
  isBlockedForClaiming: Type.Optional(Type.Boolean()),
  description: Type.Optional(Text),
  remark: Type.Optional(Text),
  reference: Type.Optional(Type.String({ maxLength: 200 })),
  isSoldToCustomer: Type.Optional(Type.Boolean()),
  attachedToItemId: Type.Optional(Nullable(Id({ description: 'another item of the same order' }))),
  isPooledWithinStores: Type.Optional(Type.Boolean()),
};

const OrderFields = {
  warehouseId: Id(),
  typeId: Type.Optional(IdOrZero()),
  statusId: Type.Optional(IdOrZero()),
  dealerId: Type.Optional(IdOrZero()),
  orderAccountId: Type.Optional(IdOrZero()),
  preferredDeliveryAt: Type.Optional(
    Nullable(
      Type.String({
        pattern: '^\\d{4}-\\d{2}-\\d{2}([ T]\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:?\\d{2})?)?$',
        description: "ISO 8601 or 'YYYY-MM-DD HH:mm:ss' (UTC)",
      }),
    ),
  ),
  salesOrderId: Type.Optional(Nullable(IdOrZero())),
  referenceText: Type.Optional(Type.String({ maxLength: 200 })),
};

const CreateBody = Strict({ ...OrderFields, items: Type.Optional(Type.Array(Strict(ItemFields), { maxItems: 1000 })) });

const PatchBody = Type.Partial(
  Strict({
    ...OrderFields,
    items: Type.Array(Type.Partial(Strict({ id: Id({ description: 'omit to add an item' }), ...ItemFields })), {
      maxItems: 1000,
    }),
  }),
  { minProperties: 1 },
);

const QuantitiesBody = Strict({
  items: Type.Optional(
    Type.Array(Strict({ itemId: Id(), quantity: WholeQuantity() }), {
      minItems: 1,
      maxItems: 1000,
      description: 'omit to take everything open',
    }),
  ),
});

export function outboundOrderRoutes(app: App, { ctx, auth }: RouteDeps): void {
  app.addSchema(OutboundOrderItem);
  app.addSchema(OutboundOrder);
  const OrderRef = Type.Ref(OutboundOrder);
  const pre = { onRequest: auth.requireAccount };
  const tags = ['outbound orders'];
  app.post(
    '/api/v1/outbound-orders',
    { ...pre, schema: { tags, summary: 'Create an outbound order with its items', body: CreateBody, response: responses({ 201: OrderRef }) } },
    async (req, reply) => reply.status(201).send(await createOrder(ctx, principalOf(req).accountId, req.body)),
  );
  app.get(
    '/api/v1/outbound-orders',
    {
      ...pre,
      schema: {
        tags,
        summary: 'List outbound orders by id; page with after=<last id>',
        querystring: Type.Object({
          warehouseId: Type.Optional(Id()),
          statusId: Type.Optional(IdOrZero()),
          after: Type.Optional(IdOrZero()),
          limit: Defaulted(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
        }),
        response: responses({ 200: Type.Object({ data: Type.Array(OrderRef) }) }),
      },
    },
    async (req) => ({ data: await listOrders(ctx.store.db, principalOf(req).accountId, req.query) }),
  );
  app.get(
    '/api/v1/outbound-orders/:id',
    { ...pre, schema: { tags, summary: 'Get an outbound order', params: IdParams, response: responses({ 200: OrderRef }) } },
    async (req) => getOrder(ctx.store.db, principalOf(req).accountId, req.params.id),
  );
  app.patch(
    '/api/v1/outbound-orders/:id',
    {
      ...pre,
      schema: {
        tags,
        summary: 'Change an order; add, change or deactivate items',
        description: 'Items with an id are changed, items without one are added. isActive:false marks an item deleted and releases what it claimed but did not ship.',
        params: IdParams,
        body: PatchBody,
        response: responses({ 200: OrderRef }),
      },
    },
    async (req) => updateOrder(ctx, principalOf(req).accountId, req.params.id, req.body),
  );
  app.post(
    '/api/v1/outbound-orders/:id/claim',
    {
      ...pre,
      preValidation: emptyBodyIsObject,
      schema: {
        tags,
        summary: 'Claim (reserve) stock for order items',
        description: 'Without items, claims everything unclaimed on active items not blocked for claiming. Not enough free stock: 422 INSUFFICIENT_STOCK, nothing changes.',
        params: IdParams,
        body: QuantitiesBody,
        response: responses({ 200: OrderRef }),
      },
    },
    async (req) => claimOrder(ctx, principalOf(req).accountId, req.params.id, req.body.items),
  );
  app.post(
    '/api/v1/outbound-orders/:id/ship',
    {
      ...pre,
      preValidation: emptyBodyIsObject,
      schema: {
        tags,
        summary: 'Ship claimed stock: removes it from the amount and the reservation',
        description: 'Without items, ships everything claimed and not yet shipped.',
        params: IdParams,
        body: QuantitiesBody,
        response: responses({ 200: OrderRef }),
      },
    },
    async (req) => shipOrder(ctx, principalOf(req).accountId, req.params.id, req.body.items),
  );
}
