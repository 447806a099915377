import rateLimit from '@fastify/rate-limit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import type { App } from './deps.js';

export interface RateLimitOptions {
  /** Requests one token, or one client address without a token, may send per window (STOCKHOOK_RATE_LIMIT). */
  max: number;
  /** The window (STOCKHOOK_RATE_LIMIT_WINDOW_SECONDS). */
  windowMs: number;
}

/**
 * The bucket of a request: the SHA-256 of the token it proved (the raw token is never a key, so never
 * in a log or a store), else its client address. A token a request merely carries is no key: an
 * unproven one would let a client open a fresh bucket with every made-up token.
 */
const bucketOf = (req: FastifyRequest): string => (req.authenticatedAs ? `token:${req.authenticatedAs}` : `address:${req.ip}`);

/** A hook that counts the request and throws 429 RATE_LIMITED past the limit (for the not-found route). */
export type CountRequest = (req: FastifyRequest, reply: FastifyReply) => Promise<void>;

/**
 * Request limits with @fastify/rate-limit: 429 RATE_LIMITED with Retry-After and the
 * RateLimit-Limit / -Remaining / -Reset headers of the IETF draft.
 *
 * Order: authentication, then this count, then parsing and validation. The count is an onRequest
 * hook appended after each route's own onRequest (the authentication hook, http/auth.ts), so an
 * unknown token is 401 and creates no bucket, and every request of a known token counts, the
 * malformed ones included: they cost parsing too. Requests to open routes (health checks, the
 * dashboard's files, the API docs) and to no route at all count against their client address.
 * The administrator's token is not limited: it is the operator's, used by provisioning scripts,
 * and must keep working while tenants are being limited. Counters live in this process: with several
 * API processes each counts on its own.
 * Register before every route: the plugin adds its hook to each route as it is registered.
 * Returns the counter for requests that match no route (http/error-handler.ts counts them).
 */
export async function installRateLimit(app: App, opts: RateLimitOptions, adminTokenHash: string): Promise<CountRequest> {
  const windowSeconds = Math.round(opts.windowMs / 1000);
  await app.register(rateLimit, {
    global: true,
    hook: 'onRequest',
    max: opts.max,
    timeWindow: opts.windowMs,
    enableDraftSpec: true,
    keyGenerator: bucketOf,
    allowList: (req) => req.authenticatedAs === adminTokenHash,
    errorResponseBuilder: (req, ctx) =>
      new AppError(
        'RATE_LIMITED',
        `more than ${ctx.max} requests in ${windowSeconds} s ${req.authenticatedAs ? 'with this token' : 'from this address without a token'}; retry in ${ctx.after}`,
        { limit: ctx.max, windowSeconds, retryAfterSeconds: Math.ceil(ctx.ttl / 1000) },
      ),
  });
  return app.rateLimit() as CountRequest;
}
