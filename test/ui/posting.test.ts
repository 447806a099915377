import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnv, type TestAccount, type TestEnv } from '../support/env.js';
import { Receiver } from '../support/receiver.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
// Only a developer machine without Chromium skips; in CI a missing browser is a failure.
const skipBrowser = !existsSync(CHROMIUM) && !process.env.CI;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const day = (n: number) => new Date(Date.now() + n * 86400_000).toISOString().slice(0, 10);
// Screenshots of every form at both sizes, to look at (not asserted, not committed).
const SHOTS = resolve(process.env.STOCKHOOK_SHOTS_DIR ?? 'test-output/forms');

describe.skipIf(skipBrowser)('posting from the dashboard in headless Chromium [sqlite]', () => {
  let env: TestEnv & { close(): Promise<void> };
  let rx: Receiver;
  let ctx: BrowserContext;
  let page: Page;
  let profile: string;
  let base: string;
  let a: TestAccount;
  let north: any, south: any, shoe: any, jacket: any, widget: any;
  const pageErrors: string[] = [];
  const keys: string[] = [];

  const tid = (id: string) => page.locator(`[data-testid="${id}"]`);
  const api = async (method: string, path: string, body?: unknown, token = a.token) => {
    const res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? null : (res.json() as Promise<any>);
  };
  const level = async (wh: number, productId: number, key: Record<string, string> = {}) => {
    const rows = (await api('GET', `/api/v1/stock?productId=${productId}&warehouseId=${wh}`)).data;
    const row = rows.find((r: any) => ['size', 'lot', 'expiry', 'serial', 'location'].every((k) => (r[k] ?? '') === (key[k] ?? '')));
    return row ? { amount: row.amount, reserved: row.reserved } : { amount: 0, reserved: 0 };
  };
  const docs = async (reference: string) => (await api('GET', '/api/v1/documents?limit=500')).data.filter((d: any) => d.reference === reference);
  const line = (i = 0): Locator => page.locator('[data-testid="line"]').nth(i);
  const pick = async (l: Locator, search: string, title: string) => {
    await l.locator('[data-testid=product-search]').fill(search);
    await l.locator('[data-testid=product-option]', { hasText: title }).click();
  };
  const openForm = async (kind: string) => {
    await page.goto(`${base}/ui#/post/${kind}`);
    await page.locator(`[data-testid=post-form][data-kind=${kind}]`).waitFor();
  };
  const shoot = async (name: string) => {
    mkdirSync(SHOTS, { recursive: true });
    for (const [w, hgt] of [[1440, 900], [390, 844]] as const) {
      await page.setViewportSize({ width: w, height: hgt });
      // Nothing sticks out of a phone's width, and the Post button is not covered.
      const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - window.innerWidth'));
      expect([name, w, overflow]).toEqual([name, w, 0]);
      await tid('post-submit').scrollIntoViewIfNeeded();
      expect([name, w, await tid('post-submit').evaluate((b) => {
        const r = b.getBoundingClientRect();
        return b.contains(b.ownerDocument.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2));
      })]).toEqual([name, w, true]);
      await page.screenshot({ path: join(SHOTS, `${name}-${w}.png`), fullPage: true });
    }
    await page.setViewportSize({ width: 1440, height: 900 });
  };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: CI installs it in .ci/run (apt-get install -y chromium)`);
    env = await createEnv('sqlite', { dispatcher: { pollMs: 200 } });
    await env.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(env.app.server.address() as AddressInfo).port}`;
    rx = await Receiver.start(() => ({ status: 200, body: '{"ok":true}' }));
    profile = mkdtempSync(join(tmpdir(), 'stockhook-chromium-'));
    ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1440, height: 900 } });
    page = ctx.pages()[0] ?? (await ctx.newPage());
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && pageErrors.push(`${m.text()} ${m.location().url}`));
    page.on('request', (r) => {
      if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/v1/documents') keys.push(r.headers()['idempotency-key'] ?? '');
    });

    a = await env.newAccount('paid');
    north = await api('POST', '/api/v1/warehouses', { name: 'North', code: 'N' });
    south = await api('POST', '/api/v1/warehouses', { name: 'South', code: 'S' });
    shoe = await api('POST', '/api/v1/products', { title: 'Trail Shoe', sku: 'TS-42', code: '4006381333931', unit: 'pair' });
    jacket = await api('POST', '/api/v1/products', { title: 'Rain Jacket', sku: 'RJ-1', code: '4006381000001', sizes: [{ value: 'M' }, { value: 'L' }] });
    widget = await api('POST', '/api/v1/products', { title: 'Widget', sku: 'W-1', code: '100', unit: 'pcs' });
    // The shoe is kept by lot and expiry: its forms offer those fields, the widget's do not.
    await api('POST', '/api/v1/documents', { type: 'receipt', warehouseId: north.id, lines: [{ productId: shoe.id, lot: 'L1', expiry: day(30), quantity: 10 }] });

    await page.goto(`${base}/ui`);
    await tid('token-input').fill(a.token);
    await tid('sign-in').click();
    await tid('nav-post').click();
    await page.locator('[data-testid=post-form][data-kind=receipt]').waitFor();
  }, 60_000);

  afterAll(async () => {
    await ctx?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await rx?.close();
    await env?.close();
  });

  it('posts a receipt, sale, count, transfer and reservation through their forms; the levels follow', async () => {
    // Receipt of the widget: a product whose stock has no lot or expiry shows no key fields.
    await tid('doc-warehouse').selectOption(String(north.id));
    await pick(line(), 'w-1', 'Widget');
    await expect.poll(() => line().locator('[data-testid=line-stock]').textContent()).toBe('Free here: 0 pcs · on hand 0');
    expect(await line().locator('[data-testid=key-lot]').isVisible()).toBe(false);
    expect(await line().locator('[data-testid=more-keys]').isVisible()).toBe(true);
    await line().locator('[data-testid=line-quantity]').fill('5');
    await tid('doc-reference').fill('PO-1');
    await shoot('receipt');
    await tid('post-submit').click();
    await tid('posted').waitFor();
    await page.screenshot({ path: join(SHOTS, 'receipt-posted-1440.png') });
    expect(await level(north.id, widget.id)).toEqual({ amount: 5, reserved: 0 });
    const [receipt] = await docs('PO-1');
    expect(receipt).toMatchObject({ type: 'receipt', warehouseId: north.id, lines: [{ productId: widget.id, quantity: 5 }] });
    expect(await tid('posted-link').getAttribute('href')).toBe(`#/documents/${receipt.id}`);

    // Sale of the shoe: its lot and expiry fields show; the free stock follows the key typed.
    await openForm('sale');
    await tid('doc-warehouse').selectOption(String(north.id));
    await pick(line(), 'trail', 'Trail Shoe');
    await line().locator('[data-testid=key-lot]').waitFor();
    expect(await line().locator('[data-testid=key-expiry]').isVisible()).toBe(true);
    expect(await line().locator('[data-testid=key-size]').count()).toBe(0);
    await expect.poll(() => line().locator('[data-testid=line-stock]').getAttribute('data-free')).toBe('0');
    await line().locator('[data-testid=key-lot]').fill('L1');
    await line().locator('[data-testid=key-expiry]').fill(day(30));
    await expect.poll(() => line().locator('[data-testid=line-stock]').getAttribute('data-free')).toBe('10');
    await line().locator('[data-testid=line-quantity]').fill('12');
    await expect.poll(() => line().locator('[data-testid=line-stock]').textContent()).toContain('more than is free (10)');
    await line().locator('[data-testid=line-quantity]').fill('3');
    await tid('doc-reference').fill('SO-1');
    await shoot('sale');
    await tid('post-submit').click();
    await tid('posted').waitFor();
    expect(await level(north.id, shoe.id, { lot: 'L1', expiry: day(30) })).toEqual({ amount: 7, reserved: 0 });

    // Count: the difference from the level on hand shows before posting.
    await openForm('count');
    await tid('doc-warehouse').selectOption(String(north.id));
    await pick(line(), 'TS-42', 'Trail Shoe');
    await line().locator('[data-testid=key-lot]').fill('L1');
    await line().locator('[data-testid=key-expiry]').fill(day(30));
    await line().locator('[data-testid=line-quantity]').fill('5');
    await expect.poll(() => line().locator('[data-testid=line-diff]').getAttribute('data-value')).toBe('-2');
    expect(await line().locator('[data-testid=line-diff]').textContent()).toBe('Difference: −2 pair');
    expect(await line().locator('[data-testid=line-stock]').textContent()).toBe('On hand now: 7 pair');
    await tid('doc-reference').fill('COUNT-1');
    await shoot('count');
    await tid('post-submit').click();
    await tid('posted').waitFor();
    expect(await level(north.id, shoe.id, { lot: 'L1', expiry: day(30) })).toEqual({ amount: 5, reserved: 0 });
    expect((await docs('COUNT-1'))[0]).toMatchObject({ type: 'count', lines: [{ quantity: 5, lot: 'L1' }] });

    // Transfer of two widgets from North to South.
    await openForm('transfer');
    await tid('doc-warehouse').selectOption(String(north.id));
    await tid('doc-to-warehouse').selectOption(String(south.id));
    await pick(line(), 'widget', 'Widget');
    await expect.poll(() => line().locator('[data-testid=line-stock]').getAttribute('data-free')).toBe('5');
    await line().locator('[data-testid=line-quantity]').fill('2');
    await tid('doc-reference').fill('TR-1');
    await shoot('transfer');
    await tid('post-submit').click();
    await tid('posted').waitFor();
    expect([await level(north.id, widget.id), await level(south.id, widget.id)]).toEqual([
      { amount: 3, reserved: 0 },
      { amount: 2, reserved: 0 },
    ]);

    // Reservation: reserve one, then release it with the same form's other action.
    await openForm('reservation');
    await tid('doc-warehouse').selectOption(String(north.id));
    await pick(line(), 'widget', 'Widget');
    await line().locator('[data-testid=line-quantity]').fill('1');
    await tid('doc-reference').fill('RES-1');
    await expect.poll(() => line().locator('[data-testid=line-stock]').getAttribute('data-free')).toBe('3');
    await shoot('reservation');
    await tid('post-submit').click();
    await tid('posted').waitFor();
    expect(await level(north.id, widget.id)).toEqual({ amount: 3, reserved: 1 });
    await tid('post-another').click();
    await tid('doc-type').selectOption('release');
    await tid('doc-warehouse').selectOption(String(north.id));
    await pick(line(), 'widget', 'Widget');
    await expect.poll(() => line().locator('[data-testid=line-stock]').textContent()).toBe('Reserved here: 1 pcs · on hand 3');
    await line().locator('[data-testid=line-quantity]').fill('1');
    await tid('post-submit').click();
    await tid('posted').waitFor();
    expect(await level(north.id, widget.id)).toEqual({ amount: 3, reserved: 0 });
    expect((await docs('RES-1')).map((d: any) => d.type)).toEqual(['reserve']);

    // Every post carried an Idempotency-Key, a fresh one per form.
    expect(keys).toHaveLength(6);
    expect(keys.every((k) => UUID.test(k))).toBe(true);
    expect(new Set(keys).size).toBe(6);
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it('a double click books once, and so does a post repeated after its answer was lost', async () => {
    await openForm('receipt');
    await tid('doc-warehouse').selectOption(String(south.id));
    await pick(line(), 'widget', 'Widget');
    await line().locator('[data-testid=line-quantity]').fill('1');
    await tid('doc-reference').fill('DBL-1');
    const before = await level(south.id, widget.id);
    await tid('post-submit').dblclick();
    await tid('posted').waitFor();
    expect(await docs('DBL-1')).toHaveLength(1);
    expect(await level(south.id, widget.id)).toEqual({ amount: before.amount + 1, reserved: 0 });

    // The server books the post but its answer never reaches the page: posting again sends the
    // same key, and the API answers with the stored document instead of booking a second one.
    await tid('post-another').click();
    await tid('doc-warehouse').selectOption(String(south.id));
    await pick(line(), 'widget', 'Widget');
    await line().locator('[data-testid=line-quantity]').fill('4');
    await tid('doc-reference').fill('LOST-1');
    const seen: Array<{ key: string; replayed: string | undefined; status: number }> = [];
    await page.route('**/api/v1/documents', async (route) => {
      const res = await route.fetch();
      seen.push({ key: route.request().headers()['idempotency-key'] ?? '', replayed: res.headers()['idempotent-replayed'], status: res.status() });
      if (seen.length === 1) await route.abort('connectionreset');
      else await route.fulfill({ response: res });
    });
    await tid('post-submit').click();
    await expect.poll(() => tid('form-error').textContent()).toContain('No answer from the server');
    await tid('post-submit').click();
    await tid('posted').waitFor();
    await page.unroute('**/api/v1/documents');
    expect(seen.map((s) => s.status)).toEqual([201, 201]);
    expect(seen[0].key).toMatch(UUID);
    expect(seen[1]).toEqual({ key: seen[0].key, replayed: 'true', status: 201 });
    expect(await docs('LOST-1')).toHaveLength(1);
    expect(await level(south.id, widget.id)).toEqual({ amount: before.amount + 5, reserved: 0 });
    pageErrors.length = 0; // the aborted request is logged as a console error on purpose
  }, 90_000);

  it("a refused post shows the API's error beside the field it concerns, and books nothing", async () => {
    // A sale of more than is free: the API's 422 names the stock key; the form shows it at the quantity.
    await openForm('sale');
    await tid('doc-warehouse').selectOption(String(south.id));
    await pick(line(), 'widget', 'Widget');
    await line().locator('[data-testid=line-quantity]').fill('999');
    const refused = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/documents' && r.request().method() === 'POST');
    const before = await level(south.id, widget.id);
    await tid('post-submit').click();
    expect((await (await refused).json()).error.code).toBe('INSUFFICIENT_STOCK');
    const qtyError = page.locator('[data-error-for="lines[0].quantity"]');
    await expect.poll(() => qtyError.textContent()).toBe(`Not enough free stock at this key (${before.amount} free)`);
    expect(await line().locator('[data-testid=line-quantity]').getAttribute('aria-invalid')).toBe('true');
    expect(await tid('form-error').textContent()).toBe('Not posted: see the fields marked.');
    expect(await level(south.id, widget.id)).toEqual(before);
    await shoot('sale-refused');

    // A sized product without its size: the API's UNKNOWN_SIZE shows at the size field of line 2.
    await openForm('receipt');
    await tid('doc-warehouse').selectOption(String(south.id));
    await pick(line(0), 'widget', 'Widget');
    await line(0).locator('[data-testid=line-quantity]').fill('1');
    await tid('add-line').click();
    await pick(line(1), 'jacket', 'Rain Jacket');
    await line(1).locator('[data-testid=key-size]').waitFor();
    await line(1).locator('[data-testid=line-quantity]').fill('2');
    await tid('post-submit').click();
    await expect.poll(() => page.locator('[data-error-for="lines[1].size"]').textContent()).toBe('Choose one of its sizes: M, L');
    expect(await page.locator('[data-error-for="lines[0].quantity"]').textContent()).toBe('');
    // The API's own validation (a schema error) lands by its field too: a quantity left empty.
    await line(1).locator('[data-testid=key-size]').selectOption('L');
    await line(1).locator('[data-testid=line-quantity]').fill('');
    await tid('post-submit').click();
    await expect.poll(() => page.locator('[data-error-for="lines[1].quantity"]').textContent()).toBe('Quantity received is required');
    expect(await page.locator('[data-error-for="lines[1].size"]').textContent()).toBe('');
    expect(await level(south.id, jacket.id, { size: 'L' })).toEqual({ amount: 0, reserved: 0 });
    // Fixed, it posts.
    await line(1).locator('[data-testid=line-quantity]').fill('2');
    await tid('post-submit').click();
    await tid('posted').waitFor();
    expect(await level(south.id, jacket.id, { size: 'L' })).toEqual({ amount: 2, reserved: 0 });
    expect(pageErrors.filter((e) => !/\b(400|422)\b/.test(e))).toEqual([]);
    pageErrors.length = 0;
  }, 90_000);

  it('cancelling a posted document asks first, then restores the level', async () => {
    const sale = await api('POST', '/api/v1/documents', { type: 'sale', warehouseId: south.id, reference: 'SO-CANCEL', lines: [{ productId: widget.id, quantity: 2 }] });
    const after = await level(south.id, widget.id);
    await page.goto(`${base}/ui#/documents/${sale.id}`);
    await tid('doc-cancel').click();
    await tid('confirm-dialog').waitFor();
    expect(await tid('confirm-dialog').textContent()).toContain('puts the sold quantities back');
    await page.screenshot({ path: join(SHOTS, 'cancel-confirm-1440.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(SHOTS, 'cancel-confirm-390.png') });
    // The dialog's buttons are what a tap at their centre reaches on a phone.
    for (const b of ['confirm-no', 'confirm-yes']) {
      expect([b, await tid(b).evaluate((el) => {
        const r = el.getBoundingClientRect();
        return el.contains(el.ownerDocument.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2)) && r.right <= el.ownerDocument.documentElement.clientWidth;
      })]).toEqual([b, true]);
    }
    await page.setViewportSize({ width: 1440, height: 900 });
    await tid('confirm-no').click();
    await tid('confirm-dialog').waitFor({ state: 'detached' });
    expect((await api('GET', `/api/v1/documents/${sale.id}`)).status).toBe('posted');
    await tid('doc-cancel').click();
    await tid('confirm-yes').click();
    await expect.poll(() => tid('doc-status').textContent()).toMatch(/^cancelled by #\d+$/);
    expect(await level(south.id, widget.id)).toEqual({ amount: after.amount + 2, reserved: 0 });
    // A cancelled document, and a reversal, offer no cancel.
    expect(await tid('doc-cancel').count()).toBe(0);
    await tid('doc-reversed-by').click();
    await expect.poll(() => tid('doc-status').textContent()).toBe(`cancels #${sale.id}`);
    expect(await tid('doc-cancel').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('a webhook is edited fully and deleted after asking; replay asks first and its outcome leaves Create uncovered', async () => {
    const sub = await api('POST', '/api/v1/webhooks', { url: rx.url('/one'), events: ['stock.changed'] });
    // The subscriptions list is read when the webhooks view opens with the page.
    await page.goto(`${base}/ui#/webhooks`);
    await page.reload();
    await expect.poll(() => tid('sub-row').count()).toBe(1);

    await tid('sub-edit').click();
    await tid('edit-url').fill('not a url');
    await tid('edit-save').click();
    await expect.poll(() => page.locator('[data-error-for="url"]').textContent()).toBe('URL is not a valid URL');
    await tid('edit-url').fill(rx.url('/two'));
    await tid('edit-retry').fill('1 2 30');
    await tid('edit-max-in-flight').fill('3');
    await tid('edit-bearer').fill('receiver-token');
    await tid('edit-basic-user').fill('shop');
    await tid('edit-basic-password').fill('pw');
    await tid('edit-enabled').uncheck();
    await tid('edit-events').locator('summary').click();
    await tid('edit-events').locator('input[value="document.posted"]').check();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join((mkdirSync(SHOTS, { recursive: true }), SHOTS), 'webhook-edit-390.png'), fullPage: true });
    // (The subscriptions table itself is the views' work; the edit form must fit the phone.)
    expect(await tid('edit-form').evaluate((f) => Math.max(...[f, ...f.querySelectorAll('*')].map((e) => e.getBoundingClientRect().right)) - f.ownerDocument.documentElement.clientWidth)).toBeLessThanOrEqual(0);
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.screenshot({ path: join(SHOTS, 'webhook-edit-1440.png'), fullPage: true });
    await tid('edit-save').click();
    await tid('edit-form').waitFor({ state: 'detached' });
    expect(await api('GET', `/api/v1/webhooks/${sub.id}`)).toMatchObject({
      url: rx.url('/two'),
      events: ['stock.changed', 'document.posted'],
      retrySchedule: [1, 2, 30],
      followsVendorSchedule: false,
      maxInFlight: 3,
      bearerToken: true,
      basicAuth: { username: 'shop' },
      enabled: false,
    });
    // Back to the format's schedule, the bearer token removed: only those two fields change.
    await tid('sub-edit').click();
    await tid('edit-retry').fill('');
    await tid('edit-bearer-remove').check();
    await tid('edit-enabled').check();
    await tid('edit-save').click();
    await tid('edit-form').waitFor({ state: 'detached' });
    expect(await api('GET', `/api/v1/webhooks/${sub.id}`)).toMatchObject({ followsVendorSchedule: true, bearerToken: false, basicAuth: { username: 'shop' }, enabled: true, maxInFlight: 3 });

    // Replay: nothing starts until it is confirmed.
    const replayPosts: string[] = [];
    page.on('request', (r) => r.method() === 'POST' && r.url().endsWith('/replay') && replayPosts.push(r.url()));
    await tid('sub-replay').click();
    await tid('replay-start').click();
    await tid('confirm-dialog').waitFor();
    await page.screenshot({ path: join(SHOTS, 'replay-confirm-1440.png') });
    await tid('confirm-no').click();
    await tid('confirm-dialog').waitFor({ state: 'detached' });
    expect(replayPosts).toEqual([]);
    await tid('replay-start').click();
    await tid('confirm-yes').click();
    await page.locator('[data-testid="replay-progress"][data-status="done"]').waitFor({ timeout: 15_000 });
    expect(replayPosts).toHaveLength(1);
    expect(await tid('replay-status').textContent()).toMatch(/^done · (\d+)\/\1 events · [1-9]\d* deliveries/);
    // Scrolled to the bottom edge of the window, where a toast would sit, Create is what a click hits.
    await tid('create-submit').evaluate((b) => b.scrollIntoView({ block: 'end' }));
    expect(await tid('create-submit').evaluate((b) => {
      const r = b.getBoundingClientRect();
      return b.contains(b.ownerDocument.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2));
    })).toBe(true);

    // Delete: "Keep" keeps it; confirmed, it is gone.
    await tid('sub-delete').click();
    await tid('confirm-no').click();
    await tid('confirm-dialog').waitFor({ state: 'detached' });
    expect((await api('GET', '/api/v1/webhooks')).data).toHaveLength(1);
    await tid('sub-delete').click();
    await tid('confirm-yes').click();
    await expect.poll(() => tid('sub-row').count()).toBe(0);
    expect((await api('GET', '/api/v1/webhooks')).data).toEqual([]);
    expect(pageErrors.filter((e) => !/\b400\b/.test(e))).toEqual([]);
    pageErrors.length = 0;
  }, 90_000);

  it('a read token sees no posting, cancelling or deleting controls', async () => {
    const reader = (await api('POST', '/api/v1/tokens', { name: 'reader', scope: 'read' })).token as string;
    await api('POST', '/api/v1/webhooks', { url: rx.url('/read') });
    const sale = (await docs('SO-1'))[0];
    await tid('sign-out').click();
    await tid('token-input').fill(reader);
    await tid('sign-in').click();
    await tid('read-only').waitFor();
    expect(await tid('nav-post').isVisible()).toBe(false);
    await page.goto(`${base}/ui#/post/sale`);
    await tid('post-read-only').waitFor();
    expect(await tid('post-form').count()).toBe(0);
    await page.goto(`${base}/ui#/documents/${sale.id}`);
    await tid('document-detail').waitFor();
    // The cancel button is added after the document is drawn: wait for the page to settle on it.
    await expect.poll(() => page.locator('#ledger').getAttribute('aria-busy')).toBe(null);
    expect(await tid('doc-cancel').isVisible().catch(() => false)).toBe(false);
    await page.goto(`${base}/ui#/webhooks`);
    await page.reload();
    await expect.poll(() => tid('sub-row').count()).toBe(1);
    expect(await tid('sub-delete').isVisible()).toBe(false);
    expect(await tid('sub-edit').isVisible()).toBe(false);
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
