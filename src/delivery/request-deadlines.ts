/** How finely deadlines are checked: a request is aborted at most this long after its deadline. */
const TICK_MS = 25;

/**
 * The abort signal of one request, in the shape undici's request() accepts (its `signal` option
 * takes an AbortSignal or any EventTarget-like object with `aborted`, `reason` and listeners).
 */
export class Deadline {
  aborted = false;
  reason: Error | undefined = undefined;
  private listener: (() => void) | null = null;

  /** The bucket it waits in: its deadline rounded up to the tick. */
  readonly bucket: number;

  constructor(readonly at: number) {
    this.bucket = Math.ceil(at / TICK_MS) * TICK_MS;
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    this.listener = listener;
  }

  removeEventListener(): void {
    this.listener = null;
  }

  fire(reason: Error): void {
    this.aborted = true;
    this.reason = reason;
    const l = this.listener;
    this.listener = null;
    l?.();
  }
}

/**
 * Total timeouts for in-flight requests with ONE timer, instead of an AbortSignal.timeout() per
 * request: that made a timer, an EventTarget and its listener bookkeeping for every attempt, work
 * that grows with the send rate for a timer that almost never fires. Requests wait in buckets by
 * deadline (rounded up to the tick) and leave their bucket when they end, so only in-flight
 * requests are held.
 */
export class RequestDeadlines {
  private readonly buckets = new Map<number, Set<Deadline>>();
  private timer: NodeJS.Timeout | null = null;

  /** Requests started and not yet ended or aborted. */
  get pending(): number {
    let n = 0;
    for (const b of this.buckets.values()) n += b.size;
    return n;
  }

  /** A signal that aborts the request `timeoutMs` from now, unless end() is called first. */
  start(timeoutMs: number, now = Date.now()): Deadline {
    const d = new Deadline(now + timeoutMs);
    let bucket = this.buckets.get(d.bucket);
    if (!bucket) this.buckets.set(d.bucket, (bucket = new Set()));
    bucket.add(d);
    if (!this.timer) {
      this.timer = setInterval(() => this.sweep(Date.now()), TICK_MS);
      this.timer.unref();
    }
    return d;
  }

  end(d: Deadline): void {
    const bucket = this.buckets.get(d.bucket);
    if (!bucket) return;
    bucket.delete(d);
    if (bucket.size === 0) this.buckets.delete(d.bucket);
  }

  /** Aborts every request whose deadline has passed; stops the timer when nothing is in flight. */
  sweep(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (key > now) continue;
      this.buckets.delete(key);
      // A bucket's key is at or after each of its deadlines, so all of them have passed.
      for (const d of bucket) d.fire(timeoutError());
    }
    if (this.buckets.size === 0) this.close();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

/** What AbortSignal.timeout() rejects with, so callers classify it the same way ('timeout'). */
function timeoutError(): Error {
  return new DOMException('The operation was aborted due to timeout', 'TimeoutError');
}
