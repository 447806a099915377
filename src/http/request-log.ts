import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { logEvent, type EventLog } from '../log-events.js';

/**
 * Query parameter names that carry credentials. Tokens belong in the Authorization header, but
 * clients put them in URLs anyway (`?access_token=`), and a request log must not keep them.
 */
const CREDENTIAL = /token|passw|secret|api[-_]?key|signature|credential|auth|session|bearer|jwt/i;
const CREDENTIAL_EXACT = new Set(['key', 'sig', 'pwd', 'pass', 'code']);

const decodeName = (name: string): string => {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
};

/** The URL with the value of every credential-like query parameter replaced by [REDACTED]. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = decodeName(eq < 0 ? pair : pair.slice(0, eq));
      return eq >= 0 && (CREDENTIAL.test(name) || CREDENTIAL_EXACT.has(name.toLowerCase())) ? `${pair.slice(0, eq)}=[REDACTED]` : pair;
    })
    .join('&');
  return `${url.slice(0, q)}?${query}`;
}

/** fastify's request serializer, with the URL redacted. */
export function serializeRequest(req: FastifyRequest) {
  return {
    method: req.method,
    url: redactUrl(req.url),
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

/** A request slower than this is logged at info (`request.slow`); faster ones that succeed at debug. */
export const SLOW_REQUEST_MS = 1000;

/** Routes whose refusal is the domain's `document.refused` rather than a plain `request.rejected`. */
const DOCUMENT_ROUTES = new Set(['POST /api/v1/documents']);

/** The stable code and message of the error a request was answered with (read before Kladana's routes reshape it). */
const answeredWith = new WeakMap<FastifyRequest, { code: string; message: string }>();

const round = (ms: number) => Math.round(ms * 10) / 10;

const SEVERITY: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };

/**
 * The logger fastify itself gets: the process's, from `warn` up. Its own info record ("Server
 * listening at") repeats, without a code, what the startup line says; its warnings and errors (a
 * request's unhandled error) stay. Request records go through the process's logger itself.
 */
export function frameworkLogger<L extends { level: string; child(bindings: object, options: { level: string }): L }>(logger: L): L {
  return logger.child({}, { level: (SEVERITY[logger.level] ?? 0) >= SEVERITY.warn ? logger.level : 'warn' });
}

/**
 * One record per request, written through the process's logger when its answer is sent (fastify's
 * own two records, "incoming request" and "request completed", are turned off in app.ts): `debug` for a success, so a
 * dashboard polling every few seconds writes nothing at the default level; `info` for a slow one
 * and for a refusal (4xx, with its error code; a refused document as `document.refused`); `error`
 * for a 5xx. Install before the Kladana error shape, whose hooks rewrite the error body.
 */
export function installRequestLog(app: FastifyInstance, log: EventLog, slowMs: number = SLOW_REQUEST_MS): void {
  app.addHook('preSerialization', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    if (reply.statusCode >= 400) {
      const e = (payload as { error?: { code?: unknown; message?: unknown } } | null)?.error;
      if (e && typeof e.code === 'string') answeredWith.set(request, { code: e.code, message: String(e.message ?? '') });
    }
    return payload;
  });
  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    const status = reply.statusCode;
    const ms = round(reply.elapsedTime);
    const url = redactUrl(request.url);
    const fields = { reqId: request.id, method: request.method, url, statusCode: status, responseTimeMs: ms };
    const text = `${request.method} ${url} ${status} in ${ms} ms`;
    if (status < 400) {
      logEvent(log, ms >= slowMs ? 'request.slow' : 'request.completed', fields, text);
      return;
    }
    const error = answeredWith.get(request);
    const withCode = { ...fields, ...(error && { errorCode: error.code }) };
    if (status >= 500) {
      logEvent(log, 'request.failed', withCode, text);
    } else if (DOCUMENT_ROUTES.has(`${request.method} ${request.routeOptions.url ?? ''}`)) {
      const body = request.body as { type?: unknown; warehouseId?: unknown } | undefined;
      const document = { type: body?.type, warehouseId: body?.warehouseId, account: request.principal?.accountId };
      logEvent(log, 'document.refused', { ...withCode, ...document, reason: error?.message }, `document refused: ${error?.code ?? status}: ${error?.message ?? ''}`);
    } else {
      logEvent(log, 'request.rejected', withCode, text);
    }
  });
}
