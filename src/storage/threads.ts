import { isPostgresUrl } from './database-url.js';

/**
 * What the threads of one process share about their database: made once by the main thread and
 * handed to every thread's openStore (StoreOptions.threads). SQLite's writers take turns at its
 * one write lock (sqlite/write-turn.ts); PostgreSQL's need nothing shared.
 */
export interface ThreadShare {
  readonly writeTurn?: SharedArrayBuffer;
}

/** Whether a second thread can open this database (an in-memory SQLite database exists on one connection only). */
export const opensInOtherThreads = (url: string): boolean => url !== ':memory:';

/** A new share for the threads that will open this database. */
export const shareBetweenThreads = (url: string): ThreadShare => (isPostgresUrl(url) ? {} : { writeTurn: new SharedArrayBuffer(8) });

/**
 * The thread a store is opened in, with what it shares: the requests thread, or the delivery
 * thread, which on SQLite also copies the write-ahead log back on its own core (sqlite/checkpoints.ts).
 */
export interface ThreadRole {
  share: ThreadShare;
  role: 'requests' | 'delivery';
}
