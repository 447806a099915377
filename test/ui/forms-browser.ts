import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { BROWSER_WAIT_MS } from '../support/wait.js';
import { createEnv, type TestAccount, type TestEnv } from '../support/env.js';
import { Receiver } from '../support/receiver.js';

// The browser, server and shop the posting-form tests share (posting.test.ts, confirmations.test.ts).

export const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
// Only a developer machine without Chromium skips; in CI a missing browser is a failure.
export const skipBrowser = !existsSync(CHROMIUM) && !process.env.CI;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const day = (n: number) => new Date(Date.now() + n * 86400_000).toISOString().slice(0, 10);
// Screenshots of every form at both sizes, to look at (not asserted, not committed).
export const SHOTS = resolve(process.env.STOCKHOOK_SHOTS_DIR ?? 'test-output/forms');

/** Whether a click at the centre of the element reaches it (nothing covers it) and it fits the width. */
export async function reachable(l: Locator): Promise<boolean> {
  return l.evaluate((el) => {
    const r = el.getBoundingClientRect();
    return el.contains(el.ownerDocument.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2)) && r.right <= el.ownerDocument.documentElement.clientWidth;
  });
}

export class FormsBrowser {
  env!: TestEnv & { close(): Promise<void> };
  rx!: Receiver;
  ctx!: BrowserContext;
  page!: Page;
  profile = '';
  base = '';
  a!: TestAccount;
  north: any;
  south: any;
  shoe: any;
  jacket: any;
  widget: any;
  readonly pageErrors: string[] = [];
  /** The Idempotency-Key of every document POST the page sent. */
  readonly keys: string[] = [];

  tid = (id: string) => this.page.locator(`[data-testid="${id}"]`);
  api = async (method: string, path: string, body?: unknown, token = this.a.token) => {
    const res = await fetch(this.base + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? null : (res.json() as Promise<any>);
  };
  level = async (wh: number, productId: number, key: Record<string, string> = {}) => {
    const rows = (await this.api('GET', `/api/v1/stock?productId=${productId}&warehouseId=${wh}`)).data;
    const row = rows.find((r: any) => ['size', 'lot', 'expiry', 'serial', 'location'].every((k) => (r[k] ?? '') === (key[k] ?? '')));
    return row ? { amount: row.amount, reserved: row.reserved } : { amount: 0, reserved: 0 };
  };
  docs = async (reference: string) => (await this.api('GET', '/api/v1/documents?limit=500')).data.filter((d: any) => d.reference === reference);
  line = (i = 0): Locator => this.page.locator('[data-testid="line"]').nth(i);
  pick = async (l: Locator, search: string, title: string) => {
    await l.locator('[data-testid=product-search]').fill(search);
    await l.locator('[data-testid=product-option]', { hasText: title }).click();
  };
  openForm = async (kind: string) => {
    // Already there (a result shown): the kind's own tab opens a fresh form.
    if (new URL(this.page.url()).hash === `#/post/${kind}`) await this.tid(`post-tab-${kind}`).click();
    else await this.page.goto(`${this.base}/ui#/post/${kind}`);
    await this.page.locator(`[data-testid=post-form][data-kind=${kind}]`).waitFor();
  };
  /** Screenshots at 1440×900 and 390×844; at both nothing sticks out and the Post button is reachable. */
  shoot = async (name: string) => {
    const page = this.page;
    mkdirSync(SHOTS, { recursive: true });
    for (const [w, hgt] of [[1440, 900], [390, 844]] as const) {
      await page.setViewportSize({ width: w, height: hgt });
      const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - window.innerWidth'));
      expect([name, w, overflow]).toEqual([name, w, 0]);
      await this.tid('post-submit').scrollIntoViewIfNeeded();
      expect([name, w, await reachable(this.tid('post-submit'))]).toEqual([name, w, true]);
      await page.screenshot({ path: join(SHOTS, `${name}-${w}.png`), fullPage: true });
    }
    await page.setViewportSize({ width: 1440, height: 900 });
  };

  /** Starts the server and the browser, creates the shop and signs in with its write token. */
  async open(): Promise<this> {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: CI installs it in .ci/run (apt-get install -y chromium)`);
    this.env = await createEnv('sqlite', { dispatcher: { pollMs: 200 } });
    await this.env.app.listen({ port: 0, host: '127.0.0.1' });
    this.base = `http://127.0.0.1:${(this.env.app.server.address() as AddressInfo).port}`;
    this.rx = await Receiver.start(() => ({ status: 200, body: '{"ok":true}' }));
    this.profile = mkdtempSync(join(tmpdir(), 'stockhook-chromium-'));
    this.ctx = await chromium.launchPersistentContext(this.profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1440, height: 900 } });
    this.ctx.setDefaultTimeout(BROWSER_WAIT_MS);
    const page = (this.page = this.ctx.pages()[0] ?? (await this.ctx.newPage()));
    page.on('pageerror', (e) => this.pageErrors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && this.pageErrors.push(`${m.text()} ${m.location().url}`));
    page.on('request', (r) => {
      if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/v1/documents') this.keys.push(r.headers()['idempotency-key'] ?? '');
    });

    this.a = await this.env.newAccount('paid');
    const api = this.api;
    this.north = await api('POST', '/api/v1/warehouses', { name: 'North', code: 'N' });
    this.south = await api('POST', '/api/v1/warehouses', { name: 'South', code: 'S' });
    this.shoe = await api('POST', '/api/v1/products', { title: 'Trail Shoe', sku: 'TS-42', code: '4006381333931', unit: 'pair' });
    this.jacket = await api('POST', '/api/v1/products', { title: 'Rain Jacket', sku: 'RJ-1', code: '4006381000001', sizes: [{ value: 'M' }, { value: 'L' }] });
    this.widget = await api('POST', '/api/v1/products', { title: 'Widget', sku: 'W-1', code: '100', unit: 'pcs' });
    // The shoe is kept by lot and expiry: its forms offer those fields, the widget's do not.
    await api('POST', '/api/v1/documents', { type: 'receipt', warehouseId: this.north.id, lines: [{ productId: this.shoe.id, lot: 'L1', expiry: day(30), quantity: 10 }] });

    await page.goto(`${this.base}/ui`);
    await this.tid('token-input').fill(this.a.token);
    await this.tid('sign-in').click();
    await this.tid('nav-post').click();
    await page.locator('[data-testid=post-form][data-kind=receipt]').waitFor();
    return this;
  }

  async close(): Promise<void> {
    await this.ctx?.close();
    if (this.profile) rmSync(this.profile, { recursive: true, force: true });
    await this.rx?.close();
    await this.env?.close();
  }
}
