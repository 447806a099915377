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
  UNAUTHORIZED: 4010,
  FORBIDDEN: 4030,
  PLAN_FORBIDS_WEBHOOKS: 4031,
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

/**
 * Rewrites stockhook's `{"error": {"code", "message", "details"}}` into Kladana's
 * `{"errors": [{"error", "code", "moreInfo"}]}` on the Kladana routes only, keeping the status.
 * A bulk request (an array body) whose refused item is known gets one entry per item, in request
 * order: the refused item's own errors, and for the others an error saying they were not applied
 * (a bulk request is one transaction). An onSend hook rather than a second error handler, so the
 * answers of the authentication pre-handler and of unknown routes under the prefix are covered too.
 */
export function installKladanaErrorShape(app: FastifyInstance): void {
  app.addHook('onSend', async (req: FastifyRequest, reply, payload) => {
    if (reply.statusCode < 400 || !req.url.startsWith(KLADANA_PREFIX) || typeof payload !== 'string') return payload;
    let parsed: { error?: { code?: unknown; message?: unknown; details?: unknown } };
    try {
      parsed = JSON.parse(payload);
    } catch {
      return payload;
    }
    const e = parsed?.error;
    if (!e || typeof e.code !== 'string') return payload;
    const own = kladanaError(e.code, String(e.message ?? ''), e.details);
    const index = Array.isArray(req.body) ? itemIndex(e.details) : null;
    if (index === null || index >= (req.body as unknown[]).length) return JSON.stringify({ errors: [own] });
    return JSON.stringify(
      (req.body as unknown[]).map((_, i) =>
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
      ),
    );
  });
}
