import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../errors.js';

/** Every route under this prefix speaks Kladana's JSON API (docs/formats/kladana.md), errors included. */
export const KLADANA_PREFIX = '/api/remap/1.2/';

/**
 * Kladana's errors carry a numeric `code`. The vendor document gives no table, so these are
 * stockhook's own, stable and grouped by HTTP status (status × 10 + n); `moreInfo` names the
 * stable stockhook code. Typed as a full record so a new error code cannot be forgotten here.
 */
export const KLADANA_ERROR_CODES: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 4000,
  MALFORMED_JSON: 4001,
  MALFORMED_REQUEST: 4002,
  UNKNOWN_PARAMETER: 4003,
  UNAUTHORIZED: 4010,
  FORBIDDEN: 4030,
  PLAN_FORBIDS_WEBHOOKS: 4031,
  INSUFFICIENT_SCOPE: 4032,
  NOT_FOUND: 4040,
  ROUTE_NOT_FOUND: 4041,
  METHOD_NOT_ALLOWED: 4050,
  REQUEST_TIMEOUT: 4080,
  CONFLICT: 4090,
  DOCUMENT_ALREADY_CANCELLED: 4091,
  IDEMPOTENCY_KEY_REUSED: 4092,
  WAREHOUSE_HAS_STOCK: 4093,
  PRODUCT_HAS_STOCK: 4094,
  IDEMPOTENCY_KEY_IN_PROGRESS: 4095,
  LAST_WRITE_TOKEN: 4096,
  HISTORY_PRUNED: 4100,
  PAYLOAD_TOO_LARGE: 4130,
  URI_TOO_LONG: 4140,
  UNSUPPORTED_MEDIA_TYPE: 4150,
  INSUFFICIENT_STOCK: 4220,
  INSUFFICIENT_RESERVED: 4221,
  UNKNOWN_SIZE: 4222,
  INACTIVE_WAREHOUSE: 4223,
  TARGET_NOT_ALLOWED: 4224,
  WEBHOOK_LIMIT_REACHED: 4225,
  INVALID_STATE: 4226,
  RATE_LIMITED: 4290,
  HEADERS_TOO_LARGE: 4310,
  INTERNAL: 5000,
  METHOD_NOT_IMPLEMENTED: 5010,
  DATABASE_UNAVAILABLE: 5030,
  NOT_READY: 5031,
  SHUTTING_DOWN: 5032,
};

export interface KladanaError {
  error: string;
  code: number;
  moreInfo: string;
  /** The offending field, when known (Kladana's `parameter`). */
  parameter?: string;
}

/** Kladana's error body, as /openapi.json documents it for every Kladana route's 4xx and 5xx. */
export const KladanaErrorBody = Type.Object(
  {
    errors: Type.Array(
      Type.Object(
        {
          error: Type.String(),
          code: Type.Integer({ description: 'stable, status × 10 + n (docs/formats/kladana.md#errors)' }),
          moreInfo: Type.String({ description: 'names the stable stockhook error code' }),
          parameter: Type.Optional(Type.String({ description: 'the offending field, when known' })),
        },
        { additionalProperties: false },
      ),
      { minItems: 1 },
    ),
  },
  { $id: 'KladanaError', additionalProperties: false, description: "Kladana's error shape, on every route under /api/remap/1.2/." },
);

/** A refused bulk request whose refused item is known: one error body per item of the request, in order. */
export const KladanaBulkErrorBody = Type.Array(Type.Ref(KladanaErrorBody), {
  $id: 'KladanaBulkError',
  minItems: 1,
  description: "a bulk request is applied as a whole: the refused item's errors, and for the others that they were not applied",
});

export function kladanaError(code: string, message: string, details: unknown): KladanaError {
  const field = (details as { field?: unknown } | undefined)?.field;
  return {
    error: message,
    code: KLADANA_ERROR_CODES[code as ErrorCode] ?? 5000,
    moreInfo: `stockhook error ${code}: see docs/formats/kladana.md#errors`,
    ...(typeof field === 'string' && { parameter: field }),
  };
}

/** The index of the refused item of a bulk request, from `details.index` or a field such as `[1].url`. */
function itemIndex(details: unknown): number | null {
  const d = details as { index?: unknown; field?: unknown } | undefined;
  if (typeof d?.index === 'number') return d.index;
  const m = typeof d?.field === 'string' ? /^\[(\d+)\]/.exec(d.field) : null;
  return m ? Number(m[1]) : null;
}

/** Kladana's body for stockhook's `{"error": {...}}`, or null when the payload is not one. */
function reshape(req: FastifyRequest, payload: unknown): unknown {
  const e = (payload as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  if (!e || typeof e.code !== 'string') return null;
  const own = kladanaError(e.code, String(e.message ?? ''), e.details);
  const index = Array.isArray(req.body) ? itemIndex(e.details) : null;
  if (index === null || index >= (req.body as unknown[]).length) return { errors: [own] };
  return (req.body as unknown[]).map((_, i) =>
    i === index
      ? { errors: [own] }
      : {
          errors: [
            {
              error: `not applied: item [${index}] was refused and a bulk request is applied as a whole`,
              code: KLADANA_ERROR_CODES.CONFLICT,
              moreInfo: 'stockhook error CONFLICT: see docs/formats/kladana.md#errors',
            },
          ],
        },
  );
}

/**
 * Rewrites stockhook's `{"error": {"code", "message", "details"}}` into Kladana's
 * `{"errors": [{"error", "code", "moreInfo"}]}` on the Kladana routes only, keeping the status.
 * A bulk request (an array body) whose refused item is known gets one entry per item, in request
 * order: the refused item's own errors, and for the others an error saying they were not applied
 * (a bulk request is one transaction). Hooks rather than a second error handler, so the answers of
 * the authentication pre-handler and of unknown routes under the prefix are covered too. Before
 * serialization, because the routes' 4xx/5xx response schemas (which also serialize) are
 * Kladana's; onSend catches an error body that arrives already serialized.
 */
export function installKladanaErrorShape(app: FastifyInstance): void {
  const applies = (req: FastifyRequest, status: number) => status >= 400 && req.url.startsWith(KLADANA_PREFIX);
  app.addHook('preSerialization', async (req: FastifyRequest, reply, payload) => {
    if (!applies(req, reply.statusCode)) return payload;
    return reshape(req, payload) ?? payload;
  });
  app.addHook('onSend', async (req: FastifyRequest, reply, payload) => {
    if (!applies(req, reply.statusCode) || typeof payload !== 'string') return payload;
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch {
      return payload;
    }
    const kladana = reshape(req, parsed);
    return kladana === null ? payload : JSON.stringify(kladana);
  });
}
