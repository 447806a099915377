import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fstatSync, linkSync, lstatSync, openSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import SQLite from 'better-sqlite3';
import { isPostgresUrl } from './database-url.js';

export interface BackupResult {
  source: string;
  target: string;
  pages: number;
  bytes: number;
  ms: number;
}

/** The one step that copies every page: better-sqlite3's rate is capped at 2^31 - 1 pages. */
const ALL_PAGES = 0x7fffffff;

export interface BackupOptions {
  /** The temporary file's name in the target's directory (a seam for tests; random by default). */
  tempName?: (target: string) => string;
  /** Runs after the copy is complete and checked, before it takes the target's name (a seam for tests). */
  beforePlace?: () => void;
  /** Told at each step (the size to copy, then the check), so a long copy is not silent. */
  onProgress?: (p: BackupProgress) => void;
}

/** The steps of a backup, in order: the copy of every page from one snapshot, then SQLite's check of the copy. */
export type BackupProgress = { step: 'copying'; pages: number; bytes: number } | { step: 'checking'; pages: number };

/** Owner read/write only: the copy holds signing secrets, Basic passwords and tokens. */
const FILE_MODE = 0o600;
const TEMP_ATTEMPTS = 5;

/** Unpredictable, so nobody can plant a link where the copy will be written. */
const randomTempName = (target: string): string => `.${basename(target)}.partial-${randomBytes(12).toString('hex')}`;

/**
 * Creates the temporary file itself, exclusively (O_EXCL: a symlink or file already at the name is
 * never followed nor reused) and 0600, before SQLite opens it: SQLite then writes into that file,
 * and its journal beside it takes the same mode. A name that is taken is passed over.
 */
function createTemp(target: string, name: (target: string) => string): { path: string; fd: number } {
  for (let i = 0; ; i++) {
    const path = join(dirname(target), name(target));
    try {
      return { path, fd: openSync(path, 'wx', FILE_MODE) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || i + 1 >= TEMP_ATTEMPTS) throw err;
    }
  }
}

/**
 * Copies a SQLite database, while stockhook keeps writing to it, with SQLite's online backup API.
 * The copy is made in one backup step, so it reads one snapshot: a copy made in small steps
 * restarts from the first page whenever another process commits, and never ends under steady
 * writes. In WAL mode that snapshot blocks no writer. The copy is written to a new 0600 file beside
 * the target and linked to the target's name once complete and checked: a link, unlike a rename,
 * fails when the name exists, so a file that appeared there meanwhile is never replaced, and a
 * half-written file never carries the name.
 */
export async function backupSqlite(source: string, target: string, opts: BackupOptions = {}): Promise<BackupResult> {
  if (isPostgresUrl(source)) {
    throw new Error(
      'stockhook backup copies a SQLite database; back up PostgreSQL with pg_dump, e.g. pg_dump --format=custom --file=stockhook.dump "$STOCKHOOK_DATABASE_URL" (docs/operations/backups.md)',
    );
  }
  if (source === ':memory:') throw new Error('an in-memory database cannot be backed up');
  if (!existsSync(source)) throw new Error(`no SQLite database at ${source} (set --db or STOCKHOOK_DATABASE_URL)`);
  if (existsSync(target) || isLink(target)) throw new Error(`${target} already exists; choose a new file`);
  if (!existsSync(dirname(target))) throw new Error(`the directory of ${target} does not exist`);
  const started = Date.now();
  const temp = createTemp(target, opts.tempName ?? randomTempName);
  const partial = temp.path;
  const db = new SQLite(source, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    // better-sqlite3 asks after a first step of no pages, which tells the size of the snapshot.
    const progress = ({ totalPages }: { totalPages: number }) => {
      opts.onProgress?.({ step: 'copying', pages: totalPages, bytes: totalPages * pageSize });
      return ALL_PAGES;
    };
    const { totalPages } = await db.backup(partial, { progress });
    opts.onProgress?.({ step: 'checking', pages: totalPages });
    const copy = new SQLite(partial, { fileMustExist: true });
    try {
      const check = copy.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new Error(`the copy failed SQLite's quick_check: ${String(check)}`);
      // One file to keep: fold the copy's WAL into it, so a restore is a plain file copy.
      copy.pragma('journal_mode = DELETE');
    } finally {
      copy.close();
    }
    // The name must still be the file created above, not something swapped in under it.
    const made = fstatSync(temp.fd);
    const now = lstatSync(partial);
    if (!now.isFile() || now.ino !== made.ino || now.dev !== made.dev) throw new Error(`the temporary copy ${partial} was replaced while it was written`);
    opts.beforePlace?.();
    try {
      linkSync(partial, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new Error(`${target} was created by something else while the copy was made; it was left as it is and no backup was written`);
      }
      throw err;
    }
    rmSync(partial, { force: true });
    return { source, target, pages: totalPages, bytes: statSync(target).size, ms: Date.now() - started };
  } catch (err) {
    removeOwn(partial, temp.fd);
    throw err;
  } finally {
    closeSync(temp.fd);
    db.close();
  }
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Removes the temporary file only while its name is still the file this backup created. */
function removeOwn(path: string, fd: number): void {
  try {
    const made = fstatSync(fd);
    const now = lstatSync(path);
    if (now.ino === made.ino && now.dev === made.dev) rmSync(path, { force: true });
  } catch {
    // Already gone.
  }
}

/** `stockhook backup`: the database's own consistent copy, where stockhook makes one (SQLite; PostgreSQL's is pg_dump, and it says so). */
export const backupDatabase = (source: string, target: string, opts: BackupOptions = {}): Promise<BackupResult> => backupSqlite(source, target, opts);
