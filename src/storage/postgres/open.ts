import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { DatabaseUnreachableError } from '../connection-advice.js';
import { isConnectionLost } from '../connection-errors.js';
import type { Db, Tx } from '../db.js';
import { migrateWith } from '../migrate.js';
import type { Database } from '../schema.js';
import type { Notifier, StorageLog, Store, StoreOptions } from '../store.js';
import { retrying } from '../transaction-retry.js';
import { Announcer } from './announcer.js';
import { postgresDialect as dialect } from './dialect.js';
import { EventSequencer } from './event-sequencer.js';
import { postgresEventRows } from './event-rows.js';
import { namingPool } from './named-statements.js';
import { DELIVERY_CHANNEL, PgNotifier } from './notifier.js';
import { writeResultsAtOnce } from './result-writes.js';

// int8 and numeric arrive as strings from pg by default; our values fit in a double.
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20 || oid === 1700) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};


/**
 * Behind a pooler in transaction mode without a listen URL, how often workers look for deliveries
 * other processes committed: a NOTIFY cannot reach them, and an idle worker's claim is one cheap
 * indexed query, so four a second cost little and keep a delivery's wait under a quarter second.
 */
export const POOLED_POLL_MS = 250;

const NOT_LISTENING: Notifier = { close: async () => {} };

/**
 * A PostgreSQL server: a pool of connections, each write its own transaction (writers of different
 * rows run in parallel; committing concurrent writes together, as SQLite's store does, measured no
 * less CPU per document here: docs/architecture/storage.md), events numbered after commit
 * (event-sequencer.ts), and other processes told of new deliveries by NOTIFY.
 *
 * Behind a pooler in transaction mode (opts.pooler) only what lives in one transaction may be
 * used: statements are sent unnamed (a named one would meet another client's server connection),
 * and LISTEN, which lives in a session the pooler does not keep, goes to opts.listenUrl (a direct
 * connection) or is not made at all, workers then polling every POOLED_POLL_MS. The rest already
 * fits: every advisory lock is transaction-scoped (event-sequencer.ts, Kysely's migration lock),
 * nothing is SET on a session, and NOTIFY is an ordinary statement, so announcements still reach
 * workers that LISTEN directly.
 */
export async function openPostgresStore(url: string, opts: StoreOptions = {}): Promise<Store> {
  const log: StorageLog = opts.log ?? (() => {});
  const pooled = opts.pooler === 'transaction';
  const named = opts.namedStatements ?? !pooled;
  const listenUrl = opts.listenUrl ?? (pooled ? null : url);
  const pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 10, types: pgTypes });
  // An idle client's error (server restart) must not crash the process; the pool replaces it.
  pool.on('error', (err) => log('PostgreSQL pool: an idle connection failed', err));
  // A client checked out of the pool has no listener of the pool's: when its connection is cut
  // (a terminated backend, a failover) it emits 'error', which without a listener of its own
  // crashes the process. The query in flight fails with the same error (the HTTP layer answers
  // 503 DATABASE_UNAVAILABLE) and the pool drops the client when it is released.
  pool.on('connect', (client) => client.on('error', (err) => log('PostgreSQL: a connection in use was lost', err)));
  const db: Db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: named ? namingPool(pool) : pool }) });
  const once = <T>(fn: (tx: Tx) => Promise<T>): Promise<T> => db.transaction().execute(fn);
  const transaction = retrying(once, (e) => dialect.isRetryable(e));
  const announcer = new Announcer(async (payload) => {
    await sql`select pg_notify(${DELIVERY_CHANNEL}, ${payload})`.execute(db);
  }, log);
  const sequencer = new EventSequencer(db, log);
  const store: Store = {
    db,
    url,
    name: 'postgres',
    transaction,
    write: transaction,
    // Row locks, not a turn, order PostgreSQL's writers: nothing to take, no round trip added.
    autocommit: (fn) => fn(db),
    listenForDeliveries: async (onNotify) => (listenUrl === null ? NOT_LISTENING : PgNotifier.start(listenUrl, onNotify, log)),
    ...(listenUrl === null && { wakeupPollMs: POOLED_POLL_MS }),
    announceDeliveries: (accounts) => announcer.request(accounts),
    events: postgresEventRows,
    eventsCommitted: () => sequencer.soon(),
    eventReader: async () => {
      await sequencer.request();
      return db;
    },
    writeResults: (batch) => writeResultsAtOnce(db, batch, (e) => dialect.isRetryable(e)),
    lockForClaim: (q) => dialect.lockForClaim(q),
    isUniqueViolation: (err) => dialect.isUniqueViolation(err),
    sizeBytes: () => dialect.sizeBytes(db),
    close: () => {
      announcer.close();
      sequencer.close();
      return db.destroy();
    },
  };
  try {
    try {
      await waitForDatabase(db, opts.waitMs ?? 0, log);
    } catch (err) {
      // `serve` exits with this one line: where the database was looked for and what to check.
      throw new DatabaseUnreachableError(url, err);
    }
    if (opts.migrate !== false) await migrateWith(db, dialect, undefined, opts.events);
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
  // After the migrations: the sequencer's poll reads the events table (event-sequencer.ts).
  sequencer.start();
  return store;
}

const WAIT_STEP_MS = 1000;

/** What the wait below reads the time from and sleeps on. */
export interface WaitClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: WaitClock = { now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };

/**
 * A PostgreSQL that is not up yet (started together with stockhook, restarting, failing over):
 * try again every second for up to waitMs rather than exit at the first refusal, so a service
 * manager starting both at once needs no ordering. Only errors of reaching the database are waited
 * out; a wrong password or a missing database fails at once. `clock` is a seam for tests: with
 * their own, each step's wait and the seconds each log line counts down are exact, not timing.
 */
export async function waitForDatabase(db: Db, waitMs: number, log: StorageLog, clock: WaitClock = realClock): Promise<void> {
  const deadline = clock.now() + waitMs;
  for (let attempt = 1; ; attempt++) {
    try {
      await sql`select 1`.execute(db);
      if (attempt > 1) log(`PostgreSQL: connected after ${attempt} attempts`);
      return;
    } catch (err) {
      const left = deadline - clock.now();
      if (!isConnectionLost(err) || left <= 0) throw err;
      log(`PostgreSQL: waiting for the database to accept connections (attempt ${attempt}, giving up in ${Math.ceil(left / 1000)} s)`, err);
      await clock.sleep(Math.min(WAIT_STEP_MS, left));
    }
  }
}
