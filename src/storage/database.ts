import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, sql, SqliteDialect, type Migration, type Transaction } from 'kysely';
import pg from 'pg';
import { postgresDialect, sqliteDialect, type StorageDialect } from './dialect.js';
import * as m001 from './migrations/001-ledger.js';
import * as m003 from './migrations/003-webhooks.js';
import * as m004 from './migrations/004-applications.js';
import * as m005 from './migrations/005-replays.js';
import * as m006 from './migrations/006-delivery-log-index.js';
import * as m007 from './migrations/007-delivery-lease-index.js';
import * as m008 from './migrations/008-application-secrets.js';
import * as m009 from './migrations/009-application-webhooks.js';
import * as m010 from './migrations/010-document-author.js';
import * as m011 from './migrations/011-history-indexes.js';
import * as m012 from './migrations/012-endpoint-pauses.js';
import * as m013 from './migrations/013-idempotency-requests.js';
import * as m014 from './migrations/014-retention.js';
import * as m015 from './migrations/015-event-sequencer.js';
import * as m016 from './migrations/016-append-friendly-indexes.js';
import * as m017 from './migrations/017-subscribers-version.js';
import * as m018 from './migrations/018-previous-secret.js';
import { CommitGroup } from './commit-group.js';
import { isConnectionLost } from './connection-errors.js';
import { Announcer } from './announcer.js';
import { namingPool } from './pg-named-statements.js';
import { EventSequencer } from './event-sequencer.js';
import { DELIVERY_CHANNEL, PgNotifier, type Notifier } from './pg-notifier.js';
import { isPostgresUrl } from './database-url.js';
import type { Database } from './schema.js';
import type { ThreadRole } from './threads.js';
import type { Db, Store, StorageLog, Tx } from './store.js';
import { postgresEventRows } from './postgres/event-rows.js';
import { writeResultsAtOnce } from './postgres/result-writes.js';
import { sqliteEventRows } from './sqlite/event-rows.js';
import { writeResultsInTransaction } from './sqlite/result-writes.js';
import { configureCheckpoints, type CheckpointMode } from './sqlite-checkpoints.js';
import { withStatementCache } from './sqlite-statement-cache.js';
import { turnTakingDialect } from './turn-taking-dialect.js';
import { WriteTurn } from './write-turn.js';

export type { Db, Store, StorageLog, Tx } from './store.js';

/** Every migration, in order. Each receives the dialect adapter for the few DDL differences. */
const MIGRATIONS: Record<string, { up(db: Kysely<unknown>, d: StorageDialect): Promise<void> }> = {
  '001-ledger': m001,
  '003-webhooks': m003,
  '004-applications': m004,
  '005-replays': m005,
  '006-delivery-log-index': m006,
  '007-delivery-lease-index': m007,
  '008-application-secrets': m008,
  '009-application-webhooks': m009,
  '010-document-author': m010,
  '011-history-indexes': m011,
  '012-endpoint-pauses': m012,
  '013-idempotency-requests': m013,
  '014-retention': m014,
  '015-event-sequencer': m015,
  '016-append-friendly-indexes': m016,
  '017-subscribers-version': m017,
  '018-previous-secret': m018,
};

// int8 and numeric arrive as strings from pg by default; our values fit in a double.
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20 || oid === 1700) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

export { isPostgresUrl } from './database-url.js';

export interface StoreOptions {
  migrate?: boolean;
  poolSize?: number;
  log?: StorageLog;
  /** The thread this store is opened in and what it shares with the process's other threads (threads.ts). */
  threads?: ThreadRole;
  /** SQLite: the write turn this connection shares with the process's other threads (write-turn.ts); `threads` sets it. */
  writeTurn?: SharedArrayBuffer;
  /** SQLite: which connection copies the write-ahead log back (sqlite-checkpoints.ts); `threads` sets it, else `auto`. */
  checkpoints?: CheckpointMode;
  /**
   * PostgreSQL: keep the hot path's statements as named prepared statements (pg-named-statements.ts);
   * default true. False for a pooler in transaction mode (PgBouncer before 1.21), which hands a
   * session's statements to other clients' transactions.
   */
  namedStatements?: boolean;
  /** SQLite, for tests: every commit group runs once and rolls back before it runs for real (see Store.write). */
  rehearseWrites?: boolean;
  /**
   * PostgreSQL: how long to wait for the database to accept connections before giving up, trying
   * every second and logging each failure (default 0: the first failure throws).
   */
  waitMs?: number;
}

