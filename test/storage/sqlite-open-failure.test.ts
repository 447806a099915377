import Database from 'better-sqlite3';
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/storage/database.js';

/** The files this process holds open under dir (read from /proc, as the kernel sees them). */
const openUnder = (dir: string) =>
  readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return '';
      }
    })
    .filter((target) => target.startsWith(dir));

describe('a SQLite store whose migrations fail', () => {
  it('throws the migration’s error and leaves no descriptor of its file open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stockhook-open-fail-'));
    const file = join(dir, 'taken.db');
    try {
      // A file that is some other program's database: its own `accounts` table is in the way of the first migration.
      const other = new Database(file);
      other.exec('create table accounts (owner text)');
      other.close();
      expect(openUnder(dir)).toEqual([]);
      await expect(openStore(file)).rejects.toThrow('table "accounts" already exists');
      expect(openUnder(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
