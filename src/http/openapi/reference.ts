import type { SwaggerTransformObject } from '@fastify/swagger';
import { accountsReference } from './accounts.js';
import { applicationsReference } from './applications.js';
import { deliveriesReference } from './deliveries.js';
import { documentsReference } from './documents.js';
import { eventsReference } from './events.js';
import { kladanaReference } from './kladana.js';
import { operationsReference } from './operations.js';
import { outboundOrdersReference } from './outbound-orders.js';
import { productsReference } from './products.js';
import { sourcesReference } from './sources.js';
import { stockItemsReference } from './stock-items.js';
import { stockReference } from './stock.js';
import { supplierReference } from './supplier.js';
import { tokensReference } from './tokens.js';
import type { OperationReference, TagReference } from './types.js';
import { warehousesReference } from './warehouses.js';
import { webhooksReference } from './webhooks.js';

export type { Example, OperationReference, TagReference } from './types.js';
export { INFO_DESCRIPTION, SECURITY_SCHEMES } from './intro.js';

/** Every tag in the order a reader meets them: set up, the ledger, reading it back, webhooks out and in, vendors. */
export const REFERENCE: readonly TagReference[] = [
  accountsReference,
  tokensReference,
  warehousesReference,
  productsReference,
  documentsReference,
  stockReference,
  eventsReference,
  webhooksReference,
  deliveriesReference,
  sourcesReference,
  applicationsReference,
  outboundOrdersReference,
  stockItemsReference,
  supplierReference,
  kladanaReference,
  operationsReference,
];

/** Every operation's entry, keyed `METHOD /path`. */
export const OPERATIONS: ReadonlyMap<string, OperationReference> = new Map(REFERENCE.flatMap((t) => Object.entries(t.operations)));

interface Parameter {
  name: string;
  in: string;
  example?: unknown;
}
interface MediaType {
  schema?: unknown;
  example?: unknown;
  examples?: Record<string, unknown>;
}
interface Operation {
  summary?: string;
  description?: string;
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, MediaType> };
  responses?: Record<string, { content?: Record<string, MediaType> }>;
}
interface Document {
  tags?: Array<{ name: string; description?: string }>;
  paths?: Record<string, Record<string, Operation>>;
}

/** What a client sends as Idempotency-Key: any unique string, a UUID is the usual choice. */
const IDEMPOTENCY_KEY_EXAMPLE = '5f1c9a2e-8b7d-4c3e-9f60-2a4b8d1e7c35';

function applyOperation(op: Operation, ref: OperationReference): void {
  op.summary = ref.summary;
  op.description = ref.description;
  for (const p of op.parameters ?? []) {
    const given = p.in === 'path' ? ref.params?.[p.name] : p.in === 'query' ? ref.query?.[p.name] : undefined;
    if (given !== undefined) p.example = given;
    else if (p.in === 'header' && p.name.toLowerCase() === 'idempotency-key') p.example = IDEMPOTENCY_KEY_EXAMPLE;
  }
  const body = op.requestBody?.content?.['application/json'];
  if (body && ref.body) body.examples = { ...ref.body };
  for (const [status, value] of Object.entries(ref.responses)) {
    const content = op.responses?.[status]?.content;
    if (!content) continue;
    const media = typeof value === 'string' ? Object.keys(content).find((m) => m.startsWith('text/')) : 'application/json';
    if (media && content[media]) content[media].example = value;
  }
}

/**
 * @fastify/swagger's transformObject: the summaries, descriptions, examples and tag descriptions
 * of this folder written into the document generated from the route schemas. An operation without
 * an entry keeps what its route says (the reference test fails on it).
 */
export const applyReference: SwaggerTransformObject = (documentObject) => {
  if (!('openapiObject' in documentObject)) return documentObject.swaggerObject;
  const doc = documentObject.openapiObject as Document;
  doc.tags = REFERENCE.map((t) => ({ ...t.tag }));
  for (const [path, ops] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(ops)) {
      const ref = OPERATIONS.get(`${method.toUpperCase()} ${path}`);
      if (ref) applyOperation(op, ref);
    }
  }
  return documentObject.openapiObject;
};
