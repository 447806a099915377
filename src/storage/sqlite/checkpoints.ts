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
 *   next writer start the log from its beginning again; when writes never pause, the checkpoint
 *   takes the write turn past CATCH_UP_PAGES to catch up, so the file stays small under any load.
 */
export type CheckpointMode = 'auto' | 'elsewhere' | 'background';

/** How often `background` checkpoints: the log grows by at most what is written meanwhile. */
export const CHECKPOINT_INTERVAL_MS = 200;

/**
 * The log length (pages, 16 MiB) past which a background checkpoint takes the write turn to let
 * the next write start the log over. Writers wait for it (about 10 ms, its fsyncs) once per that
 * many pages written, so it is rare under any load.
 */
export const CATCH_UP_PAGES = 4096;

/** The write turn, as the background checkpoint needs it: to hold writers off while it catches up. */
export interface TurnHolder {
  acquire(): Promise<void>;
  release(): void;
}

interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

export interface CheckpointOptions {
  /** The write turn shared with the writers. */
  turn?: TurnHolder;
  /** For tests: CATCH_UP_PAGES. */
  catchUpPages?: number;
}

/** The `background` mode's work, one tick at a time (the timer's; tests call `tick` themselves). */
export class BackgroundCheckpoints {
  /** The catch-up holding (or waiting for) the write turn, if one is under way. */
  catchingUp: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly db: SQLite.Database,
    private readonly log: (msg: string, err?: unknown) => void,
    private readonly opts: CheckpointOptions = {},
  ) {}

  /**
   * One passive checkpoint. A write starts the log over only if its transaction began when every
   * frame had been copied back; under a steady stream of writes each transaction begins before the
   * last one's frames are copied, so the log would grow as long as the stream lasts. Past
   * CATCH_UP_PAGES the checkpoint runs again holding the write turn: with no write in progress it
   * copies every frame, and the next write starts the log over.
   */
  tick(): void {
    if (this.catchingUp || this.stopped) return;
    try {
      const r = this.passive();
      const { turn, catchUpPages = CATCH_UP_PAGES } = this.opts;
      if (turn && r && r.log >= catchUpPages) this.catchingUp = this.catchUp(turn);
    } catch (err) {
      this.failed(err);
    }
  }

  stop(): void {
    this.stopped = true;
  }

  private async catchUp(turn: TurnHolder): Promise<void> {
    try {
      await turn.acquire();
      try {
        if (!this.stopped) this.passive();
      } finally {
        turn.release();
      }
    } catch (err) {
      this.failed(err);
    } finally {
      this.catchingUp = null;
    }
  }

  private passive(): CheckpointResult | undefined {
    return (this.db.pragma('wal_checkpoint(PASSIVE)') as CheckpointResult[] | undefined)?.[0];
  }

  private failed(err: unknown): void {
    this.log('SQLite: a background checkpoint failed (the next one retries)', err);
  }
}

export function configureCheckpoints(db: SQLite.Database, mode: CheckpointMode, log: (msg: string, err?: unknown) => void, opts: CheckpointOptions = {}): () => void {
  if (mode === 'auto') return () => {};
  db.pragma('wal_autocheckpoint = 0');
  if (mode === 'elsewhere') return () => {};
  const checkpoints = new BackgroundCheckpoints(db, log, opts);
  const timer = setInterval(() => checkpoints.tick(), CHECKPOINT_INTERVAL_MS);
  timer.unref();
  return () => {
    checkpoints.stop();
    clearInterval(timer);
  };
}
