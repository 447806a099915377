import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backupSqlite } from '../../src/storage/backup.js';
import { openStore } from '../../src/storage/database.js';

/*
 * The files `stockhook backup` and the SQLite store create hold signing secrets, Basic passwords
 * and tokens: they are 0600 (the data directory 0700), the backup's temporary file is created
 * exclusively at an unpredictable name (a link planted there is never followed), and the copy
 * never replaces a file that appeared at the target while it was made.
 */

const dir = mkdtempSync(join(tmpdir(), 'stockhook-backup-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const mode = (path: string) => statSync(path).mode & 0o777;

async function source(name: string): Promise<string> {
  const path = join(dir, name);
  const store = await openStore(path);
  await store.db.insertInto('applications').values({ name: 'secretive', created_ms: 1, webhook_url: null, webhook_objects: null, webhook_secret: null }).execute();
  await store.close();
  return path;
}

describe('backup and database files', () => {
  it('a symlink planted at a temporary name is not followed: its target is unchanged and the backup is written', async () => {
    const src = await source('link-src.db');
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'do not touch');
    const target = join(dir, 'link-copy.db');
    // The name the old code used, and the name this backup is told to try first.
    const predictable = join(dir, `.link-copy.db.partial-${process.pid}`);
    const planted = join(dir, '.link-copy.db.planted');
    symlinkSync(victim, predictable);
    symlinkSync(victim, planted);
    const tried: string[] = [];
    const names = ['.link-copy.db.planted', '.link-copy.db.fresh'];
    const r = await backupSqlite(src, target, { tempName: () => (tried.push(names[tried.length]), names[tried.length - 1]) });
    expect(tried).toEqual(names);
    expect(r.target).toBe(target);
    expect(readFileSync(victim, 'utf8')).toBe('do not touch');
    for (const link of [predictable, planted]) expect([lstatSync(link).isSymbolicLink(), readlinkSync(link)]).toEqual([true, victim]);
    expect(lstatSync(target).isFile()).toBe(true);
    expect(existsSync(join(dir, '.link-copy.db.fresh'))).toBe(false);
    const copy = await openStore(target);
    try {
      expect((await copy.db.selectFrom('applications').select('name').execute()).map((a) => a.name)).toEqual(['secretive']);
    } finally {
      await copy.close();
    }
  });

  it('a file created at the target while the copy was made is not overwritten, and no temporary file is left', async () => {
    const src = await source('race-src.db');
    const target = join(dir, 'race-copy.db');
    let placed = false;
    await expect(
      backupSqlite(src, target, {
        beforePlace: () => {
          writeFileSync(target, 'created meanwhile');
          placed = true;
        },
      }),
    ).rejects.toThrow(/race-copy\.db was created by something else while the copy was made/);
    expect(placed).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('created meanwhile');
    expect(readdirSync(dir).filter((f) => f.includes('race-copy') && f !== 'race-copy.db')).toEqual([]);
  });

  it('the database, its -wal and -shm, the data directory and the backup are private to their owner', async () => {
    const dataDir = join(dir, 'data', 'nested');
    const path = join(dataDir, 'stockhook.db');
    const store = await openStore(path);
    try {
      await store.db.insertInto('applications').values({ name: 'x', created_ms: 1, webhook_url: null, webhook_objects: null, webhook_secret: null }).execute();
      expect(existsSync(`${path}-wal`) && existsSync(`${path}-shm`)).toBe(true);
      expect([path, `${path}-wal`, `${path}-shm`].map(mode)).toEqual([0o600, 0o600, 0o600]);
      expect([join(dir, 'data'), dataDir].map(mode)).toEqual([0o700, 0o700]);
      const target = join(dir, 'private-copy.db');
      await backupSqlite(path, target);
      expect(mode(target)).toBe(0o600);
    } finally {
      await store.close();
    }
  });
});
