import { Type, type ObjectOptions, type TProperties, type TSchema } from '@sinclair/typebox';
import { ERRORS, type ErrorCode } from '../errors.js';
import { MAX_DECIMALS, MAX_ID, MAX_PRICE, MAX_QUANTITY } from '../inventory/numbers.js';
import { KladanaBulkErrorBody, KladanaErrorBody } from './kladana-errors.js';
import { DECIMALS_KEYWORD, REFUSE_KEYWORD, type Refuse } from './validation.js';

/** Shared request/response schemas. The same objects validate requests and generate /openapi.json. */
export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.Unsafe<ErrorCode>({ type: 'string', enum: Object.keys(ERRORS) }),
      message: Type.String(),
      details: Type.Optional(Type.Unknown()),
    }),
  },
  { $id: 'Error', description: 'Every error has this shape; `code` is stable.' },
);

const ErrorRef = Type.Ref(ErrorBody);

/**
 * Adds the error responses every route can give to its success responses: any 4xx (401 without a
 * token, 400, 404, 409, 422, 429…) and 5xx carry the one error envelope. The test suite checks
 * every response against this document (test/support/response-contract.ts).
 */
export function responses(ok: Record<number, TSchema>): Record<string, TSchema> {
  return { ...ok, '4xx': ErrorRef, '5xx': ErrorRef };
}

/** A success response that is not JSON (Prometheus text): documented by media type, sent as a string, never serialized. */
export const TextResponse = (mediaType: string, description: string) =>
  Type.Unsafe<string>({ description, content: { [mediaType]: { schema: { type: 'string' } } } });

/** The Kladana routes' error responses: Kladana's shape (http/kladana-errors.ts); bulk requests may get one entry per item. */
export function kladanaResponses(ok: Record<number, TSchema>, opts: { bulk?: boolean } = {}): Record<string, TSchema> {
  const error = opts.bulk ? Type.Union([Type.Ref(KladanaErrorBody), Type.Ref(KladanaBulkErrorBody)]) : Type.Ref(KladanaErrorBody);
  return { ...ok, '4xx': error, '5xx': error };
}

/**
 * A query parameter a client may leave out because it has a default: optional in the document, so a
 * generated client does not demand it. Ajv (useDefaults) fills the default in before the handler
 * runs, so the handler's type keeps it as always present.
 */
export function Defaulted<T extends TSchema>(schema: T): T {
  if (schema.default === undefined) throw new Error('Defaulted: the schema has no default');
  return Type.Optional(schema) as unknown as T;
}

/** A URL the API hands out or takes (webhook targets, Kladana hrefs). */
export const Url = (options: { minLength?: number; maxLength?: number; description?: string } = {}) =>
  Type.String({ format: 'uri', ...options });

/**
 * An object a client sends: a field the schema does not name is 400 naming it, so a typo
 * (`quantitty`) cannot go unnoticed. Every request body is built from these.
 */
export const Strict = <T extends TProperties>(properties: T, options: ObjectOptions = {}) =>
  Type.Object(properties, { ...options, additionalProperties: false });

/** A real calendar date as YYYY-MM-DD (ajv-formats' full `date`: no 2026-02-30, no 9999-99-99). */
export const CalendarDate = () => Type.String({ format: 'date', description: 'YYYY-MM-DD, a real calendar date' });

/** An entity id (warehouse, product, document, order, item): a PostgreSQL integer. */
export const Id = (options: { description?: string } = {}) => Type.Integer({ minimum: 1, maximum: MAX_ID, ...options });
/** An id where 0 means "none" (seed 003's convention), and list cursors (`after=<last id>`). */
export const IdOrZero = (options: { description?: string } = {}) => Type.Integer({ minimum: 0, maximum: MAX_ID, ...options });
/** Units of stock: finite, 0 to MAX_QUANTITY, at most MAX_DECIMALS decimal places (docs/api/requests.md, "Numbers"). */
export const Quantity = (options: { description?: string } = {}) =>
  Type.Number({ minimum: 0, maximum: MAX_QUANTITY, [DECIMALS_KEYWORD]: MAX_DECIMALS, ...options });
/** Whole units (outbound order items): 1 to MAX_QUANTITY. */
export const WholeQuantity = (options: { description?: string } = {}) => Type.Integer({ minimum: 1, maximum: MAX_QUANTITY, ...options });
/** A price: finite, 0 to MAX_PRICE, at most MAX_DECIMALS decimal places. */
export const Price = (options: { description?: string } = {}) =>
  Type.Number({ minimum: 0, maximum: MAX_PRICE, [DECIMALS_KEYWORD]: MAX_DECIMALS, ...options });
