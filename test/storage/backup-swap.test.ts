import { existsSync, lstatSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { backupDatabase, backupSqlite } from '../../src/storage/backup.js';

/*
 * `stockhook backup`'s guards around its temporary file (storage/backup.ts): a file swapped in at
 * the temporary name while the copy was written is never given the target's name nor removed (it is
 * not the backup's), a temporary file that vanished before it was placed fails with the system's
 * own error, and a finished backup reports its time. The swap runs in a setImmediate queued when
 * the backup picks its temporary name, so it runs before the copy's own first step, which SQLite's
 * backup queues later the same way.
 */

const dir = mkdtempSync(join(tmpdir(), 'stockhook-backup-swap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function source(name: string): string {
  const path = join(dir, name);
  const db = new SQLite(path);
  db.pragma('journal_mode = WAL');
  db.exec("create table t (n integer primary key, s text); insert into t (s) values ('a'), ('b'), ('c');");
  db.close();
  return path;
}

describe('backup: the temporary file is the backup\'s own until it takes the target\'s name', () => {
  it('a file swapped in at the temporary name while the copy is written: refused, the target is not written, the swapped file is left', async () => {
    const src = source('swap-src.db');
    const target = join(dir, 'swap-copy.db');
    const temp = '.swap-copy.db.partial-test';
    const at = join(dir, temp);
    const swapped = { ino: -1 };
    const failure = await backupSqlite(src, target, {
      tempName: () => {
        setImmediate(() => {
          rmSync(at);
          writeFileSync(at, '');
          swapped.ino = statSync(at).ino;
        });
        return temp;
      },
    }).then(
      () => null,
      (err: Error) => err.message,
    );
    expect(failure).toBe(`the temporary copy ${at} was replaced while it was written`);
    expect(existsSync(target)).toBe(false);
    expect(swapped.ino).not.toBe(-1);
    // Not removed: the file at the name is not the one the backup created.
    expect(lstatSync(at).ino).toBe(swapped.ino);
    expect(readdirSync(dir).filter((f) => f.includes('swap-copy')).sort()).toEqual([temp]);
  });

  it('a temporary file removed before it takes the target\'s name: the link\'s own error (ENOENT), and no target', async () => {
    const src = source('gone-src.db');
    const target = join(dir, 'gone-copy.db');
    const temp = '.gone-copy.db.partial-test';
    const failure = await backupSqlite(src, target, {
      tempName: () => temp,
      beforePlace: () => rmSync(join(dir, temp)),
    }).then(
      () => null,
      (err: NodeJS.ErrnoException) => [err.code, err.message.includes('was created by something else')],
    );
    expect(failure).toEqual(['ENOENT', false]);
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('gone-copy'))).toEqual([]);
  });

  it('a finished backup reports the time it took, no more than the call took, and keeps no temporary file', async () => {
    const src = source('timed-src.db');
    const target = join(dir, 'timed-copy.db');
    const before = Date.now();
    const r = await backupDatabase(src, target, { tempName: () => '.timed-copy.db.partial-test' });
    const took = Date.now() - before;
    expect(r.ms).toBeGreaterThanOrEqual(0);
    expect(r.ms).toBeLessThanOrEqual(took);
    expect([r.source, r.target, r.bytes]).toEqual([src, target, statSync(target).size]);
    expect(readdirSync(dir).filter((f) => f.includes('timed-copy'))).toEqual(['timed-copy.db']);
    const copy = new SQLite(target, { readonly: true });
    try {
      expect(copy.prepare('select s from t order by n').pluck().all()).toEqual(['a', 'b', 'c']);
    } finally {
      copy.close();
    }
  });
});
