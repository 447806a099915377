import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_WAIT_MS } from '../support/wait.js';
import { createEnv, type TestAccount, type TestEnv } from '../support/env.js';
import { pathOf, poster, send } from '../sources/senders.js';
import { layoutProblems } from './layout-check.js';
import { apiFor, type Api } from './shop-fixture.js';

/*
 * The dashboard's sources: a Poster till posts to its source as Poster does (seed
 * 004_a1bb63d8532f2e59.txt: a JSON POST signed by `verify`, a `stock` hook's `data` a JSON string
 * {type, element_id, storage_id, value_relative, value_absolute}), one hook naming a product the
 * source maps (by code), one naming a product nothing maps. The page shows the source's health,
 * its log and the kept row as text, and books the row when a mapping is added or a retry finds it.
 */

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const skipBrowser = !existsSync(CHROMIUM) && !process.env.CI;
// Screenshots at both sizes, to look at (not compared, not committed).
const SHOTS = resolve(process.env.STOCKHOOK_SHOTS_DIR ?? 'test-output/sources');
const SECRET = 'fe2bc8e865d8fc2236968ee53c3b2bd5';
// A vendor's id that would be markup if the page ever inserted it as HTML.
const HOSTILE = '<img src=x onerror="window.__hooked=1">';

const stockHook = (elementId: string | number, valueAbsolute: number, time: string) => ({
  account: 'api-demo',
  account_number: '813932',
  object: 'stock',
  object_id: 1,
  action: 'changed',
  time,
  data: { type: 2, element_id: elementId, storage_id: 1, value_relative: 0, value_absolute: valueAbsolute },
});

