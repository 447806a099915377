import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEnv, type TestAccount, type TestEnv } from '../support/env.js';
import { Receiver } from '../support/receiver.js';
import { eventually, BROWSER_WAIT_MS } from '../support/wait.js';
import { layoutProblems } from './layout-check.js';
import { apiFor, seedShop, shopReply, shopWebhooks, type Api } from './shop-fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const skipBrowser = !existsSync(CHROMIUM) && !process.env.CI;
// Screenshots of every view at both sizes (looked at by a person, not compared).
const SHOTS = resolve(process.env.STOCKHOOK_SHOTS ?? 'test-output/daily-views');

/** A CSV body (RFC 4180, CRLF) as rows of cells. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(cell), (cell = '');
    else if (c === '\r' && text[i + 1] === '\n') row.push(cell), rows.push(row), (row = []), (cell = ''), i++;
    else cell += c;
  }
  return rows;
}
const str = (v: unknown) => (v === null || v === undefined ? '' : String(v));

describe.skipIf(skipBrowser)('the daily views in headless Chromium [sqlite]', () => {
  let env: TestEnv & { close(): Promise<void> };
  let rx: Receiver;
  let ctx: BrowserContext;
  let page: Page;
  let profile: string;
  let base: string;
  let a: TestAccount;
  let api: Api;
  let shop: Awaited<ReturnType<typeof seedShop>>;
  let hooks: Awaited<ReturnType<typeof shopWebhooks>>;
  const pageErrors: string[] = [];
  const tid = (id: string) => page.locator(`[data-testid="${id}"]`);

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: CI installs it in .ci/run (apt-get install -y chromium)`);
    // A long breaker cooldown: once paused, the sick endpoint stays paused for the whole run.
    env = await createEnv('sqlite', { dispatcher: { pollMs: 100, breaker: { threshold: 3, cooldownMs: 600_000, maxCooldownMs: 600_000 } } });
    await env.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(env.app.server.address() as AddressInfo).port}`;
    rx = await Receiver.start(shopReply);
    a = await env.newAccount('paid');
    api = apiFor(base, a.auth);
    hooks = await shopWebhooks(api, rx);
    shop = await seedShop(env, a.id, api);
    profile = mkdtempSync(join(tmpdir(), 'stockhook-chromium-'));
    ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1440, height: 900 }, acceptDownloads: true, timezoneId: 'Europe/Ljubljana' });
    ctx.setDefaultTimeout(BROWSER_WAIT_MS);
    page = ctx.pages()[0] ?? (await ctx.newPage());
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && pageErrors.push(`${m.text()} ${m.location().url}`));
    await page.goto(`${base}/ui`);
    await tid('token-input').fill(a.token);
    await tid('sign-in').click();
    await tid('stock-view').waitFor();
  }, 120_000);

  afterAll(async () => {
    await ctx?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await rx?.close();
    await env?.close();
  });

  /** Every view: its route and the element that proves it is drawn. */
  const views = () => {
    const sale = shop.docs.find((d) => d.reference === 'SO-77');
    return [
      ['stock', '#/stock', 'stock-row'],
      ['stock-sorted', '#/stock?sort=free&dir=desc&zero=1', 'stock-row'],
      ['history', `#/history?productId=${shop.beans.id}`, 'movement-row'],
      ['documents', '#/documents', 'doc-row'],
      ['document', `#/documents/${sale.id}`, 'document-detail'],
      ['events', '#/events', 'tail-row'],
      ['webhooks', '#/webhooks', 'sub-row'],
    ] as const;
  };

  it('a reload keeps the person signed in and on the view they were on, on every view', async () => {
    const events = (await api('GET', '/api/v1/events?last=1')).data;
    const delivery = (await api('GET', `/api/v1/deliveries?webhookId=${hooks.ok.id}&limit=1`)).data;
    const all = [...views(), ['event', `#/events/${events[0].id}`, 'event-detail']] as Array<readonly [string, string, string]>;
    if (delivery.length) all.push(['delivery', `#/deliveries/${delivery[0].id}`, 'delivery-page']);
    for (const [name, hash, proof] of all) {
      await page.goto(`${base}/ui${hash}`);
      await tid(proof).first().waitFor();
      await page.reload();
      await tid(proof).first().waitFor();
      expect([name, await page.locator('#signin').isVisible(), new URL(page.url()).hash]).toEqual([name, false, hash]);
      expect(await tid('sign-out').isVisible()).toBe(true);
    }
  }, 120_000);

  it('sorts, filters (zero stock hidden by default, ship, reference search), totals and exports what the API gives', async () => {
    await page.goto(`${base}/ui#/stock`);
    await tid('stock-row').first().waitFor();
    // Zero-stock keys are hidden until asked for.
    const api1 = (await api('GET', '/api/v1/stock?withProduct=true&nonZero=true&limit=50')).data;
    await expect.poll(() => tid('stock-row').count()).toBe(api1.length);
    expect(await page.locator(`[data-testid=stock-row][data-product-id="${shop.others[9].id}"]`).count()).toBe(0);
    await tid('stock-zero').check();
    await page.locator(`[data-testid=stock-row][data-product-id="${shop.others[9].id}"]`).waitFor();
    expect(new URL(page.url()).hash).toContain('zero=1');
    await tid('stock-zero').uncheck();
    await expect.poll(() => page.locator(`[data-testid=stock-row][data-product-id="${shop.others[9].id}"]`).count()).toBe(0);
    // Units beside the quantities.
    expect(await page.locator(`[data-testid=stock-row][data-product-id="${shop.shoe.id}"] [data-testid=stock-unit]`).first().textContent()).toBe('pair');

    // Sort by free, descending, then ascending: the server's order (every page), shown as it comes.
    await tid('sort-free').click();
    await expect.poll(() => new URL(page.url()).hash).toContain('sort=free&dir=asc');
    await tid('sort-free').click();
    await expect.poll(() => new URL(page.url()).hash).toContain('dir=desc');
    const byFree = (await api('GET', '/api/v1/stock?withProduct=true&nonZero=true&sort=free&dir=desc&limit=50')).data;
    const shownFree = () => tid('stock-free').evaluateAll((els) => els.map((e) => Number((e.textContent ?? '').replace('out', '').trim())));
    await expect.poll(shownFree).toEqual(byFree.map((l: any) => l.free));
    expect(byFree.map((l: any) => l.free)).toEqual([...byFree.map((l: any) => l.free)].sort((x, y) => y - x));
    expect(await tid('sort-free').getAttribute('data-dir')).toBe('desc');

    // Totals over every matching key: overall and per warehouse, as the API sums them.
    const totals = await api('GET', '/api/v1/stock/totals?nonZero=true&sort=free&dir=desc');
    await expect.poll(() => tid('stock-total-all').getAttribute('data-amount')).toBe(String(totals.all.amount));
    expect(await tid('stock-total-warehouse').evaluateAll((els) => els.map((e) => [Number(e.getAttribute('data-warehouse-id')), Number(e.getAttribute('data-amount'))]))).toEqual(
      totals.warehouses.map((w: any) => [w.warehouseId, w.amount]),
    );
    const shoeTotal = totals.products.find((p: any) => p.productId === shop.shoe.id);
    expect(await page.locator(`[data-testid=stock-product-total][data-product-id="${shop.shoe.id}"]`).first().textContent()).toContain(`all ${shoeTotal.keys} keys: ${shoeTotal.amount} held`);

    // The CSV export: the rows the API lists for the same filters and order.
    const [dl] = await Promise.all([page.waitForEvent('download'), tid('stock-export').click()]);
    const csv = parseCsv(readFileSync((await dl.path()) as string, 'utf8'));
    const every = (await api('GET', '/api/v1/stock?withProduct=true&nonZero=true&sort=free&dir=desc')).data;
    expect(csv[0].slice(0, 4)).toEqual(['productId', 'sku', 'code', 'title']);
    expect(csv.slice(1)).toEqual(every.map((l: any) => [str(l.productId), l.product.sku, l.product.code, l.product.title, l.product.unit, str(l.warehouseId), str(l.size), str(l.lot), str(l.expiry), str(l.serial), str(l.location), str(l.amount), str(l.reserved), str(l.free), l.updatedAt]));

    // A product's movements as CSV, from its history.
    await page.goto(`${base}/ui#/history?productId=${shop.shoe.id}`);
    await tid('movement-row').first().waitFor();
    const [mdl] = await Promise.all([page.waitForEvent('download'), tid('movements-export').click()]);
    const mcsv = parseCsv(readFileSync((await mdl.path()) as string, 'utf8'));
    const moves = (await api('GET', `/api/v1/movements?productId=${shop.shoe.id}&limit=1000`)).data;
    expect(mcsv.slice(1).map((r) => [Number(r[0]), r[3], r[4], Number(r[12]), Number(r[14])])).toEqual(moves.map((m: any) => [m.id, m.document.type, str(m.document.reference), m.amountDelta, m.amount]));

    // Documents: the ship type, a search by reference, oldest first.
    await page.goto(`${base}/ui#/documents`);
    await tid('doc-row').first().waitFor();
    await tid('docs-type').selectOption('ship');
    await tid('docs-apply').click();
    await expect.poll(() => tid('doc-type').allTextContents()).toEqual(['ship']);
    await tid('docs-type').selectOption('');
    await tid('docs-search').fill('so-7');
    await tid('docs-apply').click();
    await expect.poll(() => tid('doc-reference').allTextContents()).toEqual(['SO-79', 'SO-78', 'SO-77']);
    await tid('sort-posted').click();
    await expect.poll(() => tid('doc-reference').allTextContents()).toEqual(['SO-77', 'SO-78', 'SO-79']);
    await page.reload();
    await expect.poll(() => tid('doc-reference').allTextContents()).toEqual(['SO-77', 'SO-78', 'SO-79']);
    expect(await tid('docs-search').inputValue()).toBe('so-7');
  }, 120_000);

  it('one date style in the shown zone, a switch to UTC, and a history chart spanning its movements', async () => {
    await page.goto(`${base}/ui#/history?productId=${shop.beans.id}`);
    await tid('movement-row').first().waitFor();
    expect(await tid('zone-name').textContent()).toBe('Times: Europe/Ljubljana');
    const local = await tid('movement-time').allTextContents();
    for (const t of local) expect(t).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
    // The oldest movement and the newest (3 hours later) in Ljubljana time; the axis labels are
    // those times (the second on the same day: the time only), not "now".
    const inZone = (ms: number) =>
      new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Ljubljana', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms);
    expect(local.at(-1)).toBe(inZone(shop.afternoon));
    expect(local[0]).toBe(inZone(shop.afternoon + 3 * 3600_000));
    expect(await tid('chart-axis-time').allTextContents()).toEqual([local.at(-1), inZone(shop.afternoon + 1.5 * 3600_000).slice(11), local[0].slice(11)]);
    await tid('zone-utc').check();
    await expect.poll(() => tid('zone-name').textContent()).toBe('Times: UTC');
    const utc = new Date(shop.afternoon).toISOString().replace('T', ' ').slice(0, 16);
    await expect.poll(async () => (await tid('movement-time').allTextContents()).at(-1)).toBe(utc);
    // The choice holds across a reload; the stock's "as of" input takes times in the same style.
    await page.reload();
    await expect.poll(() => tid('zone-name').textContent()).toBe('Times: UTC');
    await page.goto(`${base}/ui#/stock?q=beans`);
    await tid('stock-row').first().waitFor();
    await tid('stock-at').fill(new Date(shop.afternoon + 90 * 60_000).toISOString().replace('T', ' ').slice(0, 16));
    await tid('stock-apply').click();
    // After the receipt of 20 and the sale of 3.
    await expect.poll(() => tid('stock-amount').allTextContents()).toEqual(['17']);
    await tid('stock-at').fill('12/06/2026 2:37 PM');
    await tid('stock-apply').click();
    await expect.poll(() => tid('toast').textContent()).toContain('YYYY-MM-DD HH:mm');
    await tid('zone-utc').uncheck();
  }, 60_000);

  it('shows a paused endpoint on its subscription and its deliveries, and follows "Send test" to its end', async () => {
    await eventually(async () => (await api('GET', '/api/v1/webhooks/health')).data.find((x: any) => x.webhookId === hooks.sick.id).state === 'paused', 20_000);
    const health = (await api('GET', '/api/v1/webhooks/health')).data.find((x: any) => x.webhookId === hooks.sick.id);
    await page.goto(`${base}/ui#/webhooks`);
    const sickRow = page.locator(`[data-testid=sub-row][data-id="${hooks.sick.id}"]`);
    await expect.poll(() => sickRow.locator('[data-testid=sub-health]').getAttribute('data-state')).toBe('paused');
    const until = await sickRow.locator('[data-testid=sub-paused]').textContent();
    expect(until).toMatch(/^paused until \d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
    expect(await sickRow.locator('[data-testid=sub-last-attempt]').textContent()).toContain('HTTP 500');
    expect(await sickRow.locator('[data-testid=sub-next-attempt]').textContent()).toContain(until!.replace('paused until ', ''));
    expect(Date.parse(health.nextAttemptAt)).toBeGreaterThanOrEqual(Date.parse(health.pausedUntil));
    expect(await page.locator(`[data-testid=sub-row][data-id="${hooks.ok.id}"] [data-testid=sub-health]`).getAttribute('data-state')).toBe('healthy');
    expect(await page.locator(`[data-testid=sub-row][data-id="${hooks.off.id}"] [data-testid=sub-health]`).getAttribute('data-state')).toBe('disabled');

    // Its waiting deliveries say so, in the log and in the detail.
    await tid('filter-webhook').selectOption(hooks.sick.id);
    await tid('filter-status').selectOption('pending');
    await tid('filter-apply').click();
    const pending = page.locator('[data-testid=delivery-row][data-status=pending]');
    await pending.first().waitFor();
    expect(await pending.first().locator('[data-testid=delivery-paused]').textContent()).toBe(`endpoint ${until}`);
    await pending.first().click();
    await expect.poll(() => tid('delivery-detail').locator('[data-testid=delivery-paused]').textContent()).toContain(`until ${until!.replace('paused until ', '')}`);

    // "Send test" follows the test delivery: waiting behind the pause here...
    await sickRow.locator('[data-testid=sub-test]').click();
    const sickTest = sickRow.locator('[data-testid=sub-test-status]');
    await expect.poll(() => sickTest.textContent(), { timeout: 15_000 }).toContain(`waiting: the endpoint is paused until ${until!.replace('paused until ', '')}`);
    expect(await sickTest.getAttribute('data-status')).toBe('pending');
    // ...to success on a healthy endpoint...
    const okRow = page.locator(`[data-testid=sub-row][data-id="${hooks.ok.id}"]`);
    await okRow.locator('[data-testid=sub-test]').click();
    await expect.poll(() => okRow.locator('[data-testid=sub-test-status]').getAttribute('data-status'), { timeout: 20_000 }).toBe('succeeded');
    expect(await okRow.locator('[data-testid=sub-test-status]').textContent()).toContain('HTTP 200');
    // ...and to failure on a broken one without retries.
    const broken = await api('POST', '/api/v1/webhooks', { url: rx.url('/broken'), retrySchedule: [] });
    await page.reload();
    const brokenRow = page.locator(`[data-testid=sub-row][data-id="${broken.id}"]`);
    await brokenRow.locator('[data-testid=sub-test]').click();
    await expect.poll(() => brokenRow.locator('[data-testid=sub-test-status]').getAttribute('data-status'), { timeout: 20_000 }).toBe('failed');
    expect(await brokenRow.locator('[data-testid=sub-test-status]').textContent()).toContain('HTTP 500');
    await api('DELETE', `/api/v1/webhooks/${broken.id}`);
  }, 90_000);

  it('after a replay, Live events shows one chip per endpoint (the newest delivery), counting the earlier ones', async () => {
    const sale = shop.docs.find((d) => d.reference === 'SO-77');
    const changed = (await api('GET', `/api/v1/documents/${sale.id}/events`)).data.find((e: any) => e.type === 'stock.changed');
    const job = await api('POST', `/api/v1/webhooks/${hooks.ok.id}/replay`, { since: new Date(Date.parse(changed.occurredAt) - 1000).toISOString() });
    await eventually(async () => (await api('GET', `/api/v1/replays/${job.id}`)).status === 'done', 20_000);
    const both = await eventually(async () => {
      const ds = (await api('GET', `/api/v1/deliveries?eventId=${changed.id}`)).data;
      return ds.length === 2 && ds.every((d: any) => d.status === 'succeeded') && ds;
    }, 20_000);
    expect(both.map((d: any) => d.webhookId)).toEqual([hooks.ok.id, hooks.ok.id]);
    await page.goto(`${base}/ui#/events/${changed.id}`);
    const chips = tid('event-deliveries').locator('[data-testid=delivery-link]');
    await expect.poll(() => chips.count()).toBe(1);
    expect(await chips.getAttribute('data-earlier')).toBe('1');
    // The newest of the two is the one linked.
    const newest = [...both].sort((x: any, y: any) => Date.parse(y.createdAt) - Date.parse(x.createdAt))[0];
    expect(await chips.getAttribute('data-id')).toBe(newest.id);
    expect(await chips.textContent()).toContain('×2');
    await page.goto(`${base}/ui#/events`);
    const row = page.locator(`[data-testid=tail-row][data-id="${changed.id}"] [data-testid=delivery-link]`);
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(1);
    expect(await row.getAttribute('data-earlier')).toBe('1');
  }, 60_000);

  it('shows the endpoint that never answers as failing with timeouts, not as healthy', async () => {
    // Each try to /silent ends at the sender's timeout (15 s for the native format).
    const silent = async () => (await api('GET', '/api/v1/webhooks/health')).data.find((x: any) => x.webhookId === hooks.silent.id);
    await eventually(async () => ((await silent()).lastAttempt?.error ?? '').startsWith('timeout: '), 90_000);
    await page.goto(`${base}/ui#/webhooks`);
    const row = page.locator(`[data-testid=sub-row][data-id="${hooks.silent.id}"]`);
    await expect.poll(() => row.locator('[data-testid=sub-health]').getAttribute('data-state')).toMatch(/^(failing|paused)$/);
    expect(await row.locator('[data-testid=sub-health]').textContent()).toMatch(/failing since \d{4}-\d{2}-\d{2} \d{2}:\d{2}|paused until/);
    expect(await row.locator('[data-testid=sub-last-attempt]').textContent()).toContain('timeout: ');

    // Its deliveries: waiting after a failed try (not a plain "pending"), the try's error kind a timeout.
    await tid('filter-webhook').selectOption(hooks.silent.id);
    await tid('filter-status').selectOption('pending');
    await tid('filter-apply').click();
    const tried = (await api('GET', `/api/v1/deliveries?webhookId=${hooks.silent.id}&status=pending&limit=100`)).data.find((d: any) => d.attempts > 0);
    const shown = page.locator(`[data-testid=delivery-row][data-id="${tried.id}"]`);
    await shown.waitFor();
    expect(await shown.locator('[data-testid=delivery-retrying]').textContent()).toMatch(/^\d+ tr(y|ies) failed · retrying$/);
    expect(await shown.textContent()).toContain(tried.lastError);
    // The ones queued behind it say the endpoint is failing.
    const queued = (await api('GET', `/api/v1/deliveries?webhookId=${hooks.silent.id}&status=pending&limit=100`)).data.find((d: any) => d.attempts === 0);
    const state = await row.locator('[data-testid=sub-health]').getAttribute('data-state');
    const note = page.locator(`[data-testid=delivery-row][data-id="${queued.id}"] [data-testid=${state === 'paused' ? 'delivery-paused' : 'delivery-endpoint-failing'}]`);
    expect(await note.textContent()).toMatch(/^endpoint (failing since|paused until) \d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
    await shown.click();
    await page.locator(`[data-testid=delivery-detail][data-id="${tried.id}"]`).waitFor();
    const errors = page.locator('#detail [data-testid=attempt-error] strong');
    await errors.first().waitFor();
    expect(new Set(await errors.allTextContents())).toEqual(new Set(['timeout']));
  }, 120_000);

  it('at 390×844 every view fits the screen and no control is covered; screenshots of every view at both sizes', async () => {
    mkdirSync(SHOTS, { recursive: true });
    const found: Record<string, string[]> = {};
    const event = (await api('GET', '/api/v1/events?last=1&type=stock.changed')).data[0];
    const delivery = await eventually(async () => (await api('GET', `/api/v1/deliveries?webhookId=${hooks.sick.id}&status=pending&limit=1`)).data[0], 20_000);
    const every = [...views(), ['event', `#/events/${event.id}`, 'event-detail'], ['delivery', `#/deliveries/${delivery.id}`, 'delivery-page']] as Array<readonly [string, string, string]>;
    for (const [w, hgt, size] of [[1440, 900, 'wide'], [390, 844, 'phone']] as const) {
      await page.setViewportSize({ width: w, height: hgt });
      for (const [name, hash, proof] of every) {
        await page.goto(`${base}/ui${hash}`);
        await tid(proof).first().waitFor();
        await page.locator('[aria-busy=true]').waitFor({ state: 'detached' }).catch(() => {});
        if (name === 'webhooks') await page.locator('[data-testid=sub-health]').first().waitFor();
        await page.screenshot({ path: join(SHOTS, `${name}-${size}.png`), fullPage: true });
        if (size === 'phone') found[name] = await layoutProblems(page, { withToast: true });
      }
      // The webhooks view with a delivery open beside (or, on a phone, under) the log.
      await page.goto(`${base}/ui#/webhooks`);
      await tid('filter-webhook').selectOption(hooks.sick.id);
      await tid('filter-status').selectOption('pending');
      await tid('filter-apply').click();
      await page.locator(`[data-testid=delivery-row][data-id="${delivery.id}"]`).click();
      await page.locator(`[data-testid=delivery-detail][data-id="${delivery.id}"]`).waitFor();
      await page.screenshot({ path: join(SHOTS, `webhooks-delivery-${size}.png`), fullPage: true });
      if (size === 'phone') found['webhooks-delivery'] = await layoutProblems(page, { withToast: true });
    }
    await page.setViewportSize({ width: 1440, height: 900 });
    expect(found).toEqual(Object.fromEntries([...every.map(([name]) => name), 'webhooks-delivery'].map((name) => [name, []])));
    expect(pageErrors).toEqual([]);
  }, 180_000);
});
