import { Type } from '@sinclair/typebox';
import type { App, RouteDeps } from '../deps.js';
import { documentEvents } from '../../inventory/document-events.js';
import { LISTED_DOCUMENT_TYPES, listDocuments } from '../../inventory/document-list.js';
import { authorOf } from '../../inventory/document-views.js';
import { cancelDocument, DOCUMENT_TYPES, getDocument, postDocument } from '../../inventory/documents.js';
import { principalOf } from '../auth.js';
import { CalendarDate, Defaulted, Document, Event, Id, IdParams, Nullable, OptionalNullableString, Quantity, responses, Strict } from '../schemas.js';

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
  const pre = { onRequest: auth.requireAccount };
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
    async (req, reply) => reply.status(201).send(await postDocument(ctx, principalOf(req).accountId, req.body, authorOf(principalOf(req)))),
  );
  app.get(
    '/api/v1/documents',
    {
      ...pre,
      schema: {
        tags,
        summary: 'List documents with their lines, newest first; page with cursor=<nextCursor>',
        querystring: Type.Object({
          type: Type.Optional(Type.Union(LISTED_DOCUMENT_TYPES.map((t) => Type.Literal(t)), { description: "a type; 'ship' lists outbound order shipments" })),
          q: Type.Optional(Type.String({ maxLength: 100, description: 'part of the reference, case-insensitive' })),
          dir: Type.Optional(Type.Union([Type.Literal('desc'), Type.Literal('asc')], { description: 'desc (default): newest first; asc: oldest first' })),
          warehouseId: Type.Optional(Id({ description: 'documents that take from or (transfers) move to this warehouse' })),
          cancelled: Type.Optional(Type.Boolean({ description: 'true: only cancelled documents; false: only standing ones (reversals included)' })),
          since: Type.Optional(Type.String({ format: 'date-time', description: 'posted at or after' })),
          until: Type.Optional(Type.String({ format: 'date-time', description: 'posted before' })),
          limit: Defaulted(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
          cursor: Type.Optional(Type.String({ maxLength: 200 })),
        }),
        response: responses({ 200: Type.Object({ data: Type.Array(DocumentRef), nextCursor: Nullable(Type.String()) }) }),
      },
    },
    async (req) => listDocuments(ctx.store.db, principalOf(req).accountId, req.query),
  );
  app.get(
    '/api/v1/documents/:id/events',
    {
      ...pre,
      schema: {
        tags,
        summary: 'The events a document caused (document.posted, stock.changed, document.cancelled), in commit order',
        params: IdParams,
        response: responses({ 200: Type.Object({ data: Type.Array(Type.Ref(Event)) }) }),
      },
    },
    async (req) => ({ data: await documentEvents(ctx.store, principalOf(req).accountId, req.params.id) }),
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
    async (req) => cancelDocument(ctx, principalOf(req).accountId, req.params.id, authorOf(principalOf(req))),
  );
}
