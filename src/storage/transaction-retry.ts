import type { Tx } from './db.js';

type RunTransaction = <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>;

/** How many times a write is run in all before its transient conflict is the caller's. */
export const MAX_RUNS = 5;

/** Runs `run` again after a transient conflict (deadlock, busy), up to MAX_RUNS times in all; any other error at once. */
export async function retried<T>(run: () => Promise<T>, isRetryable: (err: unknown) => boolean): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (attempt >= MAX_RUNS || !isRetryable(err)) throw err;
    }
  }
}

/** A transaction runner that runs fn again after a transient conflict (retried). */
export const retrying =
  (once: RunTransaction, isRetryable: (err: unknown) => boolean): RunTransaction =>
  async (fn) =>
    retried(() => once(fn), isRetryable);
