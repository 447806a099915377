import type { Tx } from './db.js';

type RunTransaction = <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>;

/** A transaction runner that runs fn again, up to 5 times in all, after a transient conflict (deadlock, busy). */
export const retrying =
  (once: RunTransaction, isRetryable: (err: unknown) => boolean): RunTransaction =>
  async (fn) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await once(fn);
      } catch (err) {
        if (attempt >= 5 || !isRetryable(err)) throw err;
      }
    }
  };
