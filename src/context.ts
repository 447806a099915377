import { AsyncLocalStorage } from 'node:async_hooks';
import type { NewEvent, StoredEvent } from './events/catalog.js';
import type { Outbox } from './events/outbox.js';
import type { Store, Tx } from './storage/database.js';

/** Settings the domain needs from the configuration. */
export interface Settings {
  /** STOCKHOOK_ALLOW_PRIVATE_TARGETS=1: webhook URLs may reach loopback and private networks. */
  allowPrivateTargets: boolean;
  /** Base URL of this server as receivers reach it (Kladana's reportUrl links back to it). */
  publicUrl: string;
  /** What one account may create; DEFAULT_LIMITS where not given. */
  limits?: Partial<Limits>;
}

export interface Limits {
  /** Subscriptions per account (STOCKHOOK_MAX_WEBHOOKS_PER_ACCOUNT). */
  webhooksPerAccount: number;
  /** Replays running at once per subscription (STOCKHOOK_MAX_REPLAYS_PER_WEBHOOK). */
  replaysPerWebhook: number;
}

export const DEFAULT_LIMITS: Limits = { webhooksPerAccount: 50, replaysPerWebhook: 1 };

export const limitsOf = (ctx: Ctx): Limits => ({ ...DEFAULT_LIMITS, ...ctx.settings.limits });

/**
 * What every domain operation needs: storage, the outbox, settings and a clock (tests may fix it).
 * Only compose.ts builds one, so none exists without its fan-out.
 */
export interface Ctx {
  readonly store: Store;
  readonly outbox: Outbox;
  readonly settings: Settings;
  now(): number;
}

export interface WriteScope {
  readonly tx: Tx;
  readonly now: number;
  emit(event: NewEvent): void;
}

/**
 * A row that must commit with the first write of the current request, or not at all: the HTTP
 * layer claims an Idempotency-Key this way (http/idempotency/), so a twin request conflicts on the
 * key inside its own transaction and a crash can never leave a change without its key. The domain
 * knows nothing of keys; it only runs whatever claim the caller put in scope.
 */
export interface WriteClaim {
  /** Called first in every write transaction of the scope; it does nothing once one has committed. */
  claimIn(tx: Tx, now: number): Promise<void>;
  /** The write that carried the claim committed. */
  committed(): void;
}

const claims = new AsyncLocalStorage<WriteClaim>();

/** Runs fn with the claim in scope of every writeTx it starts. */
export const withWriteClaim = <T>(claim: WriteClaim, fn: () => T): T => claims.run(claim, fn);

/** For writes that open their own transaction (an account does not exist before it is created). */
export const claimIn = async (tx: Tx, now: number): Promise<void> => claims.getStore()?.claimIn(tx, now);

/** After the commit of a transaction that called claimIn. */
export const claimCommitted = (): void => claims.getStore()?.committed();

/**
 * One write = one transaction (or, on SQLite, one savepoint of a group commit): the domain
 * change, its events (and, through the outbox hooks, their deliveries) commit together or not at
 * all. A thrown error rolls everything back, so a refused request leaves no event; it resolves
 * only after the commit.
 */
export async function writeTx<T>(
  ctx: Ctx,
  accountId: string,
  fn: (scope: WriteScope) => Promise<T>,
): Promise<{ result: T; events: StoredEvent[] }> {
  // The events of the runs not yet known to be dead: a commit group or a retry may run the write
  // more than once, and only the run that commits keeps what its hooks prepared (the handoff's
  // reservations). The write runs again only after its last run rolled back, so a new run ends
  // the earlier ones at once, and their reservations leave room for it.
  const runs: StoredEvent[][] = [];
  let out: { result: T; events: StoredEvent[] };
  try {
    out = await ctx.store.write(async (tx) => {
      if (runs.length > 0) ctx.outbox.abandoned(runs.splice(0));
      const pending: NewEvent[] = [];
      const now = ctx.now();
      await claimIn(tx, now);
      const result = await fn({ tx, now, emit: (e) => pending.push(e) });
      const events = await ctx.outbox.write(tx, accountId, pending, now, (e) => runs.push(e));
      return { result, events };
    });
  } catch (err) {
    ctx.outbox.abandoned(runs);
    throw err;
  }
  claimCommitted();
  ctx.outbox.committed(out.events);
  if (out.events.length > 0) ctx.store.eventsCommitted();
  return out;
}
