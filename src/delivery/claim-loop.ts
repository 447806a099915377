import type { StoredEvent } from '../events/catalog.js';
import type { Notifier } from '../storage/store.js';
import { initialState, step, type Decision, type SchedulerEvent, type SchedulerState } from './claim-scheduler.js';
import { wakeAccounts, WakeSignal } from './wake-signal.js';

/** What the loop needs of the dispatcher to do what the scheduler decides. */
export interface ClaimWork {
  /** How many rows a claim may bring now (0: no room). */
  claimLimit(): number;
  /** What a claim at `now` must leave out: subscriptions, and accounts at their share. */
  exclusions(now: number): Promise<{ subscriptions: string[]; accounts: string[] }>;
  /** The account of a subscription this dispatcher knows. */
  accountOf(subscriptionId: string): string | undefined;
  /** The account's load has reached its share: new work of it waits until it drops below. */
  atShare(accountId: string): boolean;
  /** Claims up to `limit` due rows outside the exclusions and queues them; how many came. */
  claim(opts: { limit: number; now: number; subscriptions: string[]; accounts: string[] }): Promise<number>;
  /** When the next pending row comes due after `after` (null: none). */
  nextDueAt(after: number): Promise<number | null>;
  log(msg: string, err?: unknown): void;
}

/**
 * Where the wake-ups come from, besides the poll and wake(): what the loop listens to from start
 * to stop. A commit's events name the accounts whose deliveries it wrote (none: a nudge, a hand
 * retry or replay).
 */
export interface WakeSources {
  /** This process's commits that left deliveries to claim. */
  commits(listener: (events: StoredEvent[]) => void): void;
  /** Other processes' commits (PostgreSQL NOTIFY; nothing on SQLite); closed when the loop stops. */
  listen(listener: (accounts: string[] | undefined) => void): Promise<Notifier>;
}

/** The events that come from outside the loop: what happened to the dispatcher meanwhile. */
export type ClaimNews = Extract<SchedulerEvent, { type: 'wake' | 'completed' | 'gaveBack' | 'retryScheduled' }>;

/**
 * The dispatcher's claim loop: it does what the claim scheduler (claim-scheduler.ts) decides, one
 * turn after another, and rests on a WakeSignal that the scheduler's wakes interrupt. The loop's
 * only place of rest is that wait (test/support/loop-rests.ts watches it).
 */
export class ClaimLoop {
  private state: SchedulerState;
  private readonly signal = new WakeSignal();
  private done: Promise<void> = Promise.resolve();
  private notifier: Notifier | null = null;

  constructor(
    pollMs: number,
    private readonly work: ClaimWork,
    /** What is due is decided by this clock (DispatcherOptions.clock). */
    private readonly clock: () => number = Date.now,
  ) {
    this.state = initialState(pollMs);
  }

  /** Listens to the wake sources, then runs turns until stop(). */
  async start(sources?: WakeSources): Promise<void> {
    if (sources) {
      sources.commits((events) => this.wake(wakeAccounts(events)));
      this.notifier = await sources.listen((accounts) => this.wake(accounts));
    }
    this.done = this.run();
  }

  /**
   * Something may be due: claim now instead of at the next poll. `accounts`, when known, are the
   * accounts whose commits wrote the new deliveries; those at their share do not end a rest.
   */
  wake(accounts?: readonly string[]): void {
    this.feed({ type: 'wake', accounts, atShare: accounts?.filter((a) => this.work.atShare(a)) ?? [] });
  }

  /** Tells the scheduler what happened; a wake it decides on ends the loop's rest. */
  tell(event: ClaimNews): void {
    this.feed(event);
  }

  /** Ends the loop: no claim starts after this; resolves when the turn under way has ended and the listener is closed. */
  async stop(): Promise<void> {
    this.feed({ type: 'stop' });
    await this.done;
    await this.notifier?.close();
    this.notifier = null;
  }

  private feed(event: SchedulerEvent): Decision {
    const { state, decision } = step(this.state, event);
    this.state = state;
    if (decision.kind === 'wake') this.signal.interrupt();
    return decision;
  }

  private async run(): Promise<void> {
    for (;;) {
      let decision: Decision;
      try {
        decision = await this.turn();
      } catch (err) {
        this.work.log('dispatcher loop error', err);
        decision = this.feed({ type: 'failed', now: this.clock() });
      }
      if (decision.kind === 'stop') return;
      if (decision.kind === 'rest') await this.signal.wait(decision.until - this.clock());
    }
  }

  /** One turn: what the scheduler decides, up to a rest, the next turn, or stop. */
  private async turn(): Promise<Decision> {
    let d = this.feed({ type: 'tick', now: this.clock(), limit: this.work.claimLimit() });
    if (d.kind === 'exclude') {
      const exclude = await this.work.exclusions(d.now);
      d = this.feed({ type: 'excluded', ...exclude, accountOf: (id) => this.work.accountOf(id) });
    }
    if (d.kind === 'claim') {
      const count = await this.work.claim({ limit: d.limit, now: d.now, subscriptions: [...d.subscriptions], accounts: [...d.accounts] });
      d = this.feed({ type: 'claimed', count });
    }
    if (d.kind === 'nextDue') {
      const t = this.clock();
      d = this.feed({ type: 'nextDue', now: t, at: await this.work.nextDueAt(t) });
    }
    return d;
  }
}
