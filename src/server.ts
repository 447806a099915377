import pino from 'pino';
import { ensureAdminToken } from './accounts/tokens.js';
import type { App } from './app.js';
import { compose } from './compose.js';
import type { Config } from './config.js';
import type { Ctx } from './context.js';
import type { Dispatcher } from './delivery/dispatcher.js';
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
  const log = (msg: string, err?: unknown) => logger.error({ err }, msg);
  const store = await openStore(config.databaseUrl, { log });
  const admin = await ensureAdminToken(store.db, config.adminToken);
  if (admin.printOnce) {
    // Printed once, on the first start; only its hash is stored.
    process.stdout.write(`\nstockhook administrator token (shown once, keep it): ${admin.printOnce}\n\n`);
  }
  const { ctx, dispatcher, app } = await compose(store, {
    settings: { allowPrivateTargets: config.allowPrivateTargets, publicUrl: config.publicUrl },
    dispatcher: config.role !== 'api' && { leaseMs: config.deliveryLeaseMs, log },
    http: config.role !== 'worker' && { adminTokenHash: admin.hash, logger },
  });
  const url = app ? await app.listen({ port: config.port, host: config.host }) : null;
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
