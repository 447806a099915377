import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError, ERRORS, toError, type ErrorCode } from '../errors.js';
import { isConnectionLost } from '../storage/connection-errors.js';

/** Seconds a client waits before retrying a request the database was unreachable for. */
const DATABASE_RETRY_AFTER_S = 2;

interface Body {
  error: { code: ErrorCode; message: string; details?: unknown };
}

const body = (code: ErrorCode, message: string, details?: unknown): Body => ({
  error: { code, message, ...(details !== undefined && { details }) },
});

/** Fastify's own error codes that are the client's fault, mapped onto our list. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
};

/** The one place where errors become HTTP responses. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((raw: unknown, request, reply) => {
    const err = toError(raw) as FastifyError & Partial<AppError>;
    if (err instanceof AppError) {
      return reply.status(err.status).send(body(err.code, err.message, err.details));
    }
    if (err.validation) {
      const fields = err.validation.map((v) => {
        const path = `${err.validationContext ?? 'body'}${v.instancePath.replace(/\/(\d+)/g, '[$1]').replace(/\//g, '.')}`;
        const { missingProperty, additionalProperty } = v.params as { missingProperty?: string; additionalProperty?: string };
        if (additionalProperty !== undefined) return { field: `${path}.${additionalProperty}`, message: 'is not a known field' };
        // URL fields are documented as format uri; Ajv's 'must match format "uri"' says less than this.
        if (v.keyword === 'format' && (v.params as { format?: string }).format === 'uri') return { field: path, message: 'is not a valid URL' };
        return { field: missingProperty ? `${path}.${missingProperty}` : path, message: v.message ?? 'is invalid' };
      });
      // With anyOf (nullable fields) Ajv reports every branch; the deepest error that is not about
      // the null branch or the anyOf itself is the one that names the real problem.
      const ranked = err.validation
        .map((v, i) => ({ v, f: fields[i] }))
        .filter(({ v }) => v.keyword !== 'anyOf' && !(v.keyword === 'type' && (v.params as { type?: string }).type === 'null'));
      ranked.sort((x, y) => y.v.instancePath.length - x.v.instancePath.length);
      const first = ranked[0]?.f ?? fields[0];
      const message = first
        ? `${first.field} ${first.message?.startsWith('must have required') ? 'is required' : first.message}`
        : 'invalid request';
      return reply.status(400).send(body('VALIDATION_FAILED', message, { fields }));
    }
    const mapped = err.code ? FASTIFY_CODES[err.code] : undefined;
    if (mapped) return reply.status(ERRORS[mapped].status).send(body(mapped, err.message));
    if (err instanceof SyntaxError) return reply.status(400).send(body('MALFORMED_JSON', err.message));
    if (isConnectionLost(raw)) {
      // Not a bug: a restart or failover of the database. Whatever had not committed did not happen.
      request.log.warn({ err }, 'database unavailable');
      return reply.status(503).header('retry-after', String(DATABASE_RETRY_AFTER_S)).send(body('DATABASE_UNAVAILABLE', ERRORS.DATABASE_UNAVAILABLE.message));
    }
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.status(400).send(body('VALIDATION_FAILED', err.message));
    }
    request.log.error({ err }, 'unhandled error');
    return reply.status(500).send(body('INTERNAL', ERRORS.INTERNAL.message));
  });
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send(body('ROUTE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`));
  });
}