/** A price that must be more than 0 (the supplier's newPrice: a price of 0 is a supplier's mistake, not a giveaway). */
export const PositivePrice = (options: { description?: string } = {}) =>
  Type.Number({ exclusiveMinimum: 0, maximum: MAX_PRICE, [DECIMALS_KEYWORD]: MAX_DECIMALS, ...options });

export const IdParams = Type.Object({ id: Id() });

/**
 * Credentials stockhook sends to a receiver in an HTTP header. A CR or LF there would make every
 * send fail (or, with a lax client, split the header); only visible ASCII and inner spaces can be
 * sent as they are. A Basic username cannot hold a colon (RFC 7617: the first colon ends it).
 */
export const HeaderToken = (options: { minLength?: number; maxLength: number; description?: string }) =>
  Type.String({
    ...options,
    [REFUSE_KEYWORD]: { chars: '[^\\x21-\\x7e ]|^ | $', message: 'must contain only visible ASCII characters and inner spaces (it is sent in an HTTP header)' } satisfies Refuse,
  });
export const BasicUsername = (options: { maxLength: number }) =>
  Type.String({
    ...options,
    [REFUSE_KEYWORD]: { chars: '[:\\u0000-\\u001f\\u007f]', message: 'must not contain a colon (RFC 7617) or control characters' } satisfies Refuse,
  });
export const BasicPassword = (options: { maxLength: number }) =>
  Type.String({ ...options, [REFUSE_KEYWORD]: { chars: '[\\u0000-\\u001f\\u007f]', message: 'must not contain control characters' } satisfies Refuse });
export const UuidParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

/**
 * Null first: querystrings and params are coerced (http/validation.ts), and Ajv tries anyOf
 * branches in order, so with the value type first a null would be coerced to "" or 0 or [0].
 */
export const Nullable = <T extends TSchema>(t: T) => Type.Union([Type.Null(), t]);
export const OptionalNullableString = (opts: { maxLength?: number } = {}) =>
  Type.Optional(Nullable(Type.String({ maxLength: opts.maxLength ?? 200 })));

export const Warehouse = Type.Object(
  {
    id: Type.Integer(),
    code: Type.String(),
    name: Type.String(),
    active: Type.Boolean(),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Warehouse' },
);

export const ProductSize = Strict({
  value: Type.String({ minLength: 1, maxLength: 50 }),
  sizeId: Type.Optional(IdOrZero()),
});

export const Product = Type.Object(
  {
    id: Type.Integer(),
    code: Type.String(),
    sku: Type.String(),
    title: Type.String(),
    unit: Type.String(),
    price: Type.Number(),
    supplierProductId: Nullable(Type.String()),
    sizes: Type.Array(ProductSize),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Product' },
);

const KeyFields = {
  size: Nullable(Type.String()),
  lot: Nullable(Type.String()),
  expiry: Nullable(Type.String()),
  serial: Nullable(Type.String()),
  location: Nullable(Type.String()),
};

export const DocumentLine = Type.Object({ productId: Type.Integer(), ...KeyFields, quantity: Type.Number() });

const DocumentAuthor = Type.Object(
  {
    kind: Type.Union([Type.Literal('user'), Type.Literal('application')]),
    applicationId: Nullable(Type.Integer()),
  },
  { description: 'the token that posted it: the account user or an installed application; null when not recorded' },
);

export const Document = Type.Object(
  {
    id: Type.Integer(),
    type: Type.String(),
    status: Type.Union([Type.Literal('posted'), Type.Literal('cancelled')]),
    warehouseId: Type.Integer(),
    toWarehouseId: Nullable(Type.Integer()),
    reference: Nullable(Type.String()),
    reversesDocumentId: Nullable(Type.Integer()),
    reversedByDocumentId: Nullable(Type.Integer()),
    createdAt: Type.String({ format: 'date-time' }),
    lines: Type.Array(DocumentLine),
    author: Type.Optional(Nullable(DocumentAuthor)),
    source: Type.Optional(Nullable(Type.String({ description: 'what in stockhook wrote it: supplier, outbound_order:<id>; null for the documents API' }))),
  },
  { $id: 'Document' },
);

export const StockLevel = Type.Object(
  {
    warehouseId: Type.Integer(),
    productId: Type.Integer(),
    ...KeyFields,
    amount: Type.Number(),
    reserved: Type.Number(),
    free: Type.Number(),
    version: Type.Integer(),
    updatedAt: Type.String({ format: 'date-time' }),
    product: Type.Optional(
      Type.Object({ code: Type.String(), sku: Type.String(), title: Type.String(), unit: Type.String() }, { description: 'with withProduct=true' }),
    ),
  },
  { $id: 'StockLevel' },
);

export const Movement = Type.Object(
  {
    id: Type.Integer(),
    createdAt: Type.String({ format: 'date-time' }),
    warehouseId: Type.Integer(),
    productId: Type.Integer(),
    ...KeyFields,
    amountDelta: Type.Number(),
    reservedDelta: Type.Number(),
    amount: Type.Number({ description: "the stock key's amount right after this movement" }),
    reserved: Type.Number({ description: "the stock key's reservation right after this movement" }),
    free: Type.Number(),
    document: Type.Object({
      id: Type.Integer(),
      type: Type.String(),
      reference: Nullable(Type.String()),
      reversesDocumentId: Nullable(Type.Integer({ description: 'set when this movement belongs to a cancellation' })),
      source: Nullable(Type.String()),
      author: Nullable(DocumentAuthor),
    }),
  },
  { $id: 'Movement' },
);

export const Event = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    seq: Type.Integer(),
    type: Type.String(),
    object: Type.String(),
    objectId: Type.String(),
    action: Type.String(),
    occurredAt: Type.String({ format: 'date-time' }),
    data: Type.Record(Type.String(), Type.Unknown()),
  },
  { $id: 'Event' },
);

