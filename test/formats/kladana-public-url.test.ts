import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { hashToken } from '../../src/accounts/tokens.js';
import type { App } from '../../src/app.js';
import { compose } from '../../src/compose.js';
import { loadConfig } from '../../src/config.js';
import { runCommand } from '../support/child.js';
import { ADMIN_TOKEN, describeEachDb } from '../support/env.js';
import { call, product, warehouse } from '../support/fixtures.js';
import { eventually, Receiver } from '../support/receiver.js';

/*
 * Seed 001 (001_b7c5f6582b1849dd.txt), the notification's attributes: "reportUrl | String(255) | URL for receiving data
 * on changed nomenclature". stockhook's reportUrl is STOCKHOOK_PUBLIC_URL followed by the report path and fromDate, at
 * most 72 characters (bystore's), so a public URL of more than 183 characters would send reportUrls a receiver cuts.
 */
const LONGEST = `https://stock.example.com/${'p'.repeat(183 - 26)}`;
const TOO_LONG = `${LONGEST}q`;
const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
// Resolved from the repository: the child runs in an empty folder, where `--import tsx` finds nothing.
const TSX = fileURLToPath(new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'stockhook-public-url-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const REFUSAL =
  "STOCKHOOK_PUBLIC_URL must be at most 183 characters, not 184: Kladana's reportUrl starts with it and may have at most 255";

it('a public URL that would make reportUrl longer than its String(255) is refused by the configuration; 183 characters are taken', () => {
  expect(LONGEST).toHaveLength(183);
  expect(loadConfig({}, { STOCKHOOK_PUBLIC_URL: LONGEST }).publicUrl).toBe(LONGEST);
  // The trailing slash is not part of the base: 184 characters with it are 183 without.
  expect(loadConfig({}, { STOCKHOOK_PUBLIC_URL: `${LONGEST}/` }).publicUrl).toBe(LONGEST);
  expect(() => loadConfig({}, { STOCKHOOK_PUBLIC_URL: TOO_LONG })).toThrow(REFUSAL);
  // The same refusal every time: it depends on the length alone.
  expect(() => loadConfig({}, { STOCKHOOK_PUBLIC_URL: `https://stock.example.com/${'y'.repeat(158)}` })).toThrow(REFUSAL);
});

it('`stockhook serve` with such a STOCKHOOK_PUBLIC_URL stops before opening anything, with one line on stderr and exit code 1', async () => {
  // Only PATH and the setting: nothing of this test run's environment reaches the child.
  const cwd = mkdtempSync(join(dir, 'serve-'));
  const r = await runCommand(process.execPath, ['--import', TSX, CLI, 'serve', '--port', '0'], {
    cwd,
    env: { PATH: process.env.PATH ?? '', STOCKHOOK_PUBLIC_URL: TOO_LONG },
    timeoutMs: 60_000,
  });
  expect(r.code).toBe(1);
  expect(r.err).toBe(`stockhook: ${REFUSAL}\n`);
  expect(r.out).toBe('');
  // Refused before anything was opened: not even the default ./data/stockhook.db was made.
  expect(readdirSync(cwd)).toEqual([]);
}, 70_000);

describeEachDb('the longest public URL accepted (seed 001: "reportUrl | String(255)")', (env) => {
  it('gives a reportUrl of exactly 255 characters in a real notification, and the receiver can fetch it', async () => {
    const rx = await Receiver.start(() => ({ status: 204 }));
    const { publicUrl } = loadConfig({}, { STOCKHOOK_PUBLIC_URL: LONGEST });
    // A server of its own over the suite's database, configured with that public URL.
    const stack = await compose(env().store, {
      settings: { allowPrivateTargets: true, publicUrl },
      dispatcher: { pollMs: 100 },
      http: { adminTokenHash: hashToken(ADMIN_TOKEN) },
    });
    try {
      const app = stack.app as App;
      const a = await env().newAccount();
      const w = await warehouse(env(), a);
      const p = await product(env(), a);
      const sub = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/longest'), format: 'kladana', stockType: 'stock', reportType: 'bystore' }, 201)).body;
      // The public API allows 60-300 s windows; a test shortens its own directly in the database.
      await env().store.db.updateTable('webhooks').set({ coalesce_seconds: 1 }).where('id', '=', sub.id).execute();
      const posted = await app.inject({ method: 'POST', url: '/api/v1/documents', headers: a.auth, payload: { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 3 }] } });
      expect(posted.statusCode).toBe(201);
      await eventually(() => rx.on('/longest').length === 1, 8000);
      const body = JSON.parse(rx.on('/longest')[0].body) as { reportUrl: string };
      expect(body.reportUrl).toMatch(/^https:\/\/stock\.example\.com\/p+\/api\/remap\/1\.2\/report\/stock\/bystore\/current\?fromDate=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      expect(body.reportUrl.startsWith(`${LONGEST}/api/`)).toBe(true);
      expect(body.reportUrl).toHaveLength(255);
      // What follows the public URL is this server's report.
      const report = await app.inject({ method: 'GET', url: body.reportUrl.slice(LONGEST.length), headers: a.auth });
      expect(report.json()).toEqual([{ assortmentId: p, storeId: w, stock: 3 }]);
    } finally {
      await stack.dispatcher?.stop(1000);
      await stack.app?.close();
      await rx.close();
    }
  }, 20_000);
});
