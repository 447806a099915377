import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface FreshDb {
  /** A SQLite file path or a postgres:// URL, as `stockhook serve --db` takes it. */
  url: string;
  drop(): Promise<void>;
}

/** A fresh database: a temp SQLite file (WAL, as openStore sets it), or a new PostgreSQL database on the given server. */
export async function freshDatabase(pgBase: string | null): Promise<FreshDb> {
  if (!pgBase) {
    const dir = mkdtempSync(join(tmpdir(), 'stockhook-bench-'));
    return { url: join(dir, 'bench.db'), drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `stockhook_bench_${randomBytes(5).toString('hex')}`;
  await adminQuery(pgBase, `create database ${name}`);
  const u = new URL(pgBase);
  u.pathname = `/${name}`;
  return { url: u.toString(), drop: () => adminQuery(pgBase, `drop database if exists ${name} with (force)`) };
}

async function adminQuery(url: string, text: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}
