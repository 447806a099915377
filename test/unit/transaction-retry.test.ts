import { describe, expect, it } from 'vitest';
import { MAX_RUNS, retried, retrying } from '../../src/storage/transaction-retry.js';
import type { Tx } from '../../src/storage/db.js';

/** A conflict the store may run again (a deadlock, a lost lock), and one it must not. */
class Conflict extends Error {}
const isConflict = (err: unknown): boolean => err instanceof Conflict;

/** A write that fails with each of `errors` in turn, then returns how many runs it took. */
function failing(...errors: Error[]): { run: () => Promise<number>; runs: () => number } {
  let runs = 0;
  return {
    run: async () => {
      const err = errors[runs++];
      if (err) throw err;
      return runs;
    },
    runs: () => runs,
  };
}

describe('a write run again after a transient conflict', () => {
  it('runs again after each conflict and returns what the run that got through returned', async () => {
    const w = failing(new Conflict('a'), new Conflict('b'));
    await expect(retried(w.run, isConflict)).resolves.toBe(3);
    expect(w.runs()).toBe(3);
  });

  it('is run five times in all: the fifth conflict is the caller’s', async () => {
    const conflicts = Array.from({ length: MAX_RUNS }, (_, i) => new Conflict(`run ${i + 1}`));
    const w = failing(...conflicts);
    await expect(retried(w.run, isConflict)).rejects.toBe(conflicts[4]);
    expect([MAX_RUNS, w.runs()]).toEqual([5, 5]);
    // Four conflicts, then through: the fifth run is still made.
    const four = failing(...conflicts.slice(0, 4));
    await expect(retried(four.run, isConflict)).resolves.toBe(5);
  });

  it('an error that is not a conflict is thrown at once, without another run', async () => {
    const refused = new Error('not null violation');
    const w = failing(refused);
    await expect(retried(w.run, isConflict)).rejects.toBe(refused);
    expect(w.runs()).toBe(1);
    // After a conflict too.
    const later = failing(new Conflict('first'), refused);
    await expect(retried(later.run, isConflict)).rejects.toBe(refused);
    expect(later.runs()).toBe(2);
  });

  it('a transaction runner made retrying runs the transaction again, with the same function', async () => {
    const seen: Array<(tx: Tx) => Promise<unknown>> = [];
    let runs = 0;
    const once = async <T>(fn: (tx: Tx) => Promise<T>): Promise<T> => {
      seen.push(fn as (tx: Tx) => Promise<unknown>);
      if (++runs < 3) throw new Conflict('deadlock');
      return fn({} as Tx);
    };
    const fn = async () => 'committed';
    await expect(retrying(once, isConflict)(fn)).resolves.toBe('committed');
    expect(seen).toEqual([fn, fn, fn]);
  });
});
