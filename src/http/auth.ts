import type { FastifyReply, FastifyRequest } from 'fastify';
import { lastUseDue, recordUse } from '../accounts/token-use.js';
import { findToken, hashToken, sameSecret, TOKEN_SYNTAX, type Principal } from '../accounts/tokens.js';
import { AppError } from '../errors.js';
import type { Store } from '../storage/database.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    /** SHA-256 of the token this request proved (any of the three kinds); null on open routes. */
    authenticatedAs: string | null;
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

/**
 * The three authentication hooks. Routes use them as `onRequest` hooks, the first step of a
 * request: a request without a valid token is 401 before the rate limiter counts it and before its
 * body is read or parsed (fastify parses bodies after onRequest and preParsing), so an anonymous
 * client can make the server parse nothing and learns nothing about what the body would have
 * needed. Each sets request.authenticatedAs, which the rate limiter keys on (http/rate-limit.ts).
 */
/** What a `read` token may send: nothing that changes anything. */
const READ_METHODS = new Set(['GET', 'HEAD']);

export interface AuthOptions {
  /** The clock a token's last use is recorded with (the domain's, so tests can fix it). */
  now?: () => number;
  /** A last use that could not be recorded: the request goes on, the bookkeeping waits for the next minute. */
  onUseNotRecorded?: (err: unknown) => void;
}

export function makeAuth(store: Pick<Store, 'db' | 'autocommit'>, adminTokenHash: string, metricsTokenHash?: string, opts: AuthOptions = {}) {
  const { db } = store;
  const now = opts.now ?? Date.now;
  /** The account token's principal, its scope checked against the method; 401 or 403 otherwise. */
  async function account(request: FastifyRequest, token: string): Promise<void> {
    const found = await findToken(db, token);
    if (!found) throw new AppError('UNAUTHORIZED', 'unknown token');
    const { principal, lastUsedMs } = found;
    if (principal.scope === 'read' && !READ_METHODS.has(request.method)) {
      const { tokenId } = principal;
      throw new AppError('INSUFFICIENT_SCOPE', `token ${tokenId} is a read token: it may only GET and HEAD`, { tokenId, scope: 'read' });
    }
    const at = now();
    // Awaited, but at most once a minute per token (token-use.ts): the answer then follows the
    // write, so a client that reads the token list after a request sees that request's use.
    if (lastUseDue(lastUsedMs, at)) await store.autocommit((w) => recordUse(w, principal.tokenId, at)).catch((err: unknown) => opts.onUseNotRecorded?.(err));
    request.principal = principal;
    request.authenticatedAs = hashToken(token);
  }
  return {
    /** onRequest for account routes: sets request.principal or answers 401 (403 for a read token's write). */
    async requireAccount(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
      const token = credentials(request.headers.authorization);
      if (!token) throw missing(request, 'send an account token as Bearer or as the Basic password');
      await account(request, token);
    },
    /**
     * onRequest for routes both the administrator and an account's own token may use (its
     * tokens): request.principal stays null for the administrator.
     */
    async requireAdminOrAccount(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
      const token = credentials(request.headers.authorization);
      if (!token) throw missing(request, 'send the administrator token or an account token as Bearer');
      const hash = hashToken(token);
      if (sameSecret(hash, adminTokenHash)) {
        request.principal = null;
        request.authenticatedAs = hash;
        return;
      }
      await account(request, token);
    },
    /** onRequest for the administrator's routes. */
    async requireAdmin(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
      const token = credentials(request.headers.authorization);
      if (!token) throw missing(request, 'send the administrator token as Bearer');
      const hash = hashToken(token);
      if (!sameSecret(hash, adminTokenHash)) throw new AppError('UNAUTHORIZED', 'not the administrator token');
      request.authenticatedAs = hash;
    },
    /** onRequest for /metrics: the metrics token (STOCKHOOK_METRICS_TOKEN) or the administrator's. */
    async requireMetrics(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
      const token = credentials(request.headers.authorization);
      if (!token) throw missing(request, 'send the metrics token (STOCKHOOK_METRICS_TOKEN) or the administrator token as Bearer');
      const hash = hashToken(token);
      const ok = sameSecret(hash, adminTokenHash) || (metricsTokenHash !== undefined && sameSecret(hash, metricsTokenHash));
      if (!ok) throw new AppError('UNAUTHORIZED', 'not the metrics or administrator token');
      request.authenticatedAs = hash;
    },
  };
}

export type Auth = ReturnType<typeof makeAuth>;

/** The authenticated account; routes behind requireAccount can rely on it. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('UNAUTHORIZED');
  return request.principal;
}
