import { WakeSignal } from '../../src/delivery/wake-signal.js';

/**
 * Whether a dispatcher's loop is at rest: waiting on its WakeSignal, so it will claim nothing until
 * something wakes it (a commit, a completion, NOTIFY) or its poll or a retry's due time comes. A test that must show "no claim happened" waits for this instead of sleeping: a
 * loop kicked by the test's writes is not at rest until it has run the claim the kick brought.
 * The wait is the loop's only place of rest, and its claim scheduler decides a rest only when nothing
 * woke it since the last (claim-scheduler.ts), so this watches WakeSignal.wait.
 * One dispatcher at a time per test file (the env's), and one watch per file, made at module level
 * (a describeEachDb body runs once per database: a watch made there would wrap the other's).
 */
export interface LoopRests {
  /** The loop is waiting. */
  readonly atRest: boolean;
  /** How many rests the loop has begun so far. */
  readonly rests: number;
  /** Puts WakeSignal.wait back. */
  restore(): void;
}

const WATCHED = Symbol('watched');

export function watchLoopRests(): LoopRests {
  const original = WakeSignal.prototype.wait;
  if (WATCHED in original) throw new Error('watchLoopRests: WakeSignal.wait is watched already; make one watch per file');
  const state = { atRest: false, rests: 0 };
  WakeSignal.prototype.wait = function wait(this: WakeSignal, ms: number): Promise<void> {
    state.rests++;
    state.atRest = true;
    // Cleared before the loop's await returns: the loop is busy from the moment it is woken.
    return original.call(this, ms).finally(() => {
      state.atRest = false;
    });
  };
  Object.defineProperty(WakeSignal.prototype.wait, WATCHED, { value: true });
  return {
    get atRest() {
      return state.atRest;
    },
    get rests() {
      return state.rests;
    },
    restore() {
      WakeSignal.prototype.wait = original;
    },
  };
}
