/**
 * The one list of errors stockhook answers with. Codes are stable: clients switch on them.
 * The HTTP status lives here too, so the mapping happens in exactly one place
 * (http/error-handler.ts reads it); a test checks this list, the OpenAPI document and docs/api/errors.md agree.
 */
export const ERRORS = {
  VALIDATION_FAILED: { status: 400, message: 'The request is not valid' },
  UNKNOWN_PARAMETER: { status: 400, message: 'The request has a query parameter this route does not take' },
  MALFORMED_JSON: { status: 400, message: 'The request body is not valid JSON' },
  MALFORMED_REQUEST: { status: 400, message: 'The request is not valid HTTP, or its path is not validly percent-encoded' },
  UNAUTHORIZED: { status: 401, message: 'Missing or invalid credentials' },
  FORBIDDEN: { status: 403, message: 'This token may not do that' },
  INSUFFICIENT_SCOPE: { status: 403, message: 'A read token may only GET and HEAD; this needs a write token' },
  PLAN_FORBIDS_WEBHOOKS: { status: 403, message: 'The free plan creates and sends no webhooks' },
  NOT_FOUND: { status: 404, message: 'Not found' },
  ROUTE_NOT_FOUND: { status: 404, message: 'No such route' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'The route does not take this method; the Allow header lists those it takes' },
  REQUEST_TIMEOUT: { status: 408, message: 'The request did not arrive in time' },
  CONFLICT: { status: 409, message: 'Conflicts with the current state' },
  DOCUMENT_ALREADY_CANCELLED: { status: 409, message: 'The document is already cancelled' },
  LAST_WRITE_TOKEN: { status: 409, message: "An account may not revoke its own last write token" },
  IDEMPOTENCY_KEY_REUSED: { status: 409, message: 'This Idempotency-Key was used with a different request' },
  IDEMPOTENCY_KEY_IN_PROGRESS: { status: 409, message: 'A request with this Idempotency-Key is still in progress' },
  WAREHOUSE_HAS_STOCK: { status: 409, message: 'The warehouse still holds stock' },
  PRODUCT_HAS_STOCK: { status: 409, message: 'The product is still in stock' },
  HISTORY_PRUNED: { status: 410, message: 'That part of the event history was pruned' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is larger than 1 MiB' },
  URI_TOO_LONG: { status: 414, message: 'A path segment is longer than 100 characters' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Send application/json' },
  INSUFFICIENT_STOCK: { status: 422, message: 'Not enough free stock' },
  INSUFFICIENT_RESERVED: { status: 422, message: 'Not enough reserved stock to release or ship' },
  UNKNOWN_SIZE: { status: 422, message: 'The product has no such size' },
  INACTIVE_WAREHOUSE: { status: 422, message: 'The warehouse is not active' },
  TARGET_NOT_ALLOWED: {
    status: 422,
    message: 'The webhook URL points at a loopback, private or link-local address (the server allows those only with STOCKHOOK_ALLOW_PRIVATE_TARGETS=1)',
  },
  WEBHOOK_LIMIT_REACHED: { status: 422, message: 'The account has as many webhooks of this kind as allowed' },
  INVALID_STATE: { status: 422, message: 'The object is not in a state that allows this' },
  RATE_LIMITED: { status: 429, message: 'Too many requests with this token; retry after the Retry-After seconds' },
  HEADERS_TOO_LARGE: { status: 431, message: 'The request line and headers are larger than 16 KiB' },
  INTERNAL: { status: 500, message: 'Internal error' },
  METHOD_NOT_IMPLEMENTED: { status: 501, message: 'Not an HTTP method this server knows' },
  DATABASE_UNAVAILABLE: { status: 503, message: 'The database cannot be reached; retry after the Retry-After seconds' },
  SHUTTING_DOWN: { status: 503, message: 'The server is shutting down; retry after the Retry-After seconds' },
  NOT_READY: { status: 503, message: 'Not ready to serve: the database or the delivery worker is down' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;

  constructor(code: ErrorCode, message?: string, details?: unknown) {
    super(message ?? ERRORS[code].message);
    this.code = code;
    this.status = ERRORS[code].status;
    this.details = details;
  }
}

export const notFound = (what: string, id: unknown): AppError =>
  new AppError('NOT_FOUND', `${what} ${String(id)} not found`, { object: what, id });

/** Every catch coerces what it caught (graphile-worker's habit): throw sites may throw anything. */
export function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** A value echoed in an error line, cut short: a mistaken paste may be long or hold a secret's start. */
export function quoteValue(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
}
