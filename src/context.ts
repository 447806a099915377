import type { NewEvent, StoredEvent } from './events/catalog.js';
import { Outbox } from './events/outbox.js';
import type { Store, Tx } from './storage/database.js';

/** What every domain operation needs: storage, the outbox and a clock (tests may fix it). */
export interface Ctx {
  readonly store: Store;
  readonly outbox: Outbox;
  now(): number;
}

export function createCtx(store: Store, now: () => number = Date.now): Ctx {
  return { store, outbox: new Outbox(), now };
}

export interface WriteScope {
  readonly tx: Tx;
  readonly now: number;
  emit(event: NewEvent): void;
}

/**
 * One write = one transaction: the domain change, its events (and, through the outbox hooks,
 * their deliveries) commit together or not at all. A thrown error rolls everything back, so a
 * refused request leaves no event.
 */
export async function writeTx<T>(
  ctx: Ctx,
  accountId: string,
  fn: (scope: WriteScope) => Promise<T>,
): Promise<{ result: T; events: StoredEvent[] }> {
  const out = await ctx.store.transaction(async (tx) => {
    const pending: NewEvent[] = [];
    const now = ctx.now();
    const result = await fn({ tx, now, emit: (e) => pending.push(e) });
    const events = await ctx.outbox.write(tx, accountId, pending, now);
    return { result, events };
  });
  ctx.outbox.committed(out.events);
  return out;
}
