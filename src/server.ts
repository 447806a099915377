import type { Logger } from 'pino';
import { ensureAdminToken, hashToken } from './accounts/tokens.js';
import type { App } from './app.js';
import { compose } from './compose.js';
import type { Config } from './config.js';
import type { Ctx } from './context.js';
import { startDeliveryThread, type DeliveryThread } from './delivery-thread-host.js';
import { toError } from './errors.js';
import { createLogger } from './log.js';
import { openStore } from './storage/database.js';
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

/** Opens storage (migrating it), builds the app and listens. Roles decide what runs in this process. */
export async function startServer(config: Config): Promise<Running> {
  const logger = createLogger(config.logLevel, config.logFormat);
  const log = (msg: string, err?: unknown) => logger.error({ err }, msg);
  // Role all: delivery on the second core, unless turned off or the database cannot be opened by
  // a second thread.
  const threaded = config.role === 'all' && config.deliveryThread && opensInOtherThreads(config.databaseUrl);
  // What the HTTP thread and the delivery thread share about the database (storage/threads.ts).
  const share = threaded ? shareBetweenThreads(config.databaseUrl) : undefined;
  const threads = share && { share, role: 'requests' as const };
  const connection = { namedStatements: config.namedStatements, pooler: config.pooler, listenUrl: config.listenUrl };
  const store = await openStore(config.databaseUrl, { log, threads, ...connection, waitMs: config.databaseWaitMs });
  const admin = await ensureAdminToken(store, config.adminToken);
  if (admin.printOnce) {
    // Printed once, on the first start; only its hash is stored.
    process.stdout.write(`\nstockhook administrator token (shown once, keep it): ${admin.printOnce}\n\n`);
  }
  const settings = { allowPrivateTargets: config.allowPrivateTargets, publicUrl: config.publicUrl, limits: config.limits };
  const { ctx, dispatcher, app, metrics, handoff } = await compose(store, {
    settings,
    dispatcher: config.role !== 'api' && !threaded && { leaseMs: config.deliveryLeaseMs, accountShare: config.deliveryAccountShare, log },
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
export function closeOnSignals(running: Running, log: (msg: string) => void = console.error): void {
  const onSignal = (signal: string) => {
    log(`${signal} received, shutting down`);
    running.close().then(
      () => process.exit(0),
      (err) => {
        log(`shutdown failed: ${toError(err).message}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
}
