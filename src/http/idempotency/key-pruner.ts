import type { Ctx } from '../../context.js';
import { toError } from '../../errors.js';
import type { App } from '../deps.js';
import { pruneKeys } from './key-store.js';

/** Expired keys are already ignored on lookup; pruning only bounds the table. */
const MAX_INTERVAL_MS = 10 * 60_000;

/** Deletes the keys older than ttlMs now; returns how many. */
export const pruneExpiredKeys = (ctx: Ctx, ttlMs: number): Promise<number> => pruneKeys(ctx.store, ctx.now() - ttlMs);

/** Prunes expired keys in the background while the app runs (every tenth of the TTL, at most every 10 minutes). */
export function startKeyPruner(app: App, ctx: Ctx, ttlMs: number): void {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  app.addHook('onReady', async () => {
    timer = setInterval(() => {
      running = pruneExpiredKeys(ctx, ttlMs).catch((err: unknown) => app.log.error({ err: toError(err) }, 'pruning idempotency keys failed'));
    }, Math.max(1000, Math.min(MAX_INTERVAL_MS, Math.floor(ttlMs / 10))));
    timer.unref();
  });
  app.addHook('onClose', async () => {
    clearInterval(timer);
    await running;
  });
}
