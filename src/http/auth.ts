import type { FastifyReply, FastifyRequest } from 'fastify';
import { findPrincipal, hashToken, sameSecret, TOKEN_SYNTAX, type Principal } from '../accounts/tokens.js';
import { AppError } from '../errors.js';
import type { Db } from '../storage/database.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** RFC 6750: `Bearer` and one b64token, nothing after it (`Bearer <token> junk` is no credential). */
const BEARER = new RegExp(`^Bearer +(${TOKEN_SYNTAX.source.slice(1, -1)})$`, 'i');
/** RFC 7617: `Basic` and one base64 value. */
const BASIC = /^Basic +([A-Za-z0-9+/]+={0,2})$/i;

/** The token from `Authorization: Bearer <token>` or HTTP Basic with the token as password. */
export function credentials(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const value = header.trim();
  const bearer = BEARER.exec(value);
  if (bearer) return bearer[1];
  const basic = BASIC.exec(value);
  if (basic) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    // Kladana clients send login:password; we take the password as the token,
    // or the whole value when there is no password (curl -u TOKEN:).
    const password = colon >= 0 ? decoded.slice(colon + 1) : decoded;
    return password || (colon >= 0 ? decoded.slice(0, colon) : undefined);
  }
  return undefined;
}

/** 401 for a request without a usable credential, saying which mistake it made. */
function missing(request: FastifyRequest, hint: string): AppError {
  return new AppError(
    'UNAUTHORIZED',
    request.headers.authorization ? 'the Authorization header must be exactly "Bearer <token>" or "Basic <base64>"' : hint,
  );
}

export function makeAuth(db: Db, adminTokenHash: string, metricsTokenHash?: string) {
  return {
    /** preHandler for account routes: sets request.principal or answers 401. */
    async requireAccount(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
      const token = credentials(request.headers.authorization);
      if (!token) throw missing(request, 'send an account token as Bearer or as the Basic password');
      const principal = await findPrincipal(db, token);
      if (!principal) throw new AppError('UNAUTHORIZED', 'unknown token');
      request.principal = principal;
    },
    /** preHandler for the administrator's routes. */
    async requireAdmin(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
      const token = credentials(request.headers.authorization);
      if (!token) throw missing(request, 'send the administrator token as Bearer');
      if (!sameSecret(hashToken(token), adminTokenHash)) throw new AppError('UNAUTHORIZED', 'not the administrator token');
    },
    /** preHandler for /metrics: the metrics token (STOCKHOOK_METRICS_TOKEN) or the administrator's. */
    async requireMetrics(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
      const token = credentials(request.headers.authorization);
      if (!token) throw missing(request, 'send the metrics token (STOCKHOOK_METRICS_TOKEN) or the administrator token as Bearer');
      const hash = hashToken(token);
      const ok = sameSecret(hash, adminTokenHash) || (metricsTokenHash !== undefined && sameSecret(hash, metricsTokenHash));
      if (!ok) throw new AppError('UNAUTHORIZED', 'not the metrics or administrator token');
    },
  };
}

export type Auth = ReturnType<typeof makeAuth>;

/** The authenticated account; routes behind requireAccount can rely on it. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('UNAUTHORIZED');
  return request.principal;
}