describe.skipIf(skipBrowser)('the sources view in headless Chromium [sqlite]', () => {
  let env: TestEnv & { close(): Promise<void> };
  let ctx: BrowserContext;
  let page: Page;
  let profile: string;
  let base: string;
  let a: TestAccount;
  let api: Api;
  let bar: number;
  let espresso: number;
  let oat: number;
  let src: { id: number; url: string; name: string };
  const pageErrors: string[] = [];
  const tid = (id: string) => page.locator(`[data-testid="${id}"]`);
  const level = async (productId: number) => {
    const rows = (await api('GET', `/api/v1/stock?productId=${productId}&warehouseId=${bar}`)).data as any[];
    return rows.reduce((n, r) => n + r.amount, 0);
  };
  const signInWith = async (token: string) => {
    await tid('sign-out').click();
    await tid('token-input').fill(token);
    await tid('sign-in').click();
    // Signing in again keeps the view the hash names: wait for the session, not for a view.
    await tid('sign-out').waitFor();
  };
  const settled = async () => {
    await tid('source-page').waitFor();
    await expect.poll(() => page.locator('#ledger').getAttribute('aria-busy')).toBe(null);
  };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: CI installs it in .ci/run (apt-get install -y chromium)`);
    env = await createEnv('sqlite');
    await env.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(env.app.server.address() as AddressInfo).port}`;
    a = await env.newAccount('paid');
    api = apiFor(base, a.auth);
    // Poster's storage_id 1 is the warehouse coded "1"; its element_id 42 the product coded "42".
    bar = (await api('POST', '/api/v1/warehouses', { name: 'Bar', code: '1' })).id;
    espresso = (await api('POST', '/api/v1/products', { title: 'Espresso beans', code: '42' })).id;
    oat = (await api('POST', '/api/v1/products', { title: 'Oat milk', sku: 'OAT-1' })).id;
    src = await api('POST', '/api/v1/sources', { name: 'Poster till', format: 'poster', secret: SECRET, mapping: 'code' });
    const path = pathOf(src.url);
    const mapped = await send(base, poster(path, SECRET, stockHook(42, 7, '1700000000')));
    const kept = await send(base, poster(path, SECRET, stockHook(HOSTILE, 5, '1700000001')));
    expect([mapped.status, kept.status]).toEqual([200, 200]);
    expect(await level(espresso)).toBe(7);
    profile = mkdtempSync(join(tmpdir(), 'stockhook-chromium-'));
    ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1440, height: 900 }, timezoneId: 'Europe/Ljubljana' });
    ctx.setDefaultTimeout(BROWSER_WAIT_MS);
    await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
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

  it('lists the source with its format, URL (copied by its button), last request and 1 unmatched row', async () => {
    await tid('nav-sources').click();
    await tid('source-row').first().waitFor();
    expect(await tid('source-row').count()).toBe(1);
    const row = tid('source-row');
    expect(await row.locator('[data-testid=source-name]').textContent()).toBe('Poster till');
    expect(await row.locator('[data-testid=source-format]').textContent()).toBe('poster');
    expect(await row.locator('[data-testid=source-url]').textContent()).toBe(src.url);
    expect(await row.locator('[data-testid=source-last-outcome]').textContent()).toBe('unmatched');
    expect(await row.locator('[data-testid=source-health]').textContent()).toBe('rows unmatched');
    expect(await row.locator('[data-testid=source-unmatched]').textContent()).toBe('1');
    await row.locator('[data-testid=source-copy]').click();
    await expect.poll(() => page.evaluate(() => (globalThis as any).navigator.clipboard.readText())).toBe(src.url);
    await page.screenshot({ path: join(SHOTS, 'sources-desktop.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it("the source page shows both requests in its log and the kept row as text, never as markup", async () => {
    await tid('source-name').click();
    await settled();
    expect(await tid('source-title').textContent()).toBe('Poster till');
    expect(await tid('request-row').count()).toBe(2);
    // Newest first: the hook nothing maps, then the one booked.
    expect(await tid('request-outcome').allTextContents()).toEqual(['unmatched', 'booked']);
    expect(await tid('request-verified').allTextContents()).toEqual(['signature verified', 'signature verified']);
    expect(await tid('request-answer').allTextContents()).toEqual(['answered 200', 'answered 200']);
    const booked = tid('request-row').nth(1);
    const docs = (await api('GET', '/api/v1/documents?limit=10')).data as any[];
    expect(await booked.locator('[data-testid=request-detail] a').textContent()).toBe(`#${docs[0].id}`);
    await booked.locator('[data-testid=request-body] summary').click();
    const body = await booked.locator('[data-testid=request-body-text]').textContent();
    expect(JSON.parse(body!)).toMatchObject({ account: 'api-demo', object: 'stock', time: '1700000000' });
    // The kept row: the vendor's own row, as text; the hostile id is letters on the page.
    expect(await tid('unmatched-row').count()).toBe(1);
    expect(await tid('unmatched-product').textContent()).toBe(`product ${HOSTILE}`);
    expect(JSON.parse((await tid('unmatched-raw').textContent())!)).toEqual({ type: 2, element_id: HOSTILE, storage_id: 1, value_relative: 0, value_absolute: 5 });
    await tid('request-row').first().locator('[data-testid=request-body] summary').click();
    expect(await tid('request-row').first().locator('[data-testid=request-body-text]').textContent()).toContain('onerror');
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as any).__hooked)).toBeUndefined();
    await page.screenshot({ path: join(SHOTS, 'source-page-desktop.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('at 390×844 the list and the source page fit the screen and no control is covered', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await page.goto(`${base}/ui#/sources`);
      await tid('source-row').waitFor();
      await page.screenshot({ path: join(SHOTS, 'sources-phone.png'), fullPage: true });
      const list = await layoutProblems(page);
      await page.goto(`${base}/ui#/sources/${src.id}`);
      await settled();
      await tid('unmatched-map').click();
      await tid('map-form').waitFor();
      await page.screenshot({ path: join(SHOTS, 'source-page-phone.png'), fullPage: true });
      const one = await layoutProblems(page);
      expect({ list, one }).toEqual({ list: [], one: [] });
    } finally {
      await page.setViewportSize({ width: 1440, height: 900 });
    }
  }, 60_000);

  it('a read token sees the rows but no mapping or retry controls', async () => {
    const reader = (await api('POST', '/api/v1/tokens', { name: 'reader', scope: 'read' })).token as string;
    await signInWith(reader);
    await page.goto(`${base}/ui#/sources/${src.id}`);
    await settled();
    expect(await tid('unmatched-row').count()).toBe(1);
    expect(await tid('unmatched-retry').count()).toBe(1);
    expect(await tid('unmatched-retry').isVisible()).toBe(false);
    expect(await tid('unmatched-map').isVisible()).toBe(false);
    await signInWith(a.token);
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('a mapping added on the page books the kept row; a retry books a row once its product exists', async () => {
    await page.goto(`${base}/ui#/sources/${src.id}`);
    await settled();
    await tid('unmatched-map').click();
    await tid('map-form').waitFor();
    // The row's reason names the product, so the form maps a product, keyed by the vendor's id.
    expect(await tid('map-kind').inputValue()).toBe('product');
    expect(await tid('map-external').inputValue()).toBe(HOSTILE);
    await tid('map-target').selectOption(String(oat));
    await tid('map-save').click();
    await tid('unmatched-none').waitFor();
    expect(await tid('source-unmatched').textContent()).toBe('0');
    expect((await api('GET', `/api/v1/sources/${src.id}`)).health.unmatched).toBe(0);
    expect(await level(oat)).toBe(5);
    expect((await api('GET', `/api/v1/sources/${src.id}/mappings`)).data).toMatchObject([{ kind: 'product', externalId: HOSTILE, targetId: oat }]);

    // A hook naming Poster's product 77, which nothing is coded as yet: kept; then the product is
    // given that code, and the page's retry books it.
    expect((await send(base, poster(pathOf(src.url), SECRET, stockHook(77, 3, '1700000002')))).status).toBe(200);
    await page.reload();
    await settled();
    expect(await tid('source-unmatched').textContent()).toBe('1');
    const latte = (await api('POST', '/api/v1/products', { title: 'Latte cups', code: '77' })).id;
    await tid('unmatched-retry').click();
    await tid('unmatched-none').waitFor();
    expect((await api('GET', `/api/v1/sources/${src.id}`)).health.unmatched).toBe(0);
    expect(await level(latte)).toBe(3);
    await page.goto(`${base}/ui#/sources`);
    await tid('source-row').waitFor();
    expect(await tid('source-unmatched').textContent()).toBe('0');
    expect(pageErrors).toEqual([]);
  }, 90_000);
  it('a request signed with the wrong secret shows as not verified and refused, and the source as failing', async () => {
    // Poster's verify computed with another secret: the source answers Poster's refusal and books nothing.
    const res = await send(base, poster(pathOf(src.url), 'not-the-secret', stockHook(42, 1, '1700000003')));
    expect(res.status).toBe(403);
    // The list is already open from the test before: a reload draws it afresh.
    await page.goto(`${base}/ui#/sources`);
    await page.reload();
    await tid('source-row').waitFor();
    expect(await tid('source-health').textContent()).toBe('failing');
    expect(await tid('source-last-outcome').textContent()).toBe('refused');
    await tid('source-name').click();
    await settled();
    const newest = tid('request-row').first();
    expect(await newest.locator('[data-testid=request-verified]').textContent()).toMatch(/^not verified/);
    expect(await newest.locator('[data-testid=request-answer]').textContent()).toBe('answered 403');
    expect(await newest.locator('[data-testid=request-outcome]').textContent()).toBe('refused');
    expect(await level(espresso)).toBe(7);
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
