import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { ERRORS, type ErrorCode } from '../errors.js';
import { KLADANA_PREFIX, kladanaError } from './kladana-errors.js';

/** The documented error body, or Kladana's on its routes (the onSend hook that rewrites it does not run here). */
function errorPayload(code: ErrorCode, message: string, kladanaRoute: boolean): string {
  return JSON.stringify(kladanaRoute ? { errors: [kladanaError(code, message, undefined)] } : { error: { code, message } });
}

/**
 * fastify's frameworkErrors option: the errors fastify meets before it has a route (a path that is
 * not valid percent-encoding, a path parameter over maxParamLength) would be answered with
 * fastify's own `{"error","code","statusCode"}` body. The request has no route context here, so
 * neither the error handler nor the onSend hooks run: the body is built directly.
 */
export const frameworkErrors: NonNullable<FastifyServerOptions['frameworkErrors']> = (
  err: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
) => {
  const [code, message]: [ErrorCode, string] =
    err.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? ['URI_TOO_LONG', ERRORS.URI_TOO_LONG.message]
      : err.code === 'FST_ERR_BAD_URL'
        ? ['MALFORMED_REQUEST', 'the path is not validly percent-encoded']
        : ['INTERNAL', ERRORS.INTERNAL.message];
  if (code === 'INTERNAL') request.log.error({ err }, 'framework error');
  return reply
    .status(ERRORS[code].status)
    .type('application/json; charset=utf-8')
    .send(errorPayload(code, message, request.url.startsWith(KLADANA_PREFIX)));
};

/** Node's clientError codes (the request never became a request) mapped onto our list. */
function codeOf(err: NodeJS.ErrnoException): ErrorCode {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return 'HEADERS_TOO_LARGE';
    case 'HPE_INVALID_METHOD':
      return 'METHOD_NOT_IMPLEMENTED';
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 'REQUEST_TIMEOUT';
    default:
      return 'MALFORMED_REQUEST';
  }
}

/** Whether the bytes Node had read name a Kladana route in their request line. */
function kladanaRequest(raw: unknown): boolean {
  if (!Buffer.isBuffer(raw)) return false;
  const line = raw.subarray(0, 256).toString('latin1');
  return new RegExp(`^[A-Z]+ ${KLADANA_PREFIX.replace(/\./g, '\\.')}`).test(line);
}

/**
 * fastify's clientErrorHandler option: Node's HTTP parser refuses some requests before fastify sees
 * them (headers over 16 KiB, a method it does not know, a malformed request line, a timeout). Node
 * and fastify would answer those with their own bodies; this writes the documented envelope (or
 * Kladana's when the request line names a Kladana route) and closes the connection, as Node does:
 * after a parse error the rest of the stream cannot be trusted.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException & { rawPacket?: unknown }, socket: Socket): void {
  // A reset connection has nobody to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const code = codeOf(err);
  const { status, message } = ERRORS[code];
  const body = errorPayload(code, message, kladanaRequest(err.rawPacket));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
