import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import SQLite from 'better-sqlite3';
import { isPostgresUrl } from './database.js';

export interface BackupResult {
  source: string;
  target: string;
  pages: number;
  bytes: number;
  ms: number;
}

/** The one step that copies every page: better-sqlite3's rate is capped at 2^31 - 1 pages. */
const ALL_PAGES = 0x7fffffff;

/**
 * Copies a SQLite database, while stockhook keeps writing to it, with SQLite's online backup API.
 * The copy is made in one backup step, so it reads one snapshot: a copy made in small steps
 * restarts from the first page whenever another process commits, and never ends under steady
 * writes. In WAL mode that snapshot blocks no writer. The copy is written beside the target and
 * renamed into place once complete and checked, so a half-written file never carries its name.
 */
export async function backupSqlite(source: string, target: string): Promise<BackupResult> {
  if (isPostgresUrl(source)) {
    throw new Error(
      'stockhook backup copies a SQLite database; back up PostgreSQL with pg_dump, e.g. pg_dump --format=custom --file=stockhook.dump "$STOCKHOOK_DATABASE_URL" (README, "Backups")',
    );
  }
  if (source === ':memory:') throw new Error('an in-memory database cannot be backed up');
  if (!existsSync(source)) throw new Error(`no SQLite database at ${source} (set --db or STOCKHOOK_DATABASE_URL)`);
  if (existsSync(target)) throw new Error(`${target} already exists; choose a new file`);
  if (!existsSync(dirname(target))) throw new Error(`the directory of ${target} does not exist`);
  const started = Date.now();
  const partial = join(dirname(target), `.${basename(target)}.partial-${process.pid}`);
  const db = new SQLite(source, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    const { totalPages } = await db.backup(partial, { progress: () => ALL_PAGES });
    const copy = new SQLite(partial, { fileMustExist: true });
    try {
      const check = copy.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new Error(`the copy failed SQLite's quick_check: ${String(check)}`);
      // One file to keep: fold the copy's WAL into it, so a restore is a plain file copy.
      copy.pragma('journal_mode = DELETE');
    } finally {
      copy.close();
    }
    renameSync(partial, target);
    return { source, target, pages: totalPages, bytes: statSync(target).size, ms: Date.now() - started };
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  } finally {
    db.close();
  }
}
