import { Type } from '@sinclair/typebox';
import type { App, RouteDeps } from '../deps.js';
import { createWarehouse, deleteWarehouse, getWarehouse, listWarehouses, updateWarehouse } from '../../inventory/warehouses.js';
import { principalOf } from '../auth.js';
import { IdParams, responses, Strict, Warehouse } from '../schemas.js';

const WarehouseRef = Type.Ref(Warehouse);
const fields = {
  code: Type.Optional(Type.String({ maxLength: 100 })),
  name: Type.String({ minLength: 1, maxLength: 200 }),
  active: Type.Optional(Type.Boolean()),
};

export function warehouseRoutes(app: App, { ctx, auth }: RouteDeps): void {
  const pre = { onRequest: auth.requireAccount };
  const tags = ['warehouses'];
  app.post(
    '/api/v1/warehouses',
    { ...pre, schema: { tags, summary: 'Create a warehouse', body: Strict(fields), response: responses({ 201: WarehouseRef }) } },
    async (req, reply) => reply.status(201).send(await createWarehouse(ctx, principalOf(req).accountId, req.body)),
  );
  app.get(
    '/api/v1/warehouses',
    { ...pre, schema: { tags, summary: 'List warehouses', response: responses({ 200: Type.Object({ data: Type.Array(WarehouseRef) }) }) } },
    async (req) => ({ data: await listWarehouses(ctx.store.db, principalOf(req).accountId) }),
  );
  app.get(
    '/api/v1/warehouses/:id',
    { ...pre, schema: { tags, summary: 'Get a warehouse', params: IdParams, response: responses({ 200: WarehouseRef }) } },
    async (req) => getWarehouse(ctx.store.db, principalOf(req).accountId, req.params.id),
  );
  app.patch(
    '/api/v1/warehouses/:id',
    {
      ...pre,
      schema: { tags, summary: 'Change a warehouse', params: IdParams, body: Type.Partial(Strict(fields), { minProperties: 1 }), response: responses({ 200: WarehouseRef }) },
    },
    async (req) => updateWarehouse(ctx, principalOf(req).accountId, req.params.id, req.body),
  );
  app.delete(
    '/api/v1/warehouses/:id',
    { ...pre, schema: { tags, summary: 'Remove an empty warehouse', params: IdParams, response: responses({ 204: Type.Null() }) } },
    async (req, reply) => {
      await deleteWarehouse(ctx, principalOf(req).accountId, req.params.id);
      return reply.status(204).send();
    },
  );
}
