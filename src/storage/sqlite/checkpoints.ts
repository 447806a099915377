import type SQLite from 'better-sqlite3';

/**
 * Who copies SQLite's write-ahead log back into the database file.
 * - `auto`: this connection does, inside whichever of its commits finds the log over 1,000 pages
 *   (SQLite's default; every process and command that opens a store alone).
 * - `elsewhere`: never on this connection. `stockhook serve` (role `all`) gives the HTTP thread this:
 *   a checkpoint inside a commit holds every request of that commit group until its whole copy and
 *   fsync are done, so requests would wait for work that need not be theirs
 *   (docs/architecture/storage.md).
 * - `background`: this connection checkpoints on a timer instead, PASSIVE (it never waits for
 *   readers or writers, and copies only frames no reader still needs): the delivery thread of the
 *   same process, so the copy runs on the other core. A passive checkpoint that caught up lets the
 *   next writer start the log from its beginning again, so the file stays small.
 */
export type CheckpointMode = 'auto' | 'elsewhere' | 'background';

/** How often `background` checkpoints: the log grows by at most what is written meanwhile. */
export const CHECKPOINT_INTERVAL_MS = 200;

export function configureCheckpoints(db: SQLite.Database, mode: CheckpointMode, log: (msg: string, err?: unknown) => void): () => void {
  if (mode === 'auto') return () => {};
  db.pragma('wal_autocheckpoint = 0');
  if (mode === 'elsewhere') return () => {};
  const timer = setInterval(() => {
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch (err) {
      log('SQLite: a background checkpoint failed (the next one retries)', err);
    }
  }, CHECKPOINT_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
