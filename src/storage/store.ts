import type { EventLog } from '../log-events.js';
import type { SelectQueryBuilder } from 'kysely';
import type { Db, Tx } from './db.js';
import type { EventRows } from './event-rows.js';
import type { ResultBatch } from './result-rows.js';
import type { CheckpointMode } from './sqlite/checkpoints.js';
import type { ThreadRole } from './threads.js';

export type { Db, Tx } from './db.js';

/**
 * One database, as the domain and the delivery engine use it. Each database has its own builder
 * (sqlite/open.ts, postgres/open.ts); what differs between them is decided there, so nothing
 * outside storage/ asks which database it is on.
 */
export interface Store {
  /** Reads run on it; a write runs in `transaction`, `write`, `writeResults` or `autocommit`, never on it directly. */
  readonly db: Db;
  /** The URL it was opened with (workers open a LISTEN connection to the same PostgreSQL). */
  readonly url: string;
  /** The database's kind as health and readiness report it (`sqlite`, `postgres`): for display, never a switch. */
  readonly name: 'sqlite' | 'postgres';
  /**
   * Calls onNotify when another process announces new deliveries, with the accounts the
   * announcement names, if any; a no-op where every writer is in-process.
   */
  listenForDeliveries(onNotify: (accounts?: string[]) => void): Promise<Notifier>;
  /**
   * Set when other processes' announcements cannot reach this store's listeners (PostgreSQL behind a
   * pooler in transaction mode without a listen URL): how often a worker must look for due work
   * instead, in milliseconds. Unset when they arrive (the dispatcher's own poll is then a safety net).
   */
  readonly wakeupPollMs?: number;
  /**
   * Tells workers in other processes that deliveries were committed (after the commit and
   * coalesced: postgres/announcer.ts), naming the accounts they belong to when known; a no-op where every
   * writer is in-process.
   */
  announceDeliveries(accounts?: readonly string[]): void;
  /** How a write numbers and inserts its events (events/outbox.ts). */
  readonly events: EventRows;
  /**
   * After a commit that wrote events: the store's duties for them (numbering them within a few
   * milliseconds, coalesced with other commits, where the write did not).
   */
  eventsCommitted(): void;
  /**
   * The database for reading events in commit order: every event committed before the call has
   * its sequence number by the time it resolves. Readers of events take their handle here.
   */
  eventReader(): Promise<Db>;
  /** Runs fn in one transaction, retrying it on deadlocks and busy errors. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * Runs writes outside a transaction, each statement committing on its own (a lease's heartbeat,
   * a breaker's pause): every INSERT, UPDATE or DELETE that does not run in `transaction`, `write`
   * or `writeResults` runs in fn, on the db it is given, never on `db` directly. On SQLite fn runs
   * holding the write turn the process's threads share (sqlite/write-turn.ts), taken before any of
   * its statements reaches the one connection, so this thread's reads never queue behind a write
   * waiting for its turn; fn must not open a transaction or another write of its own, which would
   * wait for the turn fn holds. On PostgreSQL it is fn(db), nothing added.
   */
  autocommit<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  /**
   * Runs one domain write. On SQLite concurrent writes are committed together, a refused one
   * leaving nothing (sqlite/commit-group.ts); on PostgreSQL each is its own transaction, so writers of
   * different rows run in parallel. Either way it settles only after its commit.
   *
   * fn may run more than once: after a lost lock or a deadlock (on SQLite with its whole commit
   * group). So it keeps no state outside the transaction; it returns what it
   * did, and the caller acts on that after the commit. The `rehearseWrites` option runs every
   * SQLite group once and rolls it back before running it for real, to find writes that don't.
   */
  write<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * Writes a batch of attempt results atomically: the attempt rows, the deliveries' new states
   * (only rows still leased to the batch's owner) and the subscriptions' failing-since marks.
   */
  writeResults(batch: ResultBatch): Promise<void>;
  /** Makes a claim's inner SELECT skip rows another worker is claiming (delivery/claim.ts). */
  lockForClaim<DB, TB extends keyof DB, O>(q: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O>;
  /** Whether err is a unique-constraint violation. */
  isUniqueViolation(err: unknown): boolean;
  /** The database's size on disk in bytes (/metrics). */
  sizeBytes(): Promise<number>;
  close(): Promise<void>;
}

/** A listener for other processes' announcements (Store.listenForDeliveries), until closed. */
export interface Notifier {
  close(): Promise<void>;
}

/** Where storage reports what it survives (a dropped connection, a failed reconnect). */
export type StorageLog = (msg: string, err?: unknown) => void;

/**
 * What sits between stockhook and PostgreSQL: `none` (a direct connection, or a pooler in session
 * mode) or `transaction` (PgBouncer, pgcat, Supavisor in transaction mode: a server connection is
 * stockhook's only for one transaction, so nothing that lives in a session may be used).
 */
export type Pooler = 'none' | 'transaction';
export const POOLERS = ['none', 'transaction'] as const satisfies readonly Pooler[];

/** How a store is opened; each option names the database it applies to, the others ignore it. */
export interface StoreOptions {
  migrate?: boolean;
  poolSize?: number;
  log?: StorageLog;
  /** Where the migrations' start and end are logged (log-events.ts). */
  events?: EventLog;
  /** The thread this store is opened in and what it shares with the process's other threads (threads.ts). */
  threads?: ThreadRole;
  /** SQLite: the write turn this connection shares with the process's other threads (sqlite/write-turn.ts); `threads` sets it. */
  writeTurn?: SharedArrayBuffer;
  /** SQLite: which connection copies the write-ahead log back (sqlite/checkpoints.ts); `threads` sets it, else `auto`. */
  checkpoints?: CheckpointMode;
  /**
   * PostgreSQL: keep the hot path's statements as named prepared statements (postgres/named-statements.ts);
   * default true, false behind a pooler in transaction mode (PgBouncer before 1.21 hands a
   * session's statements to other clients' transactions; 1.21 and later carry them when its
   * max_prepared_statements is set, and true may be given then).
   */
  namedStatements?: boolean;
  /**
   * PostgreSQL: a pooler in transaction mode between stockhook and the server (default `none`).
   * `transaction` sends every statement unnamed (unless namedStatements says otherwise) and does
   * not LISTEN through the URL, whose session the pooler does not keep: workers LISTEN on
   * `listenUrl` when given, else look for work every wakeupPollMs (postgres/open.ts).
   */
  pooler?: Pooler;
  /** PostgreSQL behind a pooler: a URL that reaches the server directly, for the one LISTEN connection. */
  listenUrl?: string;
  /** SQLite, for tests: every commit group runs once and rolls back before it runs for real (see Store.write). */
  rehearseWrites?: boolean;
  /**
   * PostgreSQL: how long to wait for the database to accept connections before giving up, trying
   * every second and logging each failure (default 0: the first failure throws).
   */
  waitMs?: number;
}
