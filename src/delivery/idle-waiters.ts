/** Callers waiting until the dispatcher holds nothing in flight, queued or unwritten (tests and benchmarks). */
export class IdleWaiters {
  private waiting: Array<() => void> = [];

  constructor(private readonly isIdle: () => boolean) {}

  /** Resolves at once when idle, else at the first check() that finds it idle. */
  wait(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  /** Called whenever work ends (a send, a pause, a written batch). */
  check(): void {
    if (!this.isIdle()) return;
    const waiting = this.waiting;
    this.waiting = [];
    for (const r of waiting) r();
  }
}
