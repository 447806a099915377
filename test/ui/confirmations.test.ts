import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormsBrowser, reachable, SHOTS, skipBrowser } from './forms-browser.js';

describe.skipIf(skipBrowser)('confirmations, webhook edit and a read token in headless Chromium [sqlite]', () => {
  const t = new FormsBrowser();
  beforeAll(async () => {
    await t.open();
  }, 60_000);
  afterAll(async () => {
    await t.close();
  });

  it('cancelling a posted document asks first, then restores the level', async () => {
    const { page, tid, api, level, south, widget, pageErrors, base } = t;
    await api('POST', '/api/v1/documents', { type: 'receipt', warehouseId: south.id, lines: [{ productId: widget.id, quantity: 10 }] });
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
      expect([b, await reachable(tid(b))]).toEqual([b, true]);
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

    // A receipt whose stock was sold cannot be cancelled: the API's refusal shows by the button.
    const receipt = await api('POST', '/api/v1/documents', { type: 'receipt', warehouseId: south.id, lines: [{ productId: widget.id, lot: 'SOLD', quantity: 1 }] });
    await api('POST', '/api/v1/documents', { type: 'sale', warehouseId: south.id, lines: [{ productId: widget.id, lot: 'SOLD', quantity: 1 }] });
    await page.goto(`${base}/ui#/documents/${receipt.id}`);
    await tid('doc-cancel').click();
    await tid('confirm-yes').click();
    await expect.poll(() => tid('doc-cancel-error').textContent()).toBe(
      'Not enough free stock of W-1 at warehouse South (lot SOLD): asked 1, free 0; free at other keys of this warehouse: no size, lot, expiry, serial or location: 10 (INSUFFICIENT_STOCK)',
    );
    expect((await api('GET', `/api/v1/documents/${receipt.id}`)).status).toBe('posted');
    expect(await level(south.id, widget.id, { lot: 'SOLD' })).toEqual({ amount: 0, reserved: 0 });
    expect(pageErrors.filter((e) => !/\b422\b/.test(e))).toEqual([]);
    pageErrors.length = 0;
  }, 60_000);

  it('a webhook is edited fully and deleted after asking; replay asks first and its outcome leaves Create uncovered', async () => {
    const { page, tid, api, pageErrors, base, rx } = t;
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
    expect(await tid('toast').isHidden()).toBe(true);
    expect(await reachable(tid('create-submit'))).toBe(true);

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
    const { page, tid, api, pageErrors, base, rx, south, widget } = t;
    const reader = (await api('POST', '/api/v1/tokens', { name: 'reader', scope: 'read' })).token as string;
    await api('POST', '/api/v1/webhooks', { url: rx.url('/read') });
    const receipt = await api('POST', '/api/v1/documents', { type: 'receipt', warehouseId: south.id, lines: [{ productId: widget.id, quantity: 1 }] });
    await tid('sign-out').click();
    await tid('token-input').fill(reader);
    await tid('sign-in').click();
    await tid('read-only').waitFor();
    expect(await tid('nav-post').isVisible()).toBe(false);
    await page.goto(`${base}/ui#/post/sale`);
    await tid('post-read-only').waitFor();
    expect(await tid('post-form').count()).toBe(0);
    await page.goto(`${base}/ui#/documents/${receipt.id}`);
    await tid('document-detail').waitFor();
    // The cancel button is added after the document is drawn: wait for the page to settle on it.
    await expect.poll(() => page.locator('#ledger').getAttribute('aria-busy')).toBe(null);
    // Added (the route finishes once it is), and hidden for this token.
    expect(await tid('doc-cancel').count()).toBe(1);
    expect(await tid('doc-cancel').isVisible()).toBe(false);
    await page.goto(`${base}/ui#/webhooks`);
    await page.reload();
    await expect.poll(() => tid('sub-row').count()).toBe(1);
    expect(await tid('sub-delete').isVisible()).toBe(false);
    expect(await tid('sub-edit').isVisible()).toBe(false);
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
