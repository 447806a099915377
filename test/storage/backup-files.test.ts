import { closeSync, existsSync, lstatSync, openSync, writeSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
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

  it('refuses what it cannot copy, and a target that exists (as a file or a dangling link), before it writes anything', async () => {
    const src = await source('refuse-src.db');
    const before = readdirSync(dir).sort();
    await expect(backupSqlite('postgres://postgres@127.0.0.1:5432/test', join(dir, 'pg.db'))).rejects.toThrow(/back up PostgreSQL with pg_dump/);
    await expect(backupSqlite('postgresql://h/db', join(dir, 'pg.db'))).rejects.toThrow(/back up PostgreSQL with pg_dump/);
    await expect(backupSqlite(':memory:', join(dir, 'mem.db'))).rejects.toThrow('an in-memory database cannot be backed up');
    await expect(backupSqlite(join(dir, 'absent.db'), join(dir, 'absent-copy.db'))).rejects.toThrow(`no SQLite database at ${join(dir, 'absent.db')}`);
    const existing = join(dir, 'existing.db');
    writeFileSync(existing, 'keep me');
    await expect(backupSqlite(src, existing)).rejects.toThrow(`${existing} already exists; choose a new file`);
    const dangling = join(dir, 'dangling.db');
    symlinkSync(join(dir, 'nowhere'), dangling);
    await expect(backupSqlite(src, dangling)).rejects.toThrow(`${dangling} already exists; choose a new file`);
    const orphan = join(dir, 'no-such-dir', 'copy.db');
    await expect(backupSqlite(src, orphan)).rejects.toThrow(`the directory of ${orphan} does not exist`);
    expect(readFileSync(existing, 'utf8')).toBe('keep me');
    expect(existsSync(join(dir, 'nowhere'))).toBe(false);
    expect(readdirSync(dir).sort()).toEqual([...before, 'dangling.db', 'existing.db'].sort());
  });

  it('reports the pages and bytes it wrote, and the copy is one file (no -wal) that passes SQLite\'s integrity check', async () => {
    const src = await source('report-src.db');
    const target = join(dir, 'report-copy.db');
    const r = await backupSqlite(src, target);
    const size = statSync(target).size;
    const copy = new SQLite(target, { readonly: true });
    try {
      const pageSize = copy.pragma('page_size', { simple: true }) as number;
      expect([r.source, r.target, r.bytes, r.pages * pageSize]).toEqual([src, target, size, size]);
      // journal_mode = DELETE was written into the copy: it opens without a WAL beside it.
      expect(copy.pragma('journal_mode', { simple: true })).toBe('delete');
      expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      copy.close();
    }
    expect(existsSync(`${target}-wal`)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('report-copy') && f !== 'report-copy.db')).toEqual([]);
  });

  it('reports its progress: the snapshot’s pages and bytes as it starts copying them in one step, then the check', async () => {
    const src = join(dir, 'progress-src.db');
    const db = new SQLite(src);
    db.exec('create table t (n integer primary key, s text)');
    const insert = db.prepare('insert into t (s) values (?)');
    // Several hundred pages: more than one step of better-sqlite3's default size (100 pages).
    db.transaction(() => {
      for (let i = 0; i < 4000; i++) insert.run(`row ${i} ${'x'.repeat(200)}`);
    })();
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.close();
    expect(pages).toBeGreaterThan(200);
    const seen: unknown[] = [];
    const r = await backupSqlite(src, join(dir, 'progress-copy.db'), { onProgress: (p) => seen.push(p) });
    expect(r.pages).toBe(pages);
    expect(seen).toEqual([
      { step: 'copying', pages, bytes: pages * pageSize },
      { step: 'checking', pages },
    ]);
  });

  it('leaves no file descriptor open, whether the backup is written or refused', async () => {
    const open = () => readdirSync('/proc/self/fd').length;
    const src = await source('fds-src.db');
    const before = open();
    await backupSqlite(src, join(dir, 'fds-copy.db'));
    expect(open()).toBe(before);
    // Refused after the copy was made: the target appeared meanwhile.
    const raced = join(dir, 'fds-raced.db');
    await expect(backupSqlite(src, raced, { beforePlace: () => writeFileSync(raced, 'first') })).rejects.toThrow(/was created by something else/);
    expect(open()).toBe(before);
  });

  it('a temporary name that cannot be created for another reason than being taken fails at once', async () => {
    const src = await source('long-src.db');
    let tries = 0;
    await expect(backupSqlite(src, join(dir, 'long-copy.db'), { tempName: () => (tries++, `.${'n'.repeat(300)}`) })).rejects.toMatchObject({ code: 'ENAMETOOLONG' });
    expect(tries).toBe(1);
  });

  it('passes over temporary names that are taken five times at most, then gives up and leaves what it found', async () => {
    const src = await source('taken-src.db');
    const target = join(dir, 'taken-copy.db');
    const taken = join(dir, '.taken');
    writeFileSync(taken, 'someone else\'s');
    let tries = 0;
    await expect(backupSqlite(src, target, { tempName: () => (tries++, '.taken') })).rejects.toMatchObject({ code: 'EEXIST' });
    expect(tries).toBe(5);
    expect(readFileSync(taken, 'utf8')).toBe('someone else\'s');
    expect(existsSync(target)).toBe(false);
  });

  it('a copy that fails SQLite\'s check is not given the target\'s name, and its temporary file is removed', async () => {
    // A source whose pages are damaged: the copy is made page by page and fails quick_check.
    const src = join(dir, 'damaged-src.db');
    const db = new SQLite(src);
    db.pragma('journal_mode = DELETE');
    db.exec('create table t (n integer primary key, s text); create index t_s on t (s);');
    const insert = db.prepare('insert into t (s) values (?)');
    db.transaction(() => {
      for (let i = 0; i < 2000; i++) insert.run(`row ${i} ${'x'.repeat(40)}`);
    })();
    const rootPage = (db.prepare("select rootpage from sqlite_master where name = 't_s'").get() as { rootpage: number }).rootpage;
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.close();
    // Overwrite the index's root page with garbage: the file still opens, the index no longer checks.
    const fd = openSync(src, 'r+');
    writeSync(fd, Buffer.alloc(pageSize, 0x5a), 0, pageSize, (rootPage - 1) * pageSize);
    closeSync(fd);
    const target = join(dir, 'damaged-copy.db');
    await expect(backupSqlite(src, target)).rejects.toThrow(/the copy failed SQLite's quick_check/);
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('damaged-copy'))).toEqual([]);
  });
});
