import swagger from '@fastify/swagger';
import apiReference from '@scalar/fastify-api-reference';
import Fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import type { Ctx } from './context.js';
import type { DeliveryMetrics } from './delivery/metrics.js';
import { makeAuth } from './http/auth.js';
import type { App, RouteDeps } from './http/deps.js';
import { installErrorHandler } from './http/error-handler.js';
import { installClosingAnswer } from './http/closing.js';
import { clientErrorHandler, frameworkErrors } from './http/framework-errors.js';
import { startKeyPruner } from './http/idempotency/key-pruner.js';
import { installIdempotency, type IdempotencyOptions } from './http/idempotency/idempotent-routes.js';
import { installKladanaErrorShape } from './http/kladana-errors.js';
import { applyReference, INFO_DESCRIPTION, SECURITY_SCHEMES } from './http/openapi/reference.js';
import { REFERENCE_UI } from './http/openapi/reference-ui.js';
import { installUnknownParameterCheck } from './http/query-parameters.js';
import { installRateLimit, type RateLimitOptions } from './http/rate-limit.js';
import type { RetentionPolicy } from './retention/policy.js';
import { startPruner, type Pruner } from './retention/pruner.js';
import { frameworkLogger, installRequestLog, serializeRequest } from './http/request-log.js';
import type { EventLog } from './log-events.js';
import { ROUTES } from './http/routes/index.js';
import { installUnmatchedRequests } from './http/unmatched-requests.js';
import { SHARED_SCHEMAS } from './http/schemas.js';
import { installBodyParsers, rejectBadStrings, validatorCompilers } from './http/validation.js';

export type { App } from './http/deps.js';

export interface AppDeps {
  ctx: Ctx;
  /** Shared with the dispatcher of the same process, so /metrics shows its attempts. */
  metrics: DeliveryMetrics;
  renderer: RouteDeps['renderer'];
  /** SHA-256 of the administrator token (accounts/tokens.ts ensureAdminToken). */
  adminTokenHash: string;
  /** SHA-256 of STOCKHOOK_METRICS_TOKEN: /metrics takes it or the administrator token. */
  metricsTokenHash?: string;
  logger?: FastifyBaseLogger | boolean;
  /** Idempotency-Key settings; keys live DEFAULT_IDEMPOTENCY_TTL_MS unless given. */
  idempotency?: Partial<IdempotencyOptions>;
  /** Per-token request limits; none when not given (STOCKHOOK_RATE_LIMIT unset). */
  rateLimit?: RateLimitOptions;
  /** Prune expired rows in the background while the app runs (the API process does it); none when not given. */
  retention?: { policy: RetentionPolicy; intervalMs?: number };
  /** A successful request slower than this is logged at info (http/request-log.ts SLOW_REQUEST_MS unless given). */
  slowRequestMs?: number;
  /** How Kladana reports are fetched again (tests give short waits). */
  reportFetches?: RouteDeps['reportFetches'];
}

export const DEFAULT_IDEMPOTENCY_TTL_MS = 24 * 3600_000;

export const BODY_LIMIT = 1024 * 1024;

/**
 * Builds the HTTP application without listening (fastify's testing guide: tests use app.inject()).
 * Every route is registered here, after @fastify/swagger, so /openapi.json is generated from the
 * same schemas that validate requests.
 */
export async function buildApp(deps: AppDeps): Promise<App> {
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    ...(typeof deps.logger === 'object' ? { loggerInstance: frameworkLogger(deps.logger) } : { logger: deps.logger ?? false }),
    // Bodies strictly, text parts (params, querystring, headers) with coercion: http/validation.ts.
    schemaController: validatorCompilers(),
    // Every request's logger writes the URL with credentials in the query string redacted.
    childLoggerFactory: (logger, bindings, opts) => logger.child(bindings, { ...opts, serializers: { ...opts.serializers, req: serializeRequest } }),
    // One record per request, at a level that depends on how it ended (http/request-log.ts).
    logController: new LogController({ disableRequestLogging: true }),
    // fastify's and Node's own refusals answer in the documented error shape too.
    frameworkErrors,
    clientErrorHandler,
    // A request during shutdown gets our envelope (http/closing.ts), not fastify's own 503 body.
    return503OnClosing: false,
  }).withTypeProvider() as App;
  app.decorateRequest('principal', null);
  app.decorateRequest('authenticatedAs', null);
  installErrorHandler(app, deps.ctx.store);
  // Before the Kladana shape: it reads the error code from stockhook's own error body.
  if (typeof deps.logger === 'object') installRequestLog(app, deps.logger as EventLog, deps.slowRequestMs);
  installKladanaErrorShape(app);
  installClosingAnswer(app);
  // Before every route (the API docs' too): it adds its count to each route as it is registered.
  const count = deps.rateLimit ? await installRateLimit(app, deps.rateLimit, deps.adminTokenHash) : undefined;
  installUnmatchedRequests(app, count);
  // Before every route: a query parameter a route does not take is refused (http/query-parameters.ts).
  installUnknownParameterCheck(app);
  installBodyParsers(app);
  app.addHook('preValidation', rejectBadStrings);
  for (const s of SHARED_SCHEMAS) app.addSchema(s);
  // Before swagger and the routes: it wraps every POST route as it is registered.
  const idempotency = { ttlMs: DEFAULT_IDEMPOTENCY_TTL_MS, ...deps.idempotency };
  installIdempotency(app, deps.ctx, idempotency);
  startKeyPruner(app, deps.ctx, idempotency.ttlMs);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'stockhook',
        version: '0.1.0',
        description: INFO_DESCRIPTION,
      },
      components: { securitySchemes: SECURITY_SCHEMES },
      security: [{ bearer: [] }, { basic: [] }],
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
    // Summaries, descriptions and examples live in http/openapi/, one file per tag.
    transformObject: applyReference,
  });
  await app.register(apiReference, { routePrefix: '/docs', configuration: REFERENCE_UI, logLevel: 'warn' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const retention = deps.retention;
  if (retention) {
    let pruner: Pruner | undefined;
    app.addHook('onReady', async () => {
      pruner = startPruner(deps.ctx.store, retention.policy, {
        now: () => deps.ctx.now(),
        intervalMs: retention.intervalMs,
        onPruned: (counts) => deps.metrics.recordPruned(counts),
        log: (msg, err) => app.log.error({ err }, msg),
        events: typeof deps.logger === 'object' ? (deps.logger as EventLog) : undefined,
      });
    });
    app.addHook('onClose', async () => pruner?.stop());
  }

  const routeDeps: RouteDeps = {
    ctx: deps.ctx,
    auth: makeAuth(deps.ctx.store, deps.adminTokenHash, deps.metricsTokenHash, {
      now: () => deps.ctx.now(),
      onUseNotRecorded: (err) => app.log.warn({ err }, "a token's last use could not be recorded"),
    }),
    metrics: deps.metrics,
    renderer: deps.renderer,
    reportFetches: deps.reportFetches,
  };
  for (const register of ROUTES) register(app, routeDeps);
  return app;
}
