import { Type } from '@sinclair/typebox';
import type { App, RouteDeps } from '../deps.js';
import { cancelDocument, DOCUMENT_TYPES, getDocument, postDocument } from '../../inventory/documents.js';
import { principalOf } from '../auth.js';
import { CalendarDate, Document, Id, IdParams, Nullable, OptionalNullableString, Quantity, responses, Strict } from '../schemas.js';

const DocumentRef = Type.Ref(Document);

export const DocumentBody = Strict({
  type: Type.Union(DOCUMENT_TYPES.map((t) => Type.Literal(t))),
  warehouseId: Id(),
  toWarehouseId: Type.Optional(Nullable(Id())),
  reference: OptionalNullableString({ maxLength: 200 }),
  lines: Type.Array(
    Strict({
      productId: Id(),
      size: OptionalNullableString({ maxLength: 50 }),
      lot: OptionalNullableString({ maxLength: 100 }),
      expiry: Type.Optional(Nullable(CalendarDate())),
      serial: OptionalNullableString({ maxLength: 100 }),
      location: OptionalNullableString({ maxLength: 100 }),
      quantity: Quantity({ description: '> 0; a count may be 0' }),
    }),
    { minItems: 1, maxItems: 1000 },
  ),
});

export function documentRoutes(app: App, { ctx, auth }: RouteDeps): void {
  const pre = { preHandler: auth.requireAccount };
  const tags = ['documents'];
  app.post(
    '/api/v1/documents',
    {
      ...pre,
      schema: {
        tags,
        summary: 'Post a stock document atomically',
        description:
          'receipt/return add stock; sale/writeoff remove it; transfer moves it to toWarehouseId; count sets the amount; ' +
          'reserve/release change the reservation. A change that would make free stock negative is refused with 422 INSUFFICIENT_STOCK.',
        body: DocumentBody,
        response: responses({ 201: DocumentRef }),
      },
    },
    async (req, reply) => reply.status(201).send(await postDocument(ctx, principalOf(req).accountId, req.body)),
  );
  app.get(
    '/api/v1/documents/:id',
    { ...pre, schema: { tags, summary: 'Get a document with its lines', params: IdParams, response: responses({ 200: DocumentRef }) } },
    async (req) => getDocument(ctx.store.db, principalOf(req).accountId, req.params.id),
  );
  app.post(
    '/api/v1/documents/:id/cancel',
    {
      ...pre,
      schema: { tags, summary: 'Cancel a posted document by posting its reversal', params: IdParams, response: responses({ 200: DocumentRef }) },
    },
    async (req) => cancelDocument(ctx, principalOf(req).accountId, req.params.id),
  );
}
