import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, sql, SqliteDialect } from 'kysely';
import type { Db, Tx } from '../db.js';
import { migrateWith } from '../migrate.js';
import type { Database } from '../schema.js';
import type { StorageLog, Store, StoreOptions } from '../store.js';
import { retrying } from '../transaction-retry.js';
import { configureCheckpoints } from './checkpoints.js';
import { CommitGroup } from './commit-group.js';
import { sqliteDialect as dialect } from './dialect.js';
import { sqliteEventRows } from './event-rows.js';
import { writeResultsInTransaction } from './result-writes.js';
import { withStatementCache } from './statement-cache.js';
import { WriteTurn } from './write-turn.js';

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

/**
 * A SQLite file (or `:memory:`): one connection in WAL mode, concurrent writes committed together
 * (commit-group.ts), events numbered in the writing transaction, every writer in this process.
 */
export async function openSqliteStore(url: string, opts: StoreOptions = {}): Promise<Store> {
  const log: StorageLog = opts.log ?? (() => {});
  if (url !== ':memory:') createPrivately(url);
  const sqlite = new SQLite(url);
  sqlite.pragma('journal_mode = WAL');
  // NORMAL keeps WAL commits durable across process crashes (only an OS crash can lose the tail).
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  // A commit group runs its writes in savepoints, and SQLite keeps every page a savepoint touches
  // in a sub-journal, a temporary file once it passes 64 KiB: kept in memory, a write's savepoint
  // costs no file I/O.
  sqlite.pragma('temp_store = MEMORY');
  const writeTurn = opts.writeTurn ?? opts.threads?.share.writeTurn;
  // With a second thread, the delivery thread copies the log back on its own core.
  const checkpoints = opts.checkpoints ?? (writeTurn && opts.threads ? (opts.threads.role === 'delivery' ? 'background' : 'elsewhere') : 'auto');
  // Alone in the process, the turn is this thread's own: taking a free turn costs no wait.
  const turn = new WriteTurn(writeTurn);
  const stopCheckpoints = configureCheckpoints(sqlite, checkpoints, log, { turn });
  const db: Db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  // Every write takes the turn before it asks for the connection: Kysely's SQLite driver has one,
  // and a write holding it while it waited for its turn would hold every read of this thread
  // (authentication included) behind the other thread's write.
  const inTurn = async <T>(fn: () => Promise<T>): Promise<T> => {
    await turn.acquire();
    try {
      return await fn();
    } finally {
      turn.release();
    }
  };
  // BEGIN IMMEDIATE takes the write lock up front, waiting for it under busy_timeout. A deferred
  // BEGIN that reads first and writes later fails at once with SQLITE_BUSY when another connection
  // (the delivery thread, a second process) committed in between; nothing waits for it.
  const once = <T>(fn: (tx: Tx) => Promise<T>): Promise<T> =>
    inTurn(() =>
      db.connection().execute(async (conn) => {
        await sql`begin immediate`.execute(conn);
        try {
          const result = await fn(conn as unknown as Tx);
          await sql`commit`.execute(conn);
          return result;
        } catch (err) {
          await sql`rollback`.execute(conn).catch(() => {});
          throw err;
        }
      }),
    );
  const transaction = retrying(once, (e) => dialect.isRetryable(e));
  const group = new CommitGroup(once, { isRetryable: (e) => dialect.isRetryable(e), rehearse: opts.rehearseWrites === true });
  const store: Store = {
    db,
    url,
    name: 'sqlite',
    transaction,
    write: (fn) => group.run(fn),
    autocommit: (fn) => inTurn(() => fn(db)),
    // Every writer is in this process: its own wake-ups reach its dispatcher.
    listenForDeliveries: async () => ({ close: async () => {} }),
    announceDeliveries: () => {},
    events: sqliteEventRows,
    // Events were numbered in their write.
    eventsCommitted: () => {},
    eventReader: async () => db,
    writeResults: (batch) => writeResultsInTransaction(transaction, batch),
    lockForClaim: (q) => dialect.lockForClaim(q),
    isUniqueViolation: (err) => dialect.isUniqueViolation(err),
    sizeBytes: () => dialect.sizeBytes(db),
    close: () => {
      stopCheckpoints();
      return db.destroy();
    },
  };
  try {
    // Migrations run statement by statement outside a transaction (Kysely's SQLite migrator).
    if (opts.migrate !== false) await store.autocommit((d) => migrateWith(d, dialect, undefined, opts.events));
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
  return store;
}
