import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { day, FormsBrowser, SHOTS, skipBrowser, UUID } from './forms-browser.js';

describe.skipIf(skipBrowser)('posting from the dashboard in headless Chromium [sqlite]', () => {
  const t = new FormsBrowser();
  beforeAll(async () => {
    await t.open();
  }, 60_000);
  afterAll(async () => {
    await t.close();
  });

  it('posts a receipt, sale, count, transfer and reservation through their forms; the levels follow', async () => {
    const { page, tid, level, docs, line, pick, openForm, shoot, north, south, shoe, widget, pageErrors, keys } = t;
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

    // A stock take of every key of the shoe held in North: one line per key, quantities to fill in.
    await t.api('POST', '/api/v1/documents', { type: 'receipt', warehouseId: north.id, lines: [{ productId: shoe.id, lot: 'L2', expiry: day(60), quantity: 4 }] });
    await openForm('count');
    await tid('doc-warehouse').selectOption(String(north.id));
    await pick(line(), 'trail', 'Trail Shoe');
    await expect.poll(() => tid('count-all-keys').textContent()).toBe('Count all 2 keys here');
    await tid('count-all-keys').click();
    await expect.poll(() => page.locator('[data-testid=line] [data-testid=key-lot]').evaluateAll((els) => els.map((e) => (e as unknown as { value: string }).value))).toEqual(['L1', 'L2']);
    expect(await page.locator('[data-testid=line] legend').allTextContents()).toEqual(['Line 1', 'Line 2']);
    expect(await tid('count-all-keys').evaluateAll((els) => els.filter((e) => !e.hasAttribute('hidden')).length)).toBe(0);
    await line(0).locator('[data-testid=line-quantity]').fill('5');
    await line(1).locator('[data-testid=line-quantity]').fill('3');
    await expect.poll(() => page.locator('[data-testid=line-diff]').evaluateAll((els) => els.map((e) => e.getAttribute('data-value')))).toEqual(['0', '-1']);
    await tid('doc-reference').fill('COUNT-ALL');
    await shoot('count-all-keys');
    await tid('post-submit').click();
    await tid('posted').waitFor();
    expect([await level(north.id, shoe.id, { lot: 'L1', expiry: day(30) }), await level(north.id, shoe.id, { lot: 'L2', expiry: day(60) })]).toEqual([
      { amount: 5, reserved: 0 },
      { amount: 3, reserved: 0 },
    ]);

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
    await expect.poll(() => tid('posted-level').allTextContents()).toEqual(['Widget at North: 3 pcs on hand, 3 free', 'Widget at South: 2 pcs on hand, 2 free']);
    await page.screenshot({ path: join(SHOTS, 'transfer-posted-1440.png') });
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
    expect(await tid('post-submit').textContent()).toBe('Post: release');
    await tid('doc-warehouse').selectOption(String(north.id));
    // Picked with the keyboard this time: down into the matches, Enter on the first.
    await line().locator('[data-testid=product-search]').fill('widg');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    expect(await line().locator('[data-testid=product-search]').inputValue()).toBe('Widget · W-1');
    await expect.poll(() => line().locator('[data-testid=line-stock]').textContent()).toBe('Reserved here: 1 pcs · on hand 3');
    await line().locator('[data-testid=line-quantity]').fill('1');
    await tid('post-submit').click();
    await tid('posted').waitFor();
    expect(await level(north.id, widget.id)).toEqual({ amount: 3, reserved: 0 });
    expect((await docs('RES-1')).map((d: any) => d.type)).toEqual(['reserve']);

    // Every post carried an Idempotency-Key, a fresh one per form.
    expect(keys).toHaveLength(7);
    expect(keys.every((k) => UUID.test(k))).toBe(true);
    expect(new Set(keys).size).toBe(7);
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it('a double click books once, and so does a post repeated after its answer was lost', async () => {
    const { page, tid, api, level, docs, line, pick, openForm, south, widget, pageErrors } = t;
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

    // Discarding a filled form asks first; confirmed, a fresh form (with a fresh key) replaces it.
    await tid('post-another').click();
    const firstKey = await tid('post-form').getAttribute('data-idempotency-key');
    await pick(line(), 'widget', 'Widget');
    await tid('form-discard').click();
    await tid('confirm-no').click();
    await tid('confirm-dialog').waitFor({ state: 'detached' });
    expect(await line().locator('[data-testid=product-search]').inputValue()).toBe('Widget · W-1');
    await tid('form-discard').click();
    await tid('confirm-yes').click();
    await expect.poll(() => tid('post-form').getAttribute('data-idempotency-key')).not.toBe(firstKey);
    expect(await line().locator('[data-testid=product-search]').inputValue()).toBe('');
  }, 90_000);

  it("a refused post shows the API's error beside the field it concerns, and books nothing", async () => {
    const { page, tid, api, level, line, pick, openForm, shoot, south, jacket, widget, pageErrors } = t;
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
    await shoot('receipt-refused-size');
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
});
