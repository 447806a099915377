import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_WAIT_MS } from '../support/wait.js';
import { createEnv, type TestAccount, type TestEnv } from '../support/env.js';
import { apiFor, seedShop, type Api } from './shop-fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const skipBrowser = !existsSync(CHROMIUM) && !process.env.CI;
// Screenshots of the sorted lists and of a toast at both sizes (looked at by a person, not compared).
const SHOTS = resolve(process.env.STOCKHOOK_SHOTS ?? 'test-output/list-sorting');

describe.skipIf(skipBrowser)('sorting the Documents list and a product\'s movements by their headers, in headless Chromium [sqlite]', () => {
  let env: TestEnv & { close(): Promise<void> };
  let ctx: BrowserContext;
  let page: Page;
  let profile: string;
  let base: string;
  let a: TestAccount;
  let api: Api;
  let shop: Awaited<ReturnType<typeof seedShop>>;
  const pageErrors: string[] = [];
  const tid = (id: string) => page.locator(`[data-testid="${id}"]`);
  const hash = () => new URL(page.url()).hash;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: CI installs it in .ci/run (apt-get install -y chromium)`);
    env = await createEnv('sqlite');
    await env.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(env.app.server.address() as AddressInfo).port}`;
    a = await env.newAccount('paid');
    api = apiFor(base, a.auth);
    shop = await seedShop(env, a.id, api);
    profile = mkdtempSync(join(tmpdir(), 'stockhook-chromium-'));
    ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1440, height: 900 }, timezoneId: 'Europe/Ljubljana' });
    ctx.setDefaultTimeout(BROWSER_WAIT_MS);
    page = ctx.pages()[0] ?? (await ctx.newPage());
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && pageErrors.push(`${m.text()} ${m.location().url}`));
    await page.goto(`${base}/ui`);
    await tid('token-input').fill(a.token);
    await tid('sign-in').click();
    await tid('stock-view').waitFor();
    mkdirSync(SHOTS, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await ctx?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await env?.close();
  });

  const shownIds = () => tid('doc-row').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-id'))));
  const apiIds = async (q: string) => (await api('GET', `/api/v1/documents?limit=30${q}`)).data.map((d: any) => d.id);

  it('the Documents headers sort by type, warehouse, reference, number and posted time, both ways, as the API orders them', async () => {
    await page.goto(`${base}/ui#/documents`);
    await tid('doc-row').first().waitFor();
    // Unsorted: newest number first, the number header marked so. The first row can show before the
    // whole page is drawn: wait for the page.
    const unsorted = await apiIds('');
    await expect.poll(shownIds).toEqual(unsorted);
    await expect.poll(() => tid('sort-number').getAttribute('data-dir')).toBe('desc');
    for (const col of ['type', 'warehouse', 'reference', 'posted', 'number']) {
      await tid(`sort-${col}`).click();
      await expect.poll(hash).toContain(`sort=${col}&dir=asc`);
      await expect.poll(shownIds).toEqual(await apiIds(`&sort=${col}&dir=asc`));
      await expect.poll(() => tid(`sort-${col}`).getAttribute('data-dir')).toBe('asc');
      await tid(`sort-${col}`).click();
      await expect.poll(hash).not.toContain('dir=asc');
      await expect.poll(shownIds).toEqual(await apiIds(`&sort=${col}&dir=desc`));
      await expect.poll(() => tid(`sort-${col}`).getAttribute('data-dir')).toBe('desc');
    }
    // The orders are really by those columns (the shop's types and references differ).
    await tid('sort-type').click();
    await expect.poll(hash).toContain('sort=type&dir=asc');
    await expect.poll(shownIds).toEqual(await apiIds('&sort=type&dir=asc'));
    const types = await tid('doc-type').allTextContents();
    expect(types).toEqual([...types].sort());
    expect(new Set(types).size).toBeGreaterThan(5);
    await page.screenshot({ path: join(SHOTS, 'documents-sorted-1440.png'), fullPage: true });
    // A filter keeps the order, a reload keeps both.
    await tid('docs-search').fill('so-');
    await tid('docs-apply').click();
    await expect.poll(hash).toContain('q=so-');
    expect(hash()).toContain('sort=type');
    await page.reload();
    await expect.poll(() => tid('doc-reference').allTextContents()).toEqual((await api('GET', '/api/v1/documents?q=so-&sort=type&dir=asc')).data.map((d: any) => d.reference));

    // On a phone the table is cards; the sort buttons stay above them.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base}/ui#/documents`);
    await tid('doc-row').first().waitFor();
    await tid('sort-reference').click();
    await expect.poll(hash).toContain('sort=reference&dir=asc');
    await expect.poll(shownIds).toEqual(await apiIds('&sort=reference&dir=asc'));
    await page.screenshot({ path: join(SHOTS, 'documents-sorted-390.png'), fullPage: true });
    await page.setViewportSize({ width: 1440, height: 900 });
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it("a product's movements sort by time and by the change in amount, over the rows loaded, and say so", async () => {
    await page.goto(`${base}/ui#/history?productId=${shop.shoe.id}`);
    await tid('movement-row').first().waitFor();
    const moves = (await api('GET', `/api/v1/movements?productId=${shop.shoe.id}&limit=500`)).data as any[];
    expect(moves.length).toBeGreaterThan(3);
    const shown = () => tid('movement-row').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-movement-id'))));
    // As the API pages them: newest first.
    // The first row can show before the whole page and its note are drawn: wait for them.
    await expect.poll(shown).toEqual(moves.map((m) => m.id));
    await expect.poll(() => tid('sort-time').getAttribute('data-dir')).toBe('desc');
    await expect.poll(() => tid('movements-sort-note').textContent()).toBe(`Sorting orders all ${moves.length} movements in this scope.`);
    const byTime = (x: any, y: any) => Date.parse(x.createdAt) - Date.parse(y.createdAt) || x.id - y.id;
    await tid('sort-quantity').click();
    await expect.poll(shown).toEqual([...moves].sort((x, y) => x.amountDelta - y.amountDelta || byTime(x, y)).map((m) => m.id));
    const deltas = await tid('movement-row').evaluateAll((rows) => rows.map((r) => (r.querySelector('td:nth-child(4)')?.textContent ?? '').replace('−', '-').replace('+', '')));
    expect(deltas.map(Number)).toEqual([...deltas.map(Number)].sort((x, y) => x - y));
    await tid('sort-quantity').click();
    await expect.poll(shown).toEqual([...moves].sort((x, y) => y.amountDelta - x.amountDelta || byTime(y, x)).map((m) => m.id));
    await tid('sort-time').click();
    await expect.poll(shown).toEqual([...moves].sort(byTime).map((m) => m.id));
    expect(await tid('sort-time').getAttribute('data-dir')).toBe('asc');
    await page.screenshot({ path: join(SHOTS, 'movements-sorted-1440.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await tid('sort-quantity').click();
    await expect.poll(shown).toEqual([...moves].sort((x, y) => x.amountDelta - y.amountDelta || byTime(x, y)).map((m) => m.id));
    await page.screenshot({ path: join(SHOTS, 'movements-sorted-390.png'), fullPage: true });
    await page.setViewportSize({ width: 1440, height: 900 });

    // More movements than the first page (500): the note says the sort covers the loaded rows, and
    // rows loaded later join the order.
    const many = await api('POST', '/api/v1/products', { title: 'Spoke', sku: 'SP-1', code: 'C-SP-1', unit: 'pcs' });
    await api('POST', '/api/v1/documents', { type: 'receipt', warehouseId: shop.north.id, reference: 'PO-SPOKES', lines: Array.from({ length: 510 }, (_, i) => ({ productId: many.id, lot: `L${i}`, quantity: (i * 37) % 101 + 1 })) });
    await page.goto(`${base}/ui#/history?productId=${many.id}`);
    await tid('movement-row').first().waitFor();
    await expect.poll(() => tid('movements-sort-note').textContent()).toBe('Sorting orders the 500 movements loaded so far; “Older movements” loads more.');
    await tid('sort-quantity').click();
    await tid('movements-older').click();
    await expect.poll(() => tid('movement-row').count()).toBe(510);
    expect(await tid('movements-sort-note').textContent()).toBe('Sorting orders all 510 movements in this scope.');
    const all = (await api('GET', `/api/v1/movements?productId=${many.id}&limit=1000`)).data as any[];
    expect(await shown()).toEqual([...all].sort((x, y) => x.amountDelta - y.amountDelta || byTime(x, y)).map((m) => m.id));
  }, 90_000);

  it('a toast shows in the status bar under the header: the page moves down, no control is under it', async () => {
    for (const [w, hgt, size] of [[1440, 900, '1440'], [390, 844, '390']] as const) {
      await page.setViewportSize({ width: w, height: hgt });
      // A fresh page: an error toast stays until the next message.
      await page.goto(`${base}/ui#/stock`);
      await page.reload();
      await tid('stock-row').first().waitFor();
      expect(await tid('toast').isHidden()).toBe(true);
      const before = await tid('stock-apply').boundingBox();
      await tid('stock-at').fill('12/06/2026 2:37 PM');
      await tid('stock-apply').click();
      await tid('toast').waitFor();
      expect(await tid('toast').textContent()).toContain('YYYY-MM-DD HH:mm');
      const toast = (await tid('toast').boundingBox())!;
      const after = (await tid('stock-apply').boundingBox())!;
      // The button is pushed down by the bar's height, not laid under it.
      expect(after.y - before!.y).toBeCloseTo(toast.height, 0);
      expect(after.y).toBeGreaterThanOrEqual(toast.y + toast.height);
      await page.screenshot({ path: join(SHOTS, `toast-${size}.png`) });
      // Scrolled to the bottom, where the toast used to sit over the pager: a message shown there
      // (the app's own toast) sticks to the top of the window and the pager stays clear of it.
      await page.reload();
      await tid('stock-row').first().waitFor();
      await tid('stock-next').scrollIntoViewIfNeeded();
      await page.evaluate(`window.scrollTo(0, document.documentElement.scrollHeight)`);
      await page.evaluate(`import(location.origin + '/ui/dom.js').then((m) => m.toast('Queued again: same id, same bytes'))`);
      await tid('toast').waitFor();
      const bar = (await tid('toast').boundingBox())!;
      expect(bar.y).toBeCloseTo(0, 0);
      for (const b of ['stock-prev', 'stock-next']) {
        const box = (await tid(b).boundingBox())!;
        expect(box.y >= bar.y + bar.height || box.y + box.height <= bar.y, b).toBe(true);
      }
      await page.screenshot({ path: join(SHOTS, `toast-scrolled-${size}.png`) });
    }
    await page.setViewportSize({ width: 1440, height: 900 });
  }, 60_000);
});