/**
 * The database holds signing secrets, Basic passwords and tokens: a directory stockhook makes is
 * 0700, and a new database file is created 0600 before SQLite opens it (SQLite would create it
 * 0644), so its -wal and -shm, which SQLite creates with the database file's mode, are 0600 too.
 * An existing file keeps the mode its owner gave it.
 */
function createPrivately(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  try {
    closeSync(openSync(file, 'wx', 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

export async function openStore(url: string, opts: StoreOptions = {}): Promise<Store> {
  const log: StorageLog = opts.log ?? (() => {});
  let db: Db;
  let dialect: StorageDialect;
  let stopCheckpoints = () => {};
  if (isPostgresUrl(url)) {
    dialect = postgresDialect;
    const pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 10, types: pgTypes });
    // An idle client's error (server restart) must not crash the process; the pool replaces it.
    pool.on('error', (err) => log('PostgreSQL pool: an idle connection failed', err));
    // A client checked out of the pool has no listener of the pool's: when its connection is cut
    // (a terminated backend, a failover) it emits 'error', which without a listener of its own
    // crashes the process. The query in flight fails with the same error (the HTTP layer answers
    // 503 DATABASE_UNAVAILABLE) and the pool drops the client when it is released.
    pool.on('connect', (client) => client.on('error', (err) => log('PostgreSQL: a connection in use was lost', err)));
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: opts.namedStatements === false ? pool : namingPool(pool) }) });
  } else {
    dialect = sqliteDialect;
    if (url !== ':memory:') createPrivately(url);
    const sqlite = new SQLite(url);
    sqlite.pragma('journal_mode = WAL');
    // NORMAL keeps WAL commits durable across process crashes (only an OS crash can lose the tail).
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('busy_timeout = 5000');
    // A commit group that refused a write runs again in savepoints, and SQLite keeps every page a
    // savepoint touches in a sub-journal, a temporary file once it passes 64 KiB: in memory instead,
    // a one-line document's statements ran in about half the time (in-process 750 -> 1,060
    // documents/s, when every write ran in a savepoint).
    sqlite.pragma('temp_store = MEMORY');
    const writeTurn = opts.writeTurn ?? opts.threads?.share.writeTurn;
    // With a second thread, the delivery thread copies the log back on its own core.
    const checkpoints = opts.checkpoints ?? (writeTurn && opts.threads ? (opts.threads.role === 'delivery' ? 'background' : 'elsewhere') : 'auto');
    stopCheckpoints = configureCheckpoints(sqlite, checkpoints, log);
    const plain = new SqliteDialect({ database: withStatementCache(sqlite) });
    db = new Kysely<Database>({ dialect: writeTurn ? turnTakingDialect(plain, new WriteTurn(writeTurn)) : plain });
  }
  // SQLite: BEGIN IMMEDIATE takes the write lock up front, waiting for it under busy_timeout. A
  // deferred BEGIN that reads first and writes later fails at once with SQLITE_BUSY when another
  // connection (the delivery thread, a second process) committed in between; nothing waits for it.
  const once = <T>(fn: (tx: Tx) => Promise<T>): Promise<T> =>
    dialect.name === 'sqlite'
      ? db.connection().execute(async (conn) => {
          await sql`begin immediate`.execute(conn);
          try {
            const result = await fn(conn as unknown as Tx);
            await sql`commit`.execute(conn);
            return result;
          } catch (err) {
            await sql`rollback`.execute(conn).catch(() => {});
            throw err;
          }
        })
      : db.transaction().execute(fn);
  const transaction = async <T>(fn: (tx: Tx) => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await once(fn);
      } catch (err) {
        if (attempt >= 5 || !dialect.isRetryable(err)) throw err;
      }
    }
  };
  const announcer =
    dialect.name === 'postgres'
      ? new Announcer(async (payload) => {
          await sql`select pg_notify(${DELIVERY_CHANNEL}, ${payload})`.execute(db);
        }, log)
      : null;
  const sequencer = dialect.name === 'postgres' ? new EventSequencer(db, log) : null;
  const group =
    dialect.name === 'sqlite'
      ? new CommitGroup(once, { isRetryable: (e) => dialect.isRetryable(e), rehearse: opts.rehearseWrites === true })
      : null;
  const store: Store = {
    db,
    url,
    name: dialect.name,
    transaction,
    write: (fn) => (group ? group.run(fn) : transaction(fn)),
    listenForDeliveries: async (onNotify) =>
      dialect.name === 'postgres' ? PgNotifier.start(url, onNotify, log) : { close: async () => {} },
    announceDeliveries: (accounts) => announcer?.request(accounts),
    events: sequencer ? postgresEventRows : sqliteEventRows,
    eventsCommitted: () => sequencer?.soon(),
    eventReader: async () => {
      await sequencer?.request();
      return db;
    },
    writeResults: (batch) =>
      dialect.name === 'postgres' ? writeResultsAtOnce(db, batch, (e) => dialect.isRetryable(e)) : writeResultsInTransaction(transaction, batch),
    lockForClaim: (q) => dialect.lockForClaim(q),
    isUniqueViolation: (err) => dialect.isUniqueViolation(err),
    sizeBytes: () => dialect.sizeBytes(db),
    close: () => {
      stopCheckpoints();
      announcer?.close();
      sequencer?.close();
      return db.destroy();
    },
  };
  try {
    if (dialect.name === 'postgres') await waitForDatabase(db, opts.waitMs ?? 0, log);
    if (opts.migrate !== false) await migrate(store);
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
  // After the migrations: the sequencer's poll reads the events table (event-sequencer.ts).
  sequencer?.start();
  return store;
}

