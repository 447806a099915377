import { buildApp, type App, type AppDeps } from './app.js';
import type { Settings } from './context.js';
import type { Dispatcher, DispatcherOptions } from './delivery/dispatcher.js';
import { DeliveryMetrics } from './delivery/metrics.js';
import { createDispatcher, createDomain, type DomainParts } from './domain.js';
import type { Store } from './storage/database.js';

/**
 * The one composition root. Everything that runs stockhook (server.ts, the CLI, the tests and the
 * benchmarks) builds its parts here or, without HTTP, in domain.ts, so a Ctx never exists without
 * its fan-out and the formats get the domain's reads without importing the domain.
 */
export { createDomain, type DomainParts } from './domain.js';

export interface ComposeOptions {
  settings: Settings;
  now?: () => number;
  /** Run a dispatcher in this process (roles all and worker). */
  dispatcher?: DispatcherOptions | false;
  /** Build the HTTP app (roles all and api). */
  http?: Pick<AppDeps, 'adminTokenHash' | 'metricsTokenHash' | 'logger' | 'idempotency' | 'rateLimit' | 'retention' | 'slowRequestMs' | 'reportFetches'> | false;
}

export interface Stack extends DomainParts {
  store: Store;
  metrics: DeliveryMetrics;
  dispatcher: Dispatcher | null;
  app: App | null;
}

/**
 * Wires one process: the domain, its metrics, and as its role asks, a started dispatcher and a
 * ready (not yet listening) app that share those metrics, so /metrics shows this process's attempts.
 */
export async function compose(store: Store, opts: ComposeOptions): Promise<Stack> {
  const domain = createDomain(store, opts.settings, opts.now);
  const metrics = new DeliveryMetrics(store);
  let dispatcher: Dispatcher | null = null;
  if (opts.dispatcher) {
    dispatcher = createDispatcher(domain, { metrics, ...opts.dispatcher });
    await dispatcher.start();
    domain.handoff.connect(dispatcher.handoff);
  }
  let app: App | null = null;
  if (opts.http) {
    app = await buildApp({ ctx: domain.ctx, renderer: domain.renderer, metrics, ...opts.http });
    await app.ready();
  }
  return { ...domain, store, metrics, dispatcher, app };
}
