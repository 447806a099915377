import type { FastifyError, FastifyInstance } from 'fastify';
import { AppError, ERRORS, toError, type ErrorCode } from '../errors.js';
import { explainShortage, ShortageError } from '../inventory/shortage.js';
import { connectionProblem } from '../storage/connection-advice.js';
import { isConnectionLost } from '../storage/connection-errors.js';
import type { Store } from '../storage/database.js';
import { describeValidation, type AjvError } from './validation-errors.js';

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

/**
 * The one place where errors become HTTP responses. A refusal for want of stock is explained here,
 * with a read after its transaction rolled back: the write path pays nothing for it.
 */
export function installErrorHandler(app: FastifyInstance, store: Pick<Store, 'db' | 'url'>): void {
  app.setErrorHandler(async (raw: unknown, request, reply) => {
    let err = toError(raw) as FastifyError & Partial<AppError>;
    if (err instanceof ShortageError) {
      err = await explainShortage(store.db, err).catch((cause: unknown) => {
        request.log.warn({ err: cause }, 'a stock refusal could not be explained');
        return err;
      });
    }
    if (err instanceof AppError) {
      return reply.status(err.status).send(body(err.code, err.message, err.details));
    }
    if (err.validation) {
      const { message, fields } = describeValidation(err.validation as AjvError[], err.validationContext);
      return reply.status(400).send(body('VALIDATION_FAILED', message, { fields }));
    }
    const mapped = err.code ? FASTIFY_CODES[err.code] : undefined;
    if (mapped) return reply.status(ERRORS[mapped].status).send(body(mapped, err.message));
    if (err instanceof SyntaxError) return reply.status(400).send(body('MALFORMED_JSON', err.message));
    if (isConnectionLost(raw)) {
      // Not a bug: a restart or failover of the database. Whatever had not committed did not happen.
      const problem = connectionProblem(store.url, raw);
      request.log.warn({ err }, `database unavailable: ${problem}`);
      const message = `${ERRORS.DATABASE_UNAVAILABLE.message}. ${problem}`;
      return reply.status(503).header('retry-after', String(DATABASE_RETRY_AFTER_S)).send(body('DATABASE_UNAVAILABLE', message, { problem }));
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
