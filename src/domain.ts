import { applicationSecretReads } from './applications/application-secrets.js';
import type { Ctx, Settings } from './context.js';
import { Dispatcher, type DispatcherOptions } from './delivery/dispatcher.js';
import { installFanOut, type Renderer } from './delivery/fan-out.js';
import { HandoffWriter } from './delivery/handoff/index.js';
import { wakeAccounts } from './delivery/wake-signal.js';
import { Outbox } from './events/outbox.js';
import { inventoryReads } from './inventory/reports/metakocka-stock.js';
import type { Store } from './storage/database.js';

/**
 * The domain half of the composition root, without HTTP: the delivery thread and worker-only
 * processes build only this (loading Fastify and every route there would take memory for code they never run).
 */
export interface DomainParts {
  ctx: Ctx;
  renderer: Renderer;
  /** Where the fan-out hands fresh deliveries to this process's dispatcher, once one is connected. */
  handoff: HandoffWriter;
}

/** A Ctx whose every write fans out to the subscriptions in the same transaction. */
export function createDomain(store: Store, settings: Settings, now: () => number = Date.now): DomainParts {
  const outbox = new Outbox(store.events);
  const ctx: Ctx = { store, outbox, settings, now };
  const renderer: Renderer = { publicUrl: settings.publicUrl, reads: inventoryReads };
  const handoff = new HandoffWriter(outbox);
  installFanOut(outbox, renderer, handoff);
  // After a commit (and a nudge), not inside the transactions: see storage/postgres/announcer.ts. A commit
  // whose deliveries all went to this process's dispatcher leaves other processes nothing to
  // claim: waking them cost each of them a claim and a due-time read for nothing.
  handoff.onClaimable((events) => store.announceDeliveries(wakeAccounts(events)));
  return { ctx, renderer, handoff };
}

/**
 * The dispatcher of a domain, with what formats read per attempt (the applications' token store
 * for Poster's `application`/`added`). Every process and thread builds its dispatcher here, so none
 * can run without it (one that did would cancel those hooks instead of sending them).
 */
export function createDispatcher(domain: DomainParts, opts: DispatcherOptions = {}): Dispatcher {
  return new Dispatcher(domain.ctx, { attemptReads: applicationSecretReads(domain.ctx.store.db), handoffWriter: domain.handoff, ...opts });
}

