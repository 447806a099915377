import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, post, product, warehouse } from '../support/fixtures.js';
import { BROWSER_WAIT_MS } from '../support/wait.js';
import { createEnv, describeEachDb, type TestAccount, type TestEnv } from '../support/env.js';
import { Receiver } from '../support/receiver.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
// Only a developer machine without Chromium skips; in CI a missing browser is a failure.
const skipBrowser = !existsSync(CHROMIUM) && !process.env.CI;
if (skipBrowser) console.warn(`dashboard browser test skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);

describeEachDb('dashboard read APIs', (env) => {
  let a: TestAccount;
  beforeAll(async () => {
    a = await env().newAccount('paid');
  });

  it("lists the account's deliveries across subscriptions, filtered and paged", async () => {
    const rx = await Receiver.start();
    try {
      const w1 = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/one'), events: ['stock.changed'] }, 201)).body.id;
      const w2 = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/two'), events: ['stock.changed', 'document.posted'] }, 201)).body.id;
      const wh = await warehouse(env(), a);
      const p = await product(env(), a);
      await post(env(), a, { type: 'receipt', warehouseId: wh, lines: [{ productId: p, quantity: 3 }] });
      const all = (await call(env(), a, 'GET', '/api/v1/deliveries', undefined, 200)).body.data;
      expect(all.map((d: any) => d.webhookId).sort()).toEqual([w1, w2, w2].sort());
      const only2 = (await call(env(), a, 'GET', `/api/v1/deliveries?webhookId=${w2}&eventType=document.posted`, undefined, 200)).body.data;
      expect(only2).toHaveLength(1);
      expect((await call(env(), a, 'GET', `/api/v1/webhooks/${w2}/deliveries`, undefined, 200)).body.data).toHaveLength(2);
      const seen: string[] = [];
      let cursor = '';
      do {
        const page = (await call(env(), a, 'GET', `/api/v1/deliveries?limit=1${cursor && `&cursor=${cursor}`}`, undefined, 200)).body;
        seen.push(...page.data.map((d: any) => d.id));
        cursor = page.nextCursor ?? '';
      } while (cursor);
      expect(seen).toEqual(all.map((d: any) => d.id));
      await call(env(), a, 'GET', `/api/v1/deliveries?webhookId=${crypto.randomUUID()}`, undefined, 404);
      const other = await env().newAccount('paid');
      expect((await call(env(), other, 'GET', '/api/v1/deliveries', undefined, 200)).body.data).toEqual([]);
      for (const w of [w1, w2]) await call(env(), a, 'DELETE', `/api/v1/webhooks/${w}`, undefined, 204);
    } finally {
      await rx.close();
    }
  });

  it('buckets attempts with counts and nearest-rank p50 / p95 durations', async () => {
    const b = await env().newAccount('paid');
    const now = Date.now();
    const start = Math.floor((now - 600_000) / 60_000) * 60_000;
    const row = (i: number, at: number, ms: number, outcome: string) => ({
      account_id: b.id,
      delivery_id: `d-${i}`,
      webhook_id: 'w',
      attempt_no: 1,
      started_ms: at,
      duration_ms: ms,
      request_headers: '{}',
      outcome,
    });
    // Bucket 0: durations 1..20 in shuffled order, four failing; bucket 2: one attempt.
    const first = Array.from({ length: 20 }, (_, i) => row(i, start + 1000 + ((i * 7) % 20) * 100, i + 1, i % 5 === 0 ? 'retry' : 'succeeded'));
    await env().store.db.insertInto('attempts').values([...first, row(99, start + 120_500, 42.5, 'failed')]).execute();
    const res = await call(env(), b, 'GET', `/api/v1/stats/deliveries?since=${new Date(start + 5000).toISOString()}&bucketSeconds=60`, undefined, 200);
    const st = res.body;
    expect(st.since).toBe(new Date(start).toISOString());
    expect(st.buckets[0]).toEqual({ at: new Date(start).toISOString(), attempts: 20, succeeded: 16, failed: 4, p50Ms: 10, p95Ms: 19 });
    expect(st.buckets[1]).toMatchObject({ attempts: 0, p50Ms: null, p95Ms: null });
    expect(st.buckets[2]).toMatchObject({ attempts: 1, succeeded: 0, failed: 1, p50Ms: 42.5, p95Ms: 42.5 });
    expect(st.buckets.length).toBeGreaterThanOrEqual(10);
    expect(Date.parse(st.buckets.at(-1).at)).toBeLessThanOrEqual(Date.now());
    // Another account's attempts are not counted; the limits answer 400.
    expect((await call(env(), a, 'GET', `/api/v1/stats/deliveries?since=${new Date(start).toISOString()}`, undefined, 200)).body.buckets[0].attempts).toBe(0);
    await call(env(), b, 'GET', `/api/v1/stats/deliveries?since=${new Date(now - 8 * 86400_000).toISOString()}`, undefined, 400);
    await call(env(), b, 'GET', `/api/v1/stats/deliveries?since=${new Date(now - 3 * 3600_000).toISOString()}&bucketSeconds=10`, undefined, 400);
    await call(env(), b, 'GET', '/api/v1/stats/deliveries', undefined, 200);
    await call(env(), null, 'GET', '/api/v1/stats/deliveries', undefined, 401);
  });

  it('serves the dashboard files with their content types', async () => {
    for (const [url, type] of [['/ui', 'text/html'], ['/ui/', 'text/html'], ['/ui/app.js', 'text/javascript'], ['/ui/app.css', 'text/css'], ['/ui/charts.js', 'text/javascript'], ['/ui/forms/forms.css', 'text/css'], ['/ui/forms/line.js', 'text/javascript']]) {
      const res = await env().app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toContain(type);
    }
    // A missing file is 404; a name with a path in it never reaches the file system (400, by the
    // route's file-name pattern); dot segments are resolved away before routing.
    const refused: Array<[string, number, string]> = [
      ['/ui/nope.js', 404, 'NOT_FOUND'],
      ['/ui/forms/nope.js', 404, 'NOT_FOUND'],
      ['/ui/forms/..%2Fapp.js', 400, 'VALIDATION_FAILED'],
      ['/ui/forms/%2e%2e%2f..%2fpackage.json', 400, 'VALIDATION_FAILED'],
      ['/ui/..%2Fpackage.json', 400, 'VALIDATION_FAILED'],
      ['/ui/%2e%2e%2fREADME.md', 400, 'VALIDATION_FAILED'],
      ['/ui/..%5cpackage.json', 400, 'VALIDATION_FAILED'],
    ];
    // `/ui/..` resolves to `/`, which sends a browser to the dashboard.
    const up = await env().app.inject({ method: 'GET', url: '/ui/%2e%2e' });
    expect([up.statusCode, up.headers.location]).toEqual([302, '/ui/']);
    for (const [url, status, code] of refused) {
      const res = await env().app.inject({ method: 'GET', url });
      expect([res.statusCode, res.json().error.code], url).toEqual([status, code]);
      expect(res.body).not.toContain('stockhook');
    }
  });
});

describe.skipIf(skipBrowser)('dashboard in headless Chromium [sqlite]', () => {
  let env: TestEnv & { close(): Promise<void> };
  let rx: Receiver;
  let ctx: BrowserContext;
  let page: Page;
  let profile: string;
  let base: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: CI installs it in .ci/run (apt-get install -y chromium)`);
    env = await createEnv('sqlite', { dispatcher: { pollMs: 200 } });
    await env.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(env.app.server.address() as AddressInfo).port}`;
    // Fails the first request (with markup in the body, which must show as text), then succeeds.
    rx = await Receiver.start((_r, i) => (i === 0 ? { status: 500, body: '<img id="xss" src=x>boom' } : { status: 200, body: '{"ok":true}' }));
    profile = mkdtempSync(join(tmpdir(), 'stockhook-chromium-'));
    ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1440, height: 1000 } });
    ctx.setDefaultTimeout(BROWSER_WAIT_MS);
    page = ctx.pages()[0] ?? (await ctx.newPage());
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && pageErrors.push(`${m.text()} ${m.location().url}`));
  }, 60_000);

  afterAll(async () => {
    await ctx?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await rx?.close();
    await env?.close();
  });

  it('signs in, subscribes, follows a failed delivery through Retry, replays, and charts it', async () => {
    const a = await env.newAccount('paid');
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(base + path, { method, headers: { ...a.auth, ...(body !== undefined && { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return res.json() as Promise<any>;
    };
    const tid = (id: string) => page.locator(`[data-testid="${id}"]`);

    await page.goto(`${base}/ui`);
    await tid('token-input').fill('shk_not_a_token');
    await tid('sign-in').click();
    await expect.poll(() => tid('signin-error').textContent()).toContain('UNAUTHORIZED');
    await tid('token-input').fill(a.token);
    await tid('sign-in').click();
    // The stock comes first; the webhooks have their own tab.
    await tid('stock-view').waitFor();
    await tid('nav-webhooks').click();
    await tid('create-form').waitFor();

    await tid('create-url').fill(rx.url('/hook'));
    await tid('create-format').selectOption('native');
    await tid('create-events').locator('summary').click();
    await tid('create-events').locator('input[value="stock.changed"]').check();
    await tid('create-submit').click();
    await expect.poll(() => tid('secret-value').textContent()).toMatch(/^whsec_/);
    await expect.poll(() => tid('sub-row').count()).toBe(1);
    const [sub] = (await api('GET', '/api/v1/webhooks')).data;
    expect(sub).toMatchObject({ url: rx.url('/hook'), format: 'native', events: ['stock.changed'], followsVendorSchedule: true });
    // On its format's own schedule: the row carries no override mark.
    expect(await tid('sub-schedule-overridden').count()).toBe(0);
    // No automatic retries: the failed delivery waits for the Retry button (a pending one cannot be retried).
    expect((await api('PATCH', `/api/v1/webhooks/${sub.id}`, { retrySchedule: [] })).followsVendorSchedule).toBe(false);

    const wh = await api('POST', '/api/v1/warehouses', { name: 'Main' });
    const p = await api('POST', '/api/v1/products', { title: 'Nozzle', sku: 'PA-1', code: '150', unit: 'pcs' });
    await api('POST', '/api/v1/documents', { type: 'receipt', warehouseId: wh.id, lines: [{ productId: p.id, quantity: 5 }] });
    await rx.waitFor(1);

    const failed = page.locator('[data-testid="delivery-row"][data-status="failed"]');
    await expect.poll(async () => (await tid('log-refresh').click(), failed.count()), { timeout: 10_000 }).toBe(1);
    await failed.click();
    const first = page.locator('[data-testid="attempt"][data-attempt="1"]');
    await expect.poll(() => first.locator('[data-testid="attempt-status"]').textContent()).toBe('HTTP 500');
    expect(await first.locator('[data-testid="response-body"]').textContent()).toContain('<img id="xss"');
    expect(await page.locator('#xss').count()).toBe(0);
    expect(await first.locator('[data-testid="request-headers"]').textContent()).toContain('webhook-signature');

    await tid('retry').click();
    await page.locator('[data-testid="delivery-detail"][data-status="succeeded"]').waitFor({ timeout: 10_000 });
    const retried = await tid('delivery-detail').getAttribute('data-id');
    expect(await page.locator('[data-testid="attempt"][data-attempt="2"] [data-testid="attempt-status"]').textContent()).toBe('HTTP 200');
    expect(rx.requests).toHaveLength(2);
    await expect.poll(() => page.locator('[data-testid="delivery-row"][data-status="succeeded"]').count()).toBe(1);

    const secret = await tid('secret-value').textContent();
    await tid('sub-rotate').click();
    await expect.poll(() => tid('secret-value').textContent()).not.toBe(secret);
    await tid('sub-edit').click();
    await tid('edit-events').locator('summary').click();
    await tid('edit-events').locator('input[value="document.posted"]').check();
    await tid('edit-save').click();
    await expect.poll(async () => (await api('GET', `/api/v1/webhooks/${sub.id}`)).events).toEqual(['stock.changed', 'document.posted']);

    await tid('sub-replay').click();
    await tid('replay-start').click();
    await tid('confirm-yes').click();
    await page.locator('[data-testid="replay-progress"][data-status="done"]').waitFor({ timeout: 10_000 });
    expect(await tid('replay-status').textContent()).toMatch(/^done · (\d+)\/\1 events · 2 deliveries/);
    await rx.waitFor(4);

    // The range select redraws at once; four attempts: the 500, the retry, the replay's two.
    await tid('chart-range').selectOption('15m');
    const sum = (chart: string) =>
      page.locator(`[data-testid="${chart}"] rect[data-point]`).evaluateAll((els) => els.reduce((n, e) => n + Number(e.getAttribute('data-value')), 0));
    await expect.poll(() => sum('chart-deliveries'), { timeout: 10_000 }).toBe(4);
    expect(await sum('chart-failures')).toBe(1);
    expect(await page.locator('[data-testid="chart-latency"] circle[data-point]').count()).toBeGreaterThanOrEqual(2);

    await tid('sub-enabled').uncheck();
    await expect.poll(async () => (await api('GET', `/api/v1/webhooks/${sub.id}`)).enabled).toBe(false);
    await tid('sub-enabled').check();
    await expect.poll(async () => (await api('GET', `/api/v1/webhooks/${sub.id}`)).enabled).toBe(true);
    // The list, reloaded by the toggle, marks the overridden schedule (retrySchedule [] above).
    await expect.poll(() => tid('sub-schedule-overridden').textContent()).toBe('overridden: not the native schedule');

    const rows = page.locator('[data-testid="delivery-row"]');
    await tid('filter-status').selectOption('failed');
    await tid('filter-apply').click();
    await expect.poll(() => rows.count()).toBe(0);
    await tid('filter-status').selectOption('succeeded');
    await tid('filter-webhook').selectOption(sub.id);
    await tid('filter-apply').click();
    await expect.poll(() => rows.count()).toBe(3);

    await page.locator(`[data-testid="delivery-row"][data-id="${retried}"]`).click();
    await page.locator('[data-testid="attempt"][data-attempt="2"]').waitFor();
    await tid('toast').waitFor({ state: 'hidden', timeout: 6000 });
    mkdirSync('test-output', { recursive: true });
    const shot = resolve('test-output/dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`dashboard screenshot: ${shot}`);

    await tid('sign-out').click();
    await tid('signin-form').waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    // 401 from the deliberately wrong token is the only console error.
    expect(pageErrors.filter((e) => !e.includes('401'))).toEqual([]);
  }, 90_000);

  it('with a read token: every view reads, no control that writes is offered', async () => {
    const a = await env.newAccount('paid');
    const tid = (id: string) => page.locator(`[data-testid="${id}"]`);
    const sub = (await call(env, a, 'POST', '/api/v1/webhooks', { url: rx.url('/read-only'), events: ['stock.changed'] }, 201)).body;
    const wh = await warehouse(env, a, 'Read-only hall');
    const p = await product(env, a);
    await post(env, a, { type: 'receipt', warehouseId: wh, lines: [{ productId: p, quantity: 2 }] });
    const reader = (await call(env, a, 'POST', '/api/v1/tokens', { name: 'dashboard', scope: 'read' }, 201)).body.token as string;

    await page.goto(`${base}/ui`);
    await tid('token-input').fill(reader);
    await tid('sign-in').click();
    await tid('stock-view').waitFor();
    await expect.poll(() => tid('stock-view').textContent()).toContain('Read-only hall');
    expect(await tid('read-only').isVisible()).toBe(true);
    await tid('nav-webhooks').click();
    await expect.poll(() => tid('sub-row').count()).toBe(1);
    expect(await tid('sub-url').textContent()).toBe(sub.url);
    for (const control of ['create-form', 'sub-enabled', 'sub-edit', 'sub-test', 'sub-rotate', 'sub-replay']) {
      expect([control, await tid(control).isVisible()]).toEqual([control, false]);
    }
    expect(await tid('sub-deliveries').isVisible()).toBe(true);
    const row = page.locator('[data-testid="delivery-row"]');
    await expect.poll(async () => (await tid('log-refresh').click(), row.count()), { timeout: 10_000 }).toBe(1);
    await row.click();
    await tid('delivery-detail').waitFor();
    expect(await tid('retry').isVisible()).toBe(false);

    // Signing in again with a write token (back on the webhooks tab) offers the controls again.
    await tid('sign-out').click();
    await tid('token-input').fill(a.token);
    await tid('sign-in').click();
    await tid('create-form').waitFor();
    expect(await tid('read-only').isVisible()).toBe(false);
    expect(await tid('sub-edit').isVisible()).toBe(true);
    // Nothing was refused: no control tried a write with the read token.
    expect(pageErrors.filter((e) => !e.includes('401'))).toEqual([]);
  }, 90_000);
});
