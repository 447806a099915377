/**
 * Whose turn it is to write a SQLite database, shared by the threads of one process (the HTTP
 * thread and the delivery thread each hold a connection). Without it they meet at SQLite's lock:
 * the loser's BEGIN IMMEDIATE waits in SQLite's busy handler, which sleeps in steps of up to
 * 100 ms and blocks that thread's event loop all the while, so a writer can lose to the other
 * thread's back-to-back claims for seconds (other tenants' POSTs waited that long after a large
 * fan-out committed, while the delivery thread claimed it). A ticket lock in shared
 * memory hands the database out first come, first served, and a waiting thread awaits its turn
 * (Atomics.waitAsync) with its event loop free.
 *
 * The store takes it explicitly around every write (open.ts: its transactions and `autocommit`),
 * before the write asks for the thread's one connection, so reads never wait behind a write that
 * waits for its turn.
 *
 * Only scheduling depends on it: SQLite's own lock still guards every write. A turn held longer
 * than `stuckMs` (a thread that died mid-write) is skipped, and a ticket that was skipped simply
 * goes ahead; both fall back to SQLite's locking.
 */
/** Atomics.waitAsync (Node >= 16) is in TypeScript's es2024 lib; the project targets es2022. */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, index: number, value: number, timeoutMs: number): { async: true; value: Promise<string> } | { async: false; value: string };
}).waitAsync;

export class WriteTurn {
  /** [0] the next ticket to hand out, [1] the ticket now served. Int32 wraps; distances stay small. */
  private readonly cells: Int32Array;

  constructor(
    readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(8),
    private readonly stuckMs = 10_000,
  ) {
    this.cells = new Int32Array(buffer);
  }

  async acquire(): Promise<void> {
    const ticket = Atomics.add(this.cells, 0, 1);
    for (;;) {
      const serving = Atomics.load(this.cells, 1);
      if (((serving - ticket) | 0) >= 0) return;
      const wait = waitAsync(this.cells, 1, serving, this.stuckMs);
      let outcome = wait.value;
      if (wait.async) {
        // A pending waitAsync does not keep Node's event loop alive: without this timer a thread
        // with nothing else to do would exit while waiting for its turn, its write never made.
        const keepAlive = setTimeout(() => {}, this.stuckMs + 1000);
        try {
          outcome = await wait.value;
        } finally {
          clearTimeout(keepAlive);
        }
      }
      if (outcome === 'timed-out') Atomics.compareExchange(this.cells, 1, serving, (serving + 1) | 0);
    }
  }

  release(): void {
    Atomics.add(this.cells, 1, 1);
    Atomics.notify(this.cells, 1);
  }
}
