import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { compose } from '../../src/compose.js';
import { backupSqlite } from '../../src/storage/backup.js';
import { openStore, type Store } from '../../src/storage/database.js';
import { api, killAll, runCommand, startCli, type Child } from '../support/child.js';
import { TEST_PUBLIC_URL } from '../support/env.js';
import { eventually, Receiver } from '../support/receiver.js';

/*
 * `stockhook backup <file>` (issue 14.3): a consistent copy of a running SQLite database, taken
 * while documents are being posted. The copy opens, its levels equal the sum of its movements, and
 * the deliveries it holds as pending are sent by a worker started on it.
 */

const ADMIN = 'backup-test-admin-0123456789abcdef0123456789';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'stockhook-backup-'));
const children: Child[] = [];
afterAll(async () => {
  await killAll(children);
  rmSync(dir, { recursive: true, force: true });
});

/** Levels whose amount or reserved differs from the sum of their movements (none, in a consistent copy). */
async function levelsOffLedger(store: Store): Promise<unknown[]> {
  const sums = await store.db
    .selectFrom('movements')
    .select(['stock_level_id'])
    .select((eb) => [eb.fn.sum<number>('amount_delta').as('a'), eb.fn.sum<number>('reserved_delta').as('r')])
    .groupBy('stock_level_id')
    .execute();
  const levels = await store.db.selectFrom('stock_levels').selectAll().execute();
  expect(levels.length).toBeGreaterThan(0);
  return levels.filter((l) => {
    const s = sums.find((x) => x.stock_level_id === l.id);
    return Number(s?.a ?? 0) !== Number(l.amount) || Number(s?.r ?? 0) !== Number(l.reserved);
  });
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('stockhook backup', () => {
  it('copies a SQLite database while documents are posted; the copy is consistent and its pending deliveries are sent', async () => {
    const live = join(dir, 'live.db');
    const copy = join(dir, 'copy.db');
    // Role api: no worker, so every delivery stays pending in the live database and in the copy.
    const server = await startCli(['serve', '--db', live, '--port', '0', '--role', 'api'], { STOCKHOOK_ADMIN_TOKEN: ADMIN, STOCKHOOK_ALLOW_PRIVATE_TARGETS: '1' });
    children.push(server);
    const rx = await Receiver.start();
    try {
      const { token } = await api(server.url, ADMIN, 'POST', '/api/v1/accounts', { name: 'Backed up' }, 201);
      const w = (await api(server.url, token, 'POST', '/api/v1/warehouses', { name: 'Main' }, 201)).id;
      const products: number[] = [];
      for (const sku of ['A', 'B', 'C']) products.push((await api(server.url, token, 'POST', '/api/v1/products', { title: sku, sku }, 201)).id);
      await api(server.url, token, 'POST', '/api/v1/webhooks', { url: rx.url('/hook'), events: ['stock.changed'] }, 201);

      // Writers: 8 loops posting receipts, sales and transfers of lots until the backup is done.
      let stop = false;
      let posted = 0;
      const writer = async (n: number) => {
        for (let i = 0; !stop; i++) {
          const productId = products[(n + i) % products.length];
          const lot = `L${i % 4}`;
          await api(server.url, token, 'POST', '/api/v1/documents', { type: 'receipt', warehouseId: w, lines: [{ productId, lot, quantity: 3 }] }, 201);
          await api(server.url, token, 'POST', '/api/v1/documents', { type: 'sale', warehouseId: w, lines: [{ productId, lot, quantity: 1 }] }, 201);
          posted += 2;
        }
      };
      const writers = Array.from({ length: 8 }, (_, n) => writer(n));
      await eventually(() => posted >= 50, 30_000);
      const before = posted;
      // The real CLI, as an operator runs it.
      const run = await runCommand(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'backup', copy, '--db', live], { cwd: ROOT, timeoutMs: 60_000 });
      const during = posted - before;
      stop = true;
      await Promise.all(writers);
      expect(run.code, run.err).toBe(0);
      // Each step as it starts, then where the copy is (an absolute path) and how big it is.
      const lines = run.err.trimEnd().split('\n');
      expect(lines).toHaveLength(3);
      // The size when the copy starts; writes committed after it may add pages to the snapshot it copies.
      expect(lines[0]).toMatch(new RegExp(`^backup: copying ${escape(live)}: \\d+ pages \\([\\d.]+ (KiB|MiB)\\), from one snapshot$`));
      const pages = /^backup: copied (\d+) pages, checking the copy \(quick_check\)$/.exec(lines[1])?.[1];
      expect(pages, lines[1]).toBeDefined();
      const done = /^backup of (.*) written to (.*): [\d.]+ (?:KiB|MiB) \((\d+) bytes, (\d+) pages\) in \d+ ms$/.exec(lines[2]);
      expect(done?.slice(1, 5), lines[2]).toEqual([live, copy, String(statSync(copy).size), pages]);
      // Documents were committed while the CLI ran, so the copy was taken under writes.
      expect(during).toBeGreaterThan(0);
      // One file (no -wal beside it), no partial file left.
      expect(readdirSync(dir).filter((f) => f.startsWith('copy') || f.includes('partial'))).toEqual(['copy.db']);

      const store = await openStore(copy);
      try {
        expect(await levelsOffLedger(store)).toEqual([]);
        const docs = await store.db.selectFrom('documents').select('id').execute();
        expect(docs.length).toBeGreaterThanOrEqual(before);
        expect(docs.length).toBeLessThan(posted);
        // Every document in the copy has its movements and its events: nothing half-committed.
        const moved = await store.db.selectFrom('movements').select('document_id').distinct().execute();
        expect(moved.length).toBe(docs.length);
        const changes = await store.db.selectFrom('events').select('id').where('type', '=', 'stock.changed').execute();
        const pending = await store.db.selectFrom('deliveries').select(['id', 'event_id', 'status']).execute();
        expect(pending.length).toBe(changes.length);
        expect(new Set(pending.map((d) => d.status))).toEqual(new Set(['pending']));

        // Restored: a worker on the copy sends exactly the deliveries it holds.
        const stack = await compose(store, {
          settings: { allowPrivateTargets: true, publicUrl: TEST_PUBLIC_URL },
          dispatcher: {},
          http: false,
        });
        try {
          await rx.waitFor(pending.length, 60_000);
          await eventually(async () => {
            const left = await store.db.selectFrom('deliveries').select('id').where('status', '!=', 'succeeded').execute();
            return left.length === 0;
          }, 30_000);
          expect(new Set(rx.requests.map((r) => r.headers['webhook-id'])).size).toBe(pending.length);
          expect(new Set(rx.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set(pending.map((d) => d.id)));
        } finally {
          await stack.dispatcher?.stop(1000);
        }
      } finally {
        await store.close();
      }
    } finally {
      await rx.close();
    }
  }, 180_000);

  it('refuses PostgreSQL (pointing to pg_dump), a missing database and an existing target, and writes nothing', async () => {
    await expect(backupSqlite('postgres://postgres@127.0.0.1:5432/test', join(dir, 'pg.db'))).rejects.toThrow(/pg_dump --format=custom/);
    await expect(backupSqlite(join(dir, 'nothing.db'), join(dir, 'x.db'))).rejects.toThrow(/no SQLite database at/);
    const src = join(dir, 'src.db');
    (await openStore(src)).close();
    const taken = join(dir, 'taken.db');
    const first = await backupSqlite(src, taken);
    expect(first.pages).toBeGreaterThan(0);
    await expect(backupSqlite(src, taken)).rejects.toThrow(/already exists/);
    expect(existsSync(join(dir, 'pg.db')) || existsSync(join(dir, 'x.db'))).toBe(false);
    const run = await runCommand(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'backup', join(dir, 'pg.db'), '--db', 'postgres://u:secret@127.0.0.1/db'], { cwd: ROOT, timeoutMs: 60_000 });
    expect(run.code).toBe(1);
    expect(run.err).toContain('back up PostgreSQL with pg_dump');
    expect(run.err).not.toContain('secret');
  }, 90_000);
});
