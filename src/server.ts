import type { Logger } from 'pino';
import { keepAdminTokenInFile } from './accounts/admin-token-file.js';
import { ensureAdminToken, hashToken } from './accounts/tokens.js';
import type { App } from './app.js';
import { compose } from './compose.js';
import type { Config } from './config.js';
import type { Ctx } from './context.js';
import { startDeliveryThread, type DeliveryThread } from './delivery-thread-host.js';
import { toError } from './errors.js';
import { logEvent } from './log-events.js';
import { createLogger } from './log.js';
import { openStore } from './storage/database.js';
import { adminTokenFile } from './storage/database-location.js';
import { opensInOtherThreads, shareBetweenThreads } from './storage/threads.js';

export interface Running {
  app: App | null;
  /** The delivery worker of this process (in-process or its own thread), null for role api. */
  delivery: { owner: string; thread: boolean } | null;
  /** Role all: the supervised delivery thread (tests reach its Worker through its testHook). */
  thread: DeliveryThread | null;
  ctx: Ctx;
  url: string | null;
  logger: Logger;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Whether a person's terminal is on stdout (the generated administrator token is shown there, else written to a file). */
  stdoutIsTty?: boolean;
}

/** Opens storage (migrating it), builds the app and listens. Roles decide what runs in this process. */
export async function startServer(config: Config, opts: StartOptions = {}): Promise<Running> {
  const logger = createLogger(config.logLevel, config.logFormat);
  const log = (msg: string, err?: unknown) => logger.error({ err }, msg);
  // Role all: delivery on the second core, unless turned off or the database cannot be opened by
  // a second thread.
  const threaded = config.role === 'all' && config.deliveryThread && opensInOtherThreads(config.databaseUrl);
  // What the HTTP thread and the delivery thread share about the database (storage/threads.ts).
  const share = threaded ? shareBetweenThreads(config.databaseUrl) : undefined;
  const threads = share && { share, role: 'requests' as const };
  const connection = { namedStatements: config.namedStatements, pooler: config.pooler, listenUrl: config.listenUrl };
  const store = await openStore(config.databaseUrl, { log, events: logger, threads, ...connection, waitMs: config.databaseWaitMs });
  const admin = await ensureAdminToken(store, config.adminToken);
  if (admin.printOnce) {
    // Shown once, on the first start; only its hash is stored. Never in a log record: on a terminal
    // it is printed for the person there, otherwise (a service, a collector) it goes to a 0600 file.
    if (opts.stdoutIsTty ?? process.stdout.isTTY === true) {
      process.stdout.write(`\nstockhook administrator token (shown once, keep it): ${admin.printOnce}\n\n`);
    } else {
      const path = adminTokenFile(config.databaseUrl);
      await keepAdminTokenInFile(store, admin.printOnce, admin.hash, path).catch(async (err: unknown) => {
        await store.close();
        throw err;
      });
      // Whatever STOCKHOOK_LOG_LEVEL says, as the startup line: without it nobody finds the token.
      logEvent(logger.child({}, { level: 'info' }), 'admin_token.written', { path }, `administrator token generated and written to ${path} (mode 0600): keep it elsewhere and delete the file`);
    }
  }
  const settings = { allowPrivateTargets: config.allowPrivateTargets, publicUrl: config.publicUrl, limits: config.limits };
  const { ctx, dispatcher, app, metrics, handoff } = await compose(store, {
    settings,
    dispatcher: config.role !== 'api' && !threaded && { leaseMs: config.deliveryLeaseMs, accountShare: config.deliveryAccountShare, log, events: logger },
    http: config.role !== 'worker' && {
      adminTokenHash: admin.hash,
      metricsTokenHash: config.metricsToken && hashToken(config.metricsToken),
      logger,
      idempotency: { ttlMs: config.idempotencyTtlMs },
      rateLimit: config.rateLimit,
      retention: { policy: config.retention },
    },
  });
  const thread = threaded
    ? startDeliveryThread(metrics, { databaseUrl: config.databaseUrl, settings, leaseMs: config.deliveryLeaseMs, accountShare: config.deliveryAccountShare, logLevel: config.logLevel, logFormat: config.logFormat, share: share ?? {}, connection, databaseWaitMs: config.databaseWaitMs }, handoff, { log })
    : null;
  const url = app ? await app.listen({ port: config.port, host: config.host }) : null;
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      if (app) await app.close();
      // After the API: requests in flight may still commit events to send.
      if (dispatcher) await dispatcher.stop();
      if (thread) await thread.stop();
      await store.close();
    })());
  const owner = thread?.owner ?? dispatcher?.owner;
  return { app, ctx, url, logger, delivery: owner ? { owner, thread: thread !== null } : null, thread, close };
}

/** SIGTERM/SIGINT: stop accepting, finish in-flight requests, close the database, exit. */
export function closeOnSignals(running: Running): void {
  const onSignal = (signal: string) => {
    // Whatever STOCKHOOK_LOG_LEVEL says, as the startup line: a stop should never look like a crash.
    logEvent(running.logger.child({}, { level: 'info' }), 'server.stopping', { signal }, `${signal} received, shutting down`);
    running.close().then(
      () => process.exit(0),
      (err) => {
        logEvent(running.logger, 'server.stop_failed', { err: toError(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
}