const WAIT_STEP_MS = 1000;

/**
 * A PostgreSQL that is not up yet (started together with stockhook, restarting, failing over):
 * try again every second for up to waitMs rather than exit at the first refusal, so a service
 * manager starting both at once needs no ordering. Only errors of reaching the database are waited
 * out; a wrong password or a missing database fails at once.
 */
async function waitForDatabase(db: Db, waitMs: number, log: StorageLog): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (let attempt = 1; ; attempt++) {
    try {
      await sql`select 1`.execute(db);
      if (attempt > 1) log(`PostgreSQL: connected after ${attempt} attempts`);
      return;
    } catch (err) {
      const left = deadline - Date.now();
      if (!isConnectionLost(err) || left <= 0) throw err;
      log(`PostgreSQL: waiting for the database to accept connections (attempt ${attempt}, giving up in ${Math.ceil(left / 1000)} s)`, err);
      await new Promise((resolve) => setTimeout(resolve, Math.min(WAIT_STEP_MS, left)));
    }
  }
}

export async function migrate(store: Store): Promise<void> {
  const migrations: Record<string, Migration> = {};
  for (const [name, mod] of Object.entries(MIGRATIONS)) {
    migrations[name] = { up: (db) => mod.up(db, store.name === 'postgres' ? postgresDialect : sqliteDialect) };
  }
  const migrator = new Migrator({
    db: store.db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'stockhook_migrations',
    migrationLockTableName: 'stockhook_migrations_lock',
    // Migrations touch disjoint tables; a database that ran a later-numbered one first (branches
    // landing out of order) must still accept the earlier one instead of refusing to start.
    allowUnorderedMigrations: true,
  });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
}
