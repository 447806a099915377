import { WriteTurn } from '../../src/storage/sqlite/write-turn.js';
import { eventually } from './wait.js';

/**
 * The other thread's side of a SQLite write turn (the delivery thread's, as the HTTP thread sees
 * it): a second WriteTurn on the buffer a store was opened with (StoreOptions.writeTurn).
 */
export class OtherThread {
  readonly turn: WriteTurn;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.turn = new WriteTurn(buffer);
  }

  /** Tickets drawn and not yet served: 0 when the turn is free, 1 when held, 1 + n with n waiting. */
  queued(): number {
    const cells = new Int32Array(this.buffer);
    return (Atomics.load(cells, 0) - Atomics.load(cells, 1)) | 0;
  }

  /** Resolves once `n` tickets are queued: a write has drawn its ticket and waits for its turn. */
  async untilQueued(n: number): Promise<void> {
    await eventually(() => this.queued() === n, 10_000, 1, `${n} tickets queued for the write turn`);
  }

  /**
   * Holds the turn while `write` starts, and returns what happened, in order: the write draws its
   * ticket; this thread's reads (`read`, on the same store) answer while it waits; it writes only
   * after the turn is given back. `log` is shared with `write`, which may add its own steps.
   */
  async holdWhile(write: (log: string[]) => Promise<unknown>, read: () => Promise<boolean>): Promise<{ order: string[]; before: boolean; after: boolean }> {
    const log: string[] = [];
    await this.turn.acquire();
    let done: Promise<unknown> = Promise.resolve();
    let before: boolean;
    try {
      done = write(log).then(
        () => log.push('written'),
        (err: Error) => log.push(`failed: ${err.message}`),
      );
      // Its ticket drawn behind the one held here: it waits for the turn, and so far nothing else does.
      await this.untilQueued(2);
      before = await read();
      log.push('read', 'released');
    } finally {
      this.turn.release();
    }
    await done;
    return { order: log, before, after: await read() };
  }
}
