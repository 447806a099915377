import { existsSync, mkdtempSync, openSync, readdirSync, rmSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, expect, it } from 'vitest';
import { backupSqlite } from '../../../src/storage/backup.js';
import { describeEachDb } from '../../support/env.js';
import { post, product, warehouse } from '../../support/fixtures.js';
import { walProgress } from '../../support/sqlite-wal.js';

/*
 * Store conformance: backup (storage/backup.ts). On SQLite the copy holds every committed write,
 * including those still only in the write-ahead log: the store here never checkpoints
 * (`checkpoints: 'elsewhere'` with nobody elsewhere), so the main file is known to be behind, and a
 * plain copy of it would miss the documents. A copy that fails SQLite's quick_check is refused and
 * nothing is written. On PostgreSQL the command refuses and names pg_dump.
 */

const dir = mkdtempSync(join(tmpdir(), 'stockhook-conformance-backup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeEachDb(
  'store conformance: backup',
  (env) => {
    it('SQLite: the copy holds every committed write, the log’s too, passes quick_check and is one file; PostgreSQL: refused, naming pg_dump', async () => {
      const target = join(dir, `copy-${env().db}.db`);
      if (env().db === 'postgres') {
        await expect(backupSqlite(env().url, target)).rejects.toThrow(
          'stockhook backup copies a SQLite database; back up PostgreSQL with pg_dump, e.g. pg_dump --format=custom --file=stockhook.dump "$STOCKHOOK_DATABASE_URL" (docs/operations/backups.md)',
        );
        expect(readdirSync(dir).filter((f) => f.includes(`copy-${env().db}`))).toEqual([]);
        return;
      }
      const a = await env().newAccount();
      const w = await warehouse(env(), a);
      const p = await product(env(), a);
      // Everything so far into the main file; from here on the writes stay in the log.
      const side = new SQLite(env().url);
      try {
        expect(side.pragma('wal_checkpoint(TRUNCATE)', { simple: true })).toBe(0);
      } finally {
        side.close();
      }
      for (const quantity of [1, 2, 3, 4, 5]) await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity }] });
      await post(env(), a, { type: 'sale', warehouseId: w, lines: [{ productId: p, quantity: 4 }] });
      const wal = walProgress(env().url);
      expect(wal.frames).toBeGreaterThan(0);
      expect(wal.backfilled).toBe(0);

      const result = await backupSqlite(env().url, target);
      expect(result.pages).toBeGreaterThan(0);
      // One file to restore: no log beside it, no temporary file left.
      expect(readdirSync(dir).filter((f) => f.includes(`copy-${env().db}`))).toEqual([`copy-${env().db}.db`]);
      const copy = new SQLite(target, { readonly: true, fileMustExist: true });
      try {
        expect(copy.pragma('quick_check', { simple: true })).toBe('ok');
        expect(copy.pragma('journal_mode', { simple: true })).toBe('delete');
        const docs = copy.prepare('select type from documents where account_id = ? order by id').pluck().all(a.id);
        expect(docs).toEqual(['receipt', 'receipt', 'receipt', 'receipt', 'receipt', 'sale']);
        const levels = copy.prepare('select warehouse_id, product_id, amount, reserved from stock_levels where account_id = ?').all(a.id);
        expect(levels).toEqual([{ warehouse_id: w, product_id: p, amount: 11, reserved: 0 }]);
        const moved = copy.prepare('select count(distinct document_id) from movements where account_id = ?').pluck().get(a.id);
        expect(moved).toBe(6);
      } finally {
        copy.close();
      }
      // The live store is untouched by the copy: its log is still not copied back.
      expect(walProgress(env().url).backfilled).toBe(0);
    });

    it('SQLite: a copy that fails quick_check is refused and nothing is written; PostgreSQL: refused before anything is read', async () => {
      const target = join(dir, `refused-${env().db}.db`);
      if (env().db === 'postgres') {
        await expect(backupSqlite(env().url, target)).rejects.toThrow(/back up PostgreSQL with pg_dump/);
        expect(existsSync(target)).toBe(false);
        return;
      }
      // A database whose last page (a leaf of table t) says its cells start past the page's end:
      // the backup copies pages as they are, so the copy carries the damage.
      const source = join(dir, 'damaged.db');
      const db = new SQLite(source);
      let pages: number;
      let pageSize: number;
      try {
        db.exec('create table t (id integer primary key, v text)');
        const insert = db.prepare('insert into t (v) values (?)');
        for (let i = 0; i < 500; i++) insert.run('x'.repeat(100));
        pages = db.pragma('page_count', { simple: true }) as number;
        pageSize = db.pragma('page_size', { simple: true }) as number;
      } finally {
        db.close();
      }
      const fd = openSync(source, 'r+');
      try {
        writeSync(fd, Buffer.from([0xff, 0xff]), 0, 2, (pages - 1) * pageSize + 5);
      } finally {
        closeSync(fd);
      }
      await expect(backupSqlite(source, target)).rejects.toThrow(`the copy failed SQLite's quick_check: *** in database main ***\nTree 2 page ${pages}: free space corruption`);
      expect(readdirSync(dir).filter((f) => f.includes(`refused-${env().db}`))).toEqual([]);
    });
  },
  { store: { checkpoints: 'elsewhere' } },
);