export const Webhook = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    url: Url(),
    format: Type.String(),
    events: Nullable(Type.Array(Type.String())),
    enabled: Type.Boolean(),
    disabledReason: Nullable(Type.String()),
    basicAuth: Nullable(Type.Object({ username: Type.String() })),
    bearerToken: Type.Boolean({ description: 'whether a bearer token is set (it is never shown)' }),
    retrySchedule: Type.Array(Type.Number(), { description: 'seconds before each retry, the format default unless overridden' }),
    followsVendorSchedule: Type.Boolean({
      description:
        "whether it retries on its format's own schedule (the vendor's promise for metakocka, kladana and poster, stockhook's default for the others); false once retrySchedule overrides it, and the vendor's promise no longer holds",
    }),
    coalesceSeconds: Nullable(Type.Integer()),
    maxInFlight: Type.Integer(),
    options: Type.Record(Type.String(), Type.Unknown()),
    failingSince: Nullable(Type.String({ format: 'date-time' })),
    pausedUntil: Nullable(Type.String({ format: 'date-time', description: 'the endpoint failed repeatedly: every worker holds its deliveries until then, when one probe goes out' })),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    secret: Type.Optional(Type.String({ description: 'only when created or rotated' })),
  },
  { $id: 'Webhook' },
);

export const Delivery = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    webhookId: Type.String({ format: 'uuid' }),
    eventId: Nullable(Type.String()),
    eventType: Type.String(),
    status: Type.String(),
    attempts: Type.Integer(),
    nextAttemptAt: Nullable(Type.String({ format: 'date-time' })),
    lastStatusCode: Nullable(Type.Integer()),
    lastError: Nullable(Type.String()),
    createdAt: Type.String({ format: 'date-time' }),
    completedAt: Nullable(Type.String({ format: 'date-time' })),
    url: Url(),
  },
  { $id: 'Delivery' },
);

export const Replay = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    webhookId: Type.String({ format: 'uuid' }),
    status: Type.Union(['running', 'done', 'failed', 'interrupted'].map((x) => Type.Literal(x))),
    since: Type.String({ format: 'date-time' }),
    eventsTotal: Type.Integer(),
    eventsDone: Type.Integer(),
    deliveries: Type.Integer(),
    error: Nullable(Type.String()),
    startedAt: Type.String({ format: 'date-time' }),
    finishedAt: Nullable(Type.String({ format: 'date-time' })),
  },
  { $id: 'Replay' },
);

/** Schemas registered once with app.addSchema so OpenAPI lists them as components. */
export const SHARED_SCHEMAS = [ErrorBody, KladanaErrorBody, KladanaBulkErrorBody, Warehouse, Product, Document, StockLevel, Movement, Event, Webhook, Delivery, Replay];
