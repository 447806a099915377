import { AsyncResource } from 'node:async_hooks';
import { sql, type Transaction } from 'kysely';
import type { Database } from '../schema.js';
import { retried } from '../transaction-retry.js';

type Tx = Transaction<Database>;
/** Runs fn in one transaction (one attempt; SQLite's is BEGIN IMMEDIATE, PostgreSQL's a pool connection's BEGIN). */
type RunTransaction = <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>;

interface Job {
  run(tx: Tx): Promise<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

export interface CommitGroupOptions {
  /** Most requests one transaction carries: a bigger group keeps readers waiting longer. */
  maxJobs?: number;
  /** A transient conflict (SQLITE_BUSY, a deadlock) worth running the whole group again. */
  isRetryable(err: unknown): boolean;
  /** For tests: run every group once and roll it back first, as a retry after a lost lock would. */
  rehearse?: boolean;
}

/**
 * Group commit: concurrent writes share one transaction.
 * Each write of a group of two or more runs in its own savepoint, so a write that throws rejects
 * alone and leaves nothing while its neighbours commit. Every promise settles only after
 * the COMMIT that holds it, so no request is answered before its change is durable. One commit
 * per group instead of one per request: what a commit costs (on SQLite its WAL append and lock
 * hand-over; on PostgreSQL the BEGIN and COMMIT round trips, the commit record and its WAL flush)
 * is paid once for the whole group, not by every request (docs/architecture/storage.md).
 *
 * A group starts one macrotask after its first write arrives (setImmediate), so requests parsed in
 * the same I/O turn join it; writes arriving while it runs wait for the next group.
 */
export class CommitGroup {
  private queue: Job[] = [];
  private scheduled = false;
  private running = false;
  private readonly maxJobs: number;
  /** Groups run as one plain transaction (a group of one) and with a savepoint per write (for tests). */
  readonly runs = { plain: 0, savepoints: 0 };

  constructor(
    private readonly runTransaction: RunTransaction,
    private readonly opts: CommitGroupOptions,
  ) {
    this.maxJobs = opts.maxJobs ?? 64;
  }

  run<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      // The group runs every write from the first one's setImmediate; each write keeps the async
      // context of the request that made it (its AsyncLocalStorage: the Idempotency-Key it carries).
      // Not AsyncResource.bind: it builds a deprecation wrapper on every call, on every write's path.
      const scope = new AsyncResource('stockhook.write');
      this.queue.push({ run: (tx) => scope.runInAsyncScope(fn, undefined, tx), resolve: resolve as (v: unknown) => void, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    setImmediate(() => void this.runGroup());
  }

  private async runGroup(): Promise<void> {
    this.scheduled = false;
    const jobs = this.queue.splice(0, this.maxJobs);
    if (jobs.length === 0) return;
    this.running = true;
    const outcomes = await this.commit(jobs);
    this.running = false;
    if (this.queue.length > 0) this.schedule();
    for (let i = 0; i < jobs.length; i++) {
      const o = outcomes[i];
      if (o.ok) jobs[i].resolve(o.value);
      else jobs[i].reject(o.error);
    }
  }

  /**
   * Runs the jobs in one transaction. A group of one needs no savepoint: its rollback is the
   * transaction's. Every write of a bigger group has its savepoint, so a refused write is undone
   * alone and no write ever runs a second time because a neighbour was refused.
   */
  private async commit(jobs: Job[]): Promise<Outcome[]> {
    if (this.opts.rehearse) await this.rehearse(jobs);
    return this.retrying(jobs, jobs.length === 1 ? 'plain' : 'savepoints');
  }

  /** Runs the jobs and rolls them back, as a group run again after a lost lock would (tests: Store.write). */
  private async rehearse(jobs: Job[]): Promise<void> {
    await this.runTransaction(async (tx) => {
      for (const job of jobs) await job.run(tx).catch(() => {});
      throw new Refused(null);
    }).catch(() => {});
  }

  /** One way of running the group; a retryable failure (a lost lock) runs it again (retried). */
  private async retrying(jobs: Job[], mode: 'plain' | 'savepoints'): Promise<Outcome[]> {
    this.runs[mode]++;
    try {
      const run = () => this.runTransaction((tx) => (mode === 'plain' ? this.runPlain(tx, jobs) : this.runInSavepoints(tx, jobs)));
      return await retried(run, (err) => !(err instanceof Refused) && this.opts.isRetryable(err));
    } catch (err) {
      if (err instanceof Refused) return [{ ok: false, error: err.error }];
      return jobs.map(() => ({ ok: false as const, error: err }));
    }
  }

  /** The one write straight in the transaction: if it throws, the transaction rolls back (Refused). */
  private async runPlain(tx: Tx, [job]: Job[]): Promise<Outcome[]> {
    try {
      return [{ ok: true, value: await job.run(tx) }];
    } catch (error) {
      if (this.opts.isRetryable(error)) throw error;
      throw new Refused(error);
    }
  }

  private async runInSavepoints(tx: Tx, jobs: Job[]): Promise<Outcome[]> {
    const out: Outcome[] = [];
    for (const job of jobs) {
      await sql`savepoint w`.execute(tx);
      try {
        const value = await job.run(tx);
        await sql`release savepoint w`.execute(tx);
        out.push({ ok: true, value });
      } catch (error) {
        // A lost lock is the group's problem, not this request's: run everything again.
        if (this.opts.isRetryable(error)) throw error;
        await sql`rollback to savepoint w`.execute(tx);
        await sql`release savepoint w`.execute(tx);
        out.push({ ok: false, error });
      }
    }
    return out;
  }
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** A group's one write threw: the transaction rolls back, carrying the write's own error. */
class Refused extends Error {
  constructor(readonly error: unknown) {
    super('a write of the group was refused');
  }
}
