import { Type } from '@sinclair/typebox';
import type { App, RouteDeps } from '../deps.js';
import { createProduct, deleteProduct, getProduct, listProducts, updateProduct } from '../../inventory/products.js';
import { principalOf } from '../auth.js';
import { IdParams, Nullable, Price, Product, ProductSize, responses, Strict } from '../schemas.js';

const ProductRef = Type.Ref(Product);
const fields = {
  code: Type.Optional(Type.String({ maxLength: 100 })),
  sku: Type.Optional(Type.String({ maxLength: 100 })),
  title: Type.String({ minLength: 1, maxLength: 500 }),
  unit: Type.Optional(Type.String({ minLength: 1, maxLength: 20 })),
  price: Type.Optional(Price()),
  supplierProductId: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 100 }))),
  sizes: Type.Optional(Type.Array(ProductSize, { maxItems: 200 })),
};

export function productRoutes(app: App, { ctx, auth }: RouteDeps): void {
  const pre = { onRequest: auth.requireAccount };
  const tags = ['products'];
  app.post(
    '/api/v1/products',
    { ...pre, schema: { tags, summary: 'Create a product', body: Strict(fields), response: responses({ 201: ProductRef }) } },
    async (req, reply) => reply.status(201).send(await createProduct(ctx, principalOf(req).accountId, req.body)),
  );
  app.get(
    '/api/v1/products',
    {
      ...pre,
      schema: {
        tags,
        summary: 'List products',
        querystring: Type.Object({ supplierProductId: Type.Optional(Type.String()) }),
        response: responses({ 200: Type.Object({ data: Type.Array(ProductRef) }) }),
      },
    },
    async (req) => ({ data: await listProducts(ctx.store.db, principalOf(req).accountId, req.query) }),
  );
  app.get(
    '/api/v1/products/:id',
    { ...pre, schema: { tags, summary: 'Get a product', params: IdParams, response: responses({ 200: ProductRef }) } },
    async (req) => getProduct(ctx.store.db, principalOf(req).accountId, req.params.id),
  );
  app.patch(
    '/api/v1/products/:id',
    {
      ...pre,
      schema: { tags, summary: 'Change a product', params: IdParams, body: Type.Partial(Strict(fields), { minProperties: 1 }), response: responses({ 200: ProductRef }) },
    },
    async (req) => updateProduct(ctx, principalOf(req).accountId, req.params.id, req.body),
  );
  app.delete(
    '/api/v1/products/:id',
    { ...pre, schema: { tags, summary: 'Remove a product with no stock', params: IdParams, response: responses({ 204: Type.Null() }) } },
    async (req, reply) => {
      await deleteProduct(ctx, principalOf(req).accountId, req.params.id);
      return reply.status(204).send();
    },
  );
}
