import pino from 'pino';
import { ensureAdminToken, hashToken } from './accounts/tokens.js';
import { buildApp, type App } from './app.js';
import type { Config } from './config.js';
import { createCtx, type Ctx } from './context.js';
import { Dispatcher } from './delivery/dispatcher.js';
import { DeliveryMetrics } from './delivery/metrics.js';
import { toError } from './errors.js';
import { openStore } from './storage/database.js';

export interface Running {
  app: App | null;
  dispatcher: Dispatcher | null;
  ctx: Ctx;
  url: string | null;
  close(): Promise<void>;
}

/** Opens storage (migrating it), builds the app and listens. Roles decide what runs in this process. */
export async function startServer(config: Config): Promise<Running> {
  const logger = pino({ level: config.logLevel });
  const store = await openStore(config.databaseUrl);
  const ctx = createCtx(store, Date.now, { allowPrivateTargets: config.allowPrivateTargets, publicUrl: config.publicUrl });
  const admin = await ensureAdminToken(store.db, config.adminToken);
  if (admin.printOnce) {
    // Printed once, on the first start; only its hash is stored.
    process.stdout.write(`\nstockhook administrator token (shown once, keep it): ${admin.printOnce}\n\n`);
  }
  const metrics = new DeliveryMetrics(store);
  let dispatcher: Dispatcher | null = null;
  if (config.role !== 'api') {
    dispatcher = new Dispatcher(ctx, {
      leaseMs: config.deliveryLeaseMs,
      metrics,
      log: (msg, err) => logger.error({ err }, msg),
    });
    await dispatcher.start();
  }
  let app: App | null = null;
  let url: string | null = null;
  if (config.role !== 'worker') {
    app = await buildApp({ ctx, adminTokenHash: admin.hash, metricsTokenHash: config.metricsToken && hashToken(config.metricsToken), logger, metrics });
    url = await app.listen({ port: config.port, host: config.host });
  }
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      if (app) await app.close();
      // After the API: requests in flight may still commit events to send.
      if (dispatcher) await dispatcher.stop();
      await store.close();
    })());
  return { app, ctx, url, dispatcher, close };
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
