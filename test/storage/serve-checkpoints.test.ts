import { statSync } from 'node:fs';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/storage/database.js';
import { api, killAll, startCli, type Child } from '../support/child.js';
import { freshDatabase } from '../support/env.js';
import { Receiver } from '../support/receiver.js';
import { walCopiedBack, walProgress } from '../support/sqlite-wal.js';
import { eventually } from '../support/wait.js';

/**
 * `stockhook serve` (role all, SQLite): the HTTP thread never checkpoints the write-ahead log, so the
 * delivery thread must, or the log grows without end. Another connection that never checkpoints
 * either writes 2,000 pages; if serve's delivery thread copies them back, that connection's next
 * write starts the log over instead of growing the file.
 */
describe('role all on SQLite: the delivery thread checkpoints the log', () => {
  const children: Child[] = [];
  afterAll(() => killAll(children));

  it('copies back what any connection wrote, so the log file stops growing', { timeout: 600_000 }, async () => {
    const fresh = await freshDatabase('sqlite');
    const rx = await Receiver.start(() => ({ status: 200, body: '{"ok":true}' }));
    const writer = await openStore(fresh.url, { checkpoints: 'elsewhere' }); // migrates, then only writes
    try {
      const admin = 'ckpt-admin-0123456789abcdef0123456789';
      const c = await startCli(['serve', '--db', fresh.url, '--port', '0'], { STOCKHOOK_ADMIN_TOKEN: admin, STOCKHOOK_ALLOW_PRIVATE_TARGETS: '1' });
      children.push(c);
      // The startup line comes before the delivery thread has loaded: wait until it delivers something.
      const account = await api(c.url, admin, 'POST', '/api/v1/accounts', { name: 'Shop', plan: 'paid' }, 201);
      await api(c.url, account.token, 'POST', '/api/v1/webhooks', { url: rx.url('/hook'), format: 'native', events: ['stock.changed'] }, 201);
      const w = await api(c.url, account.token, 'POST', '/api/v1/warehouses', { name: 'Main' }, 201);
      const p = await api(c.url, account.token, 'POST', '/api/v1/products', { title: 'Widget', sku: 'W', code: '1', unit: 'pcs' }, 201);
      await api(c.url, account.token, 'POST', '/api/v1/documents', { type: 'receipt', warehouseId: w.id, lines: [{ productId: p.id, quantity: 1 }] }, 201);
      await eventually(() => rx.requests.length > 0, 60_000);
      await sql`create table junk (pad text)`.execute(writer.db);
      const write = (pages: number) =>
        writer.transaction(async (tx) => {
          for (let i = 0; i < pages; i++) await sql`insert into junk (pad) values (${'x'.repeat(3000)})`.execute(tx);
        });
      await write(2000);
      const grown = statSync(`${fresh.url}-wal`).size;
      expect(grown).toBeGreaterThan(1500 * 4096);
      const { frames } = walProgress(fresh.url);
      expect(frames).toBeGreaterThan(2000);
      // Serve's delivery thread has copied back every frame (read from the wal-index, not by sleeping).
      await eventually(() => walCopiedBack(fresh.url, frames), 30_000, 20, 'the log copied back by serve');
      await write(500);
      // Rewound and reused: not 500 pages longer (serve's own few writes may add a frame or two meanwhile).
      expect(statSync(`${fresh.url}-wal`).size).toBeLessThan(grown + 100 * 4096);
      c.proc.kill('SIGTERM');
      expect(await c.exited).toBe(0);
    } finally {
      await writer.close();
      await rx.close();
      await fresh.drop();
    }
  });
});
