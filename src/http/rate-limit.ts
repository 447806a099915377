import rateLimit from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import { hashToken } from '../accounts/tokens.js';
import { AppError } from '../errors.js';
import { credentials } from './auth.js';
import type { App } from './deps.js';

export interface RateLimitOptions {
  /** Requests one token may send per window (STOCKHOOK_RATE_LIMIT). */
  max: number;
  /** The window (STOCKHOOK_RATE_LIMIT_WINDOW_SECONDS). */
  windowMs: number;
}

/** The bucket of a request: its token's SHA-256 (the raw token is never a key, so never in a log or a store). */
const bucketOf = (req: FastifyRequest): string | null => {
  const token = credentials(req.headers.authorization);
  return token ? `token:${hashToken(token)}` : null;
};

/**
 * Per-token request limits with @fastify/rate-limit: 429 RATE_LIMITED with Retry-After and the
 * RateLimit-Limit / -Remaining / -Reset headers of the IETF draft. The check runs as the routes'
 * last pre-handler, after authentication, so an unknown token is 401 and creates no bucket, and
 * each tenant's tokens count only against themselves. The administrator's token and requests
 * without a token (health checks, the dashboard's files, the API docs) are not limited. Counters
 * live in this process: with several API processes each counts on its own.
 * Register before the routes: the plugin adds its hook to each route as it is registered.
 */
export async function installRateLimit(app: App, opts: RateLimitOptions, adminTokenHash: string): Promise<void> {
  const admin = `token:${adminTokenHash}`;
  const windowSeconds = Math.round(opts.windowMs / 1000);
  await app.register(rateLimit, {
    global: true,
    hook: 'preHandler',
    max: opts.max,
    timeWindow: opts.windowMs,
    enableDraftSpec: true,
    keyGenerator: (req) => bucketOf(req) ?? 'anonymous',
    allowList: (req, key) => key === admin || bucketOf(req) === null,
    errorResponseBuilder: (_req, ctx) =>
      new AppError('RATE_LIMITED', `more than ${ctx.max} requests in ${windowSeconds} s with this token; retry in ${ctx.after}`, {
        limit: ctx.max,
        windowSeconds,
        retryAfterSeconds: Math.ceil(ctx.ttl / 1000),
      }),
  });
}
