/**
 * The numbers both sides of the handoff read, in a SharedArrayBuffer so the HTTP thread and the
 * delivery thread see the same ones (the concepts are listed in index.ts):
 *   [0] outstanding: reserved by a write, or given and not ended. A write reserves when it leases,
 *       an unreserve gives a rolled-back write's share back, and every handed-off delivery frees
 *       its one when it ends (HandoffTaker.ended).
 *   [1] load: the dispatcher's claimed deliveries, queued and in flight. The handed-off ones it
 *       holds are counted in [0] only (HandoffTaker publishes it).
 *   [2] limit: 0 until a dispatcher is there.
 * A count that drifts high only stops handing off early: nothing is lost, what is not handed off
 * is claimed.
 */
export class HandoffCount {
  private readonly cells: Int32Array;
  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(12)) {
    this.cells = new Int32Array(buffer);
  }

  /** Whether `n` more may be reserved now. */
  hasRoom(n: number): boolean {
    return Atomics.load(this.cells, 1) + Atomics.load(this.cells, 0) + n <= Atomics.load(this.cells, 2);
  }

  /**
   * Takes `n` of the limit if there is room, atomically: a check and a later add let every write of
   * a commit group or every concurrent transaction pass one check before any of them added, and so
   * hand over up to that many times the limit. The compare-and-swap keeps load + outstanding at or
   * under the limit.
   */
  reserve(n: number): boolean {
    for (;;) {
      const outstanding = Atomics.load(this.cells, 0);
      if (Atomics.load(this.cells, 1) + outstanding + n > Atomics.load(this.cells, 2)) return false;
      if (Atomics.compareExchange(this.cells, 0, outstanding, outstanding + n) === outstanding) return true;
    }
  }

  /** `n` reserved that are no longer outstanding: unreserved, or ended. */
  free(n: number): void {
    Atomics.sub(this.cells, 0, n);
  }

  setLoad(n: number): void {
    Atomics.store(this.cells, 1, n);
  }

  setLimit(n: number): void {
    Atomics.store(this.cells, 2, n);
  }

  /** The three numbers as they are now (tests, diagnostics). */
  read(): { outstanding: number; load: number; limit: number } {
    return { outstanding: Atomics.load(this.cells, 0), load: Atomics.load(this.cells, 1), limit: Atomics.load(this.cells, 2) };
  }
}
