import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

/** One number for every stockhook process: only one sequencer runs at a time. */
const LOCK_KEY = 7_146_301_229;
/** How long after a commit its events are numbered when no reader asks first. */
const SOON_MS = 10;
/** Events numbered per transaction, so one run never holds the account rows for long. */
const BATCH = 5_000;

/**
 * PostgreSQL: gives committed events their per-account sequence numbers. Writers insert events with
 * `seq` null, so no writer takes a per-account lock: bumping `accounts.event_seq` in every write
 * made all writes of an account, in every process, wait for each other's commit, so one busy
 * account could not grow with processes. A run sees only committed events (READ COMMITTED), numbers them
 * from the account's counter in insertion order (`pos`; a transaction's events stay in their
 * order), and commits; runs take turns under an advisory lock. So a number, once visible, is
 * smaller than every number handed out later: an event that commits late is numbered late, above
 * everything a reader paging with `after=` has seen, and is never skipped. Readers show numbered
 * events only. Runs after every commit of this process (coalesced) and every second as a safety
 * net (a process that died between its commit and its run).
 */
export class EventSequencer {
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private soonTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly log: (msg: string, err?: unknown) => void,
    private readonly pollMs = 1000,
  ) {}

  /**
   * Starts the safety-net poll. Only once the schema is there (openStore calls it after the
   * migrations): a poll that ran first on a fresh database logged `relation "events" does not
   * exist` at error level.
   */
  start(): void {
    if (this.closed || this.timer || this.pollMs <= 0) return;
    this.timer = setInterval(() => void this.request(), this.pollMs);
    this.timer.unref();
  }

  /** Resolves once a run that started after this call has finished: the caller's committed events are numbered then. */
  request(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (!this.running) {
      this.running = this.runAll().finally(() => {
        this.running = null;
      });
      return this.running;
    }
    // The run in flight may have looked before this caller's commit: one more after it.
    this.queued ??= this.running.then(() => {
      this.queued = null;
      return this.request();
    });
    return this.queued;
  }

  /**
   * After a commit: number soon, without a run per commit. Readers number what they need before
   * they read (request), so this only keeps the backlog short; one run per few milliseconds instead
   * of one per commit spared the database and this process's socket a transaction per write.
   */
  soon(): void {
    if (this.closed || this.soonTimer) return;
    this.soonTimer = setTimeout(() => {
      this.soonTimer = null;
      void this.request();
    }, SOON_MS);
  }

  close(): void {
    if (this.soonTimer) clearTimeout(this.soonTimer);
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
  }

  private async runAll(): Promise<void> {
    try {
      while (!this.closed && (await this.runBatch()) === BATCH);
    } catch (err) {
      if (!this.closed) this.log('numbering events failed; the next run numbers them', err);
    }
  }

  private async runBatch(): Promise<number> {
    return this.db.transaction().execute(async (tx) => {
      await sql`select pg_advisory_xact_lock(${LOCK_KEY})`.execute(tx);
      const res = await sql`
        with todo as (
          select id, account_id, pos from events
          where seq is null
          order by pos
          limit ${BATCH}
        ), counts as (
          select account_id, count(*) as n from todo group by account_id
        ), bumped as (
          update accounts a set event_seq = a.event_seq + c.n from counts c where a.id = c.account_id
          returning a.id as account_id, a.event_seq - c.n as base
        ), numbered as (
          select t.id, b.base + row_number() over (partition by t.account_id order by t.pos) as seq
          from todo t join bumped b on b.account_id = t.account_id
        )
        update events e set seq = n.seq from numbered n where e.id = n.id`.execute(tx);
      return Number(res.numAffectedRows ?? 0);
    });
  }
}
