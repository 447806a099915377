import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, type TestAccount, type TestEnv } from '../support/env.js';
import { call, post, product, warehouse } from '../support/fixtures.js';
import { eventually, Receiver, type Received } from '../support/receiver.js';

/*
 * A Kladana receiver written from seed 001 only ("Webhook to change balances"): nothing from src/ is
 * used to check what arrives. Windows: the public API allows 60-300 s, far too slow for a test, so
 * each test creates the subscription through the public API and then shortens its window by setting
 * webhooks.coalesce_seconds directly in the database; the public rule stays as it is.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const REPORT_URL = /^(https?:\/\/[^/]+)\/api\/remap\/1\.2\/report\/stock\/(all|bystore)\/current\?fromDate=(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})$/;

interface Notification {
  requestId: string;
  accountId: string;
  stockType: string;
  reportType: string;
  reportUrl: string;
  origin: string;
  fromMs: number;
}

/** What a seed-001 receiver checks: POST ?requestId=<uuid>, and exactly the four attributes. */
function readNotification(r: Received): Notification {
  expect(r.method).toBe('POST');
  const url = new URL(r.url, 'http://receiver.local');
  const requestId = url.searchParams.get('requestId');
  expect(requestId).toMatch(UUID);
  expect(r.headers['content-type']).toMatch(/^application\/json/);
  const body = JSON.parse(r.body) as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(['accountId', 'reportType', 'reportUrl', 'stockType']);
  expect(typeof body.accountId).toBe('string');
  expect(body.accountId).toMatch(UUID);
  expect(['stock']).toContain(body.stockType);
  expect(['all', 'bystore']).toContain(body.reportType);
  expect(typeof body.reportUrl).toBe('string');
  const reportUrl = body.reportUrl as string;
  expect(reportUrl.length).toBeLessThanOrEqual(255);
  const m = REPORT_URL.exec(reportUrl);
  expect(m, reportUrl).not.toBeNull();
  expect(m![2]).toBe(body.reportType);
  const fromMs = Date.parse(`${m![3].replace(' ', 'T')}Z`);
  expect(Number.isNaN(fromMs)).toBe(false);
  return {
    requestId: requestId!,
    accountId: body.accountId as string,
    stockType: body.stockType as string,
    reportType: body.reportType as string,
    reportUrl,
    origin: m![1],
    fromMs,
  };
}

const requestIdOf = (r: Received) => new URL(r.url, 'http://receiver.local').searchParams.get('requestId');

describeEachDb(
  'kladana notifications (seed 001 receiver)',
  (env) => {
    let rx: Receiver;
    const at = (path: string) => rx.on(path);

    beforeAll(async () => {
      rx = await Receiver.start((r) => {
        const path = r.url.split('?')[0];
        const seen = at(path).length;
        if (path.startsWith('/fail500')) return { status: 500, body: 'down' };
        // A retry arrives while the delivery is still leased with no result written: it was made at once, not claimed again.
        if (path.startsWith('/seq500')) return { status: 500, body: 'down', hold: seen > 1 ? rowAtRetry(r) : undefined };
        if (path.startsWith('/created201')) return { status: 201 };
        if (path.startsWith('/ok200')) return { status: 200, body: '{}' };
        if (path.startsWith('/slow')) return seen === 1 ? { status: 204, delayMs: 1800 } : { status: 204 };
        if (path.startsWith('/quick')) return { status: 200, delayMs: 600 };
        // The seed's advice: answer at once, process afterwards.
        return { status: 204 };
      });
    });
    afterAll(async () => rx.close());

    const rowsAtRetries: { requestId: string | null; attempts: number; leaseOwner: string | null }[] = [];
    async function rowAtRetry(r: Received): Promise<void> {
      const id = requestIdOf(r) ?? '';
      const row = await env().store.db.selectFrom('deliveries').select(['attempts', 'lease_owner']).where('id', '=', id).executeTakeFirst();
      rowsAtRetries.push({ requestId: id, attempts: Number(row?.attempts ?? -1), leaseOwner: row?.lease_owner ?? null });
    }

    async function subscribe(a: TestAccount, path: string, windowSeconds: number, extra: object = {}) {
      const sub = (
        await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url(path), format: 'kladana', stockType: 'stock', reportType: 'all', ...extra }, 201)
      ).body;
      await env().store.db.updateTable('webhooks').set({ coalesce_seconds: windowSeconds }).where('id', '=', sub.id).execute();
      return sub;
    }

    async function stocked(e: TestEnv, a: TestAccount) {
      const w = await warehouse(e, a);
      const p = await product(e, a);
      return { w, p };
    }

    async function deliveries(a: TestAccount, webhookId: string, status?: string) {
      const q = status ? `?status=${status}` : '';
      return (await call(env(), a, 'GET', `/api/v1/webhooks/${webhookId}/deliveries${q}`, undefined, 200)).body.data as any[];
    }

    it('one notification per window while stock changes, none when nothing does, a new one for a later change', async () => {
      const a = await env().newAccount();
      const { w, p } = await stocked(env(), a);
      const all = await subscribe(a, '/one-all', 2, { basicAuth: { username: 'kl', password: 'pw' } });
      const bystore = await subscribe(a, '/one-bystore', 2, { reportType: 'bystore' });
      const t0 = Date.now();
      await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 10 }] });
      await post(env(), a, { type: 'sale', warehouseId: w, lines: [{ productId: p, quantity: 3 }] });
      await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      const t1 = Date.now();
      await eventually(() => at('/one-all').length === 1 && at('/one-bystore').length === 1, 8000);
      for (const path of ['/one-all', '/one-bystore']) {
        const [r] = at(path);
        // Held for the window, not sent at the first change.
        expect(r.at - t0).toBeGreaterThanOrEqual(1900);
        const n = readNotification(r);
        expect(n.accountId).toBe(a.id);
        expect(n.stockType).toBe('stock');
        expect(n.reportType).toBe(path === '/one-all' ? 'all' : 'bystore');
        expect(n.origin).toBe('http://stockhook.test');
        // fromDate is the window's start: the first change, to the second.
        expect(n.fromMs).toBeGreaterThanOrEqual(Math.floor(t0 / 1000) * 1000);
        expect(n.fromMs).toBeLessThanOrEqual(t1);
        // A receiver then pulls the balances, authenticating like a Kladana client (Basic, token as password).
        const report = await env().app.inject({
          method: 'GET',
          url: n.reportUrl.slice(n.origin.length),
          headers: { authorization: `Basic ${Buffer.from(`admin@shop:${a.token}`).toString('base64')}` },
        });
        expect(report.statusCode).toBe(200);
        expect(report.json()).toEqual(path === '/one-all' ? [{ assortmentId: p, stock: 8 }] : [{ assortmentId: p, storeId: w, stock: 8 }]);
      }
      expect(at('/one-all')[0].headers.authorization).toBe(`Basic ${Buffer.from('kl:pw').toString('base64')}`);
      expect(at('/one-bystore')[0].headers.authorization).toBeUndefined();
      // Nothing changed: no notification in the next window. A window's notification is a delivery
      // row written with its first change; once the sent one reads succeeded and no other row
      // exists, nothing is waiting to be sent.
      for (const sub of [all, bystore]) {
        await eventually(async () => (await deliveries(a, sub.id, 'succeeded')).length === 1);
        expect((await deliveries(a, sub.id)).map((d) => d.status)).toEqual(['succeeded']);
      }
      expect(at('/one-all')).toHaveLength(1);
      // A change in a later window: a new notification, a new requestId, a later window start.
      const t2 = Date.now();
      await post(env(), a, { type: 'sale', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      await eventually(() => at('/one-all').length === 2, 8000);
      const [first, second] = at('/one-all').map(readNotification);
      expect(second.requestId).not.toBe(first.requestId);
      expect(second.fromMs).toBeGreaterThanOrEqual(Math.floor(t2 / 1000) * 1000);
    }, 20_000);

    it('an endpoint answering 500 gets 1 + 3 immediate attempts with the same requestId, then the notification is dropped', async () => {
      const a = await env().newAccount();
      const { w, p } = await stocked(env(), a);
      const sub = await subscribe(a, '/fail500', 1);
      await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      await eventually(() => at('/fail500').length === 4, 8000);
      const got = at('/fail500');
      got.forEach(readNotification);
      expect(new Set(got.map(requestIdOf)).size).toBe(1);
      expect(new Set(got.map((r) => r.body)).size).toBe(1);
      // "At once": the schedule is three zero-second retries (this test's wait bounds how long they took).
      expect(sub.retrySchedule).toEqual([0, 0, 0]);
      const dropped = (await eventually(async () => {
        const d = await deliveries(a, sub.id, 'dropped');
        return d.length === 1 && d;
      })) as any[];
      expect(dropped[0]).toMatchObject({ status: 'dropped', attempts: 4, lastStatusCode: 500 });
      expect(dropped[0].id).toBe(requestIdOf(got[0]));
      // Dropped after its 4th answer was read: nothing else of it is on the way.
      expect(at('/fail500')).toHaveLength(4);
    }, 15_000);

    it('"3 more attempts... sequentially, with no timeouts between them" (seed 001): each retry follows the failed try at once, under the same lease, and all four tries are logged', async () => {
      const a = await env().newAccount();
      const { w, p } = await stocked(env(), a);
      const sub = await subscribe(a, '/seq500', 1);
      await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      const dropped = (await eventually(async () => {
        const d = await deliveries(a, sub.id, 'dropped');
        return d.length === 1 && d;
      }, 8000)) as any[];
      expect(at('/seq500')).toHaveLength(4);
      // Not one of the three retries waited for a result to be written and the row to be claimed again.
      expect(rowsAtRetries).toHaveLength(3);
      for (const seen of rowsAtRetries) expect(seen).toMatchObject({ requestId: dropped[0].id, attempts: 0 });
      expect(new Set(rowsAtRetries.map((x) => x.leaseOwner)).size).toBe(1);
      expect(rowsAtRetries[0].leaseOwner).not.toBeNull();
      const log = (await call(env(), a, 'GET', `/api/v1/deliveries/${dropped[0].id}`, undefined, 200)).body;
      expect(log.attemptLog.map((x: any) => [x.attempt, x.outcome, x.response?.status ?? null])).toEqual([
        [1, 'retry', 500],
        [2, 'retry', 500],
        [3, 'retry', 500],
        [4, 'dropped', 500],
      ]);
    }, 15_000);

    it('an answer slower than 1500 ms fails and is resent with the same requestId; 600 ms is in time', async () => {
      const a = await env().newAccount();
      const { w, p } = await stocked(env(), a);
      const slow = await subscribe(a, '/slow', 1);
      const quick = await subscribe(a, '/quick', 1);
      await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      await eventually(() => at('/slow').length === 2 && at('/quick').length === 1, 10_000);
      expect(requestIdOf(at('/slow')[1])).toBe(requestIdOf(at('/slow')[0]));
      const d = await eventually(async () => {
        const [x] = await deliveries(a, slow.id, 'succeeded');
        return x && (await call(env(), a, 'GET', `/api/v1/deliveries/${x.id}`, undefined, 200)).body;
      });
      expect(d.attempts).toBe(2);
      expect(d.attemptLog.map((x: any) => [x.outcome, x.error?.kind ?? null])).toEqual([
        ['retry', 'timeout'],
        ['succeeded', null],
      ]);
      expect(await eventually(async () => (await deliveries(a, quick.id, 'succeeded')).length === 1)).toBe(true);
    }, 15_000);

    it('200 and 204 are success at once; 201 is not', async () => {
      const a = await env().newAccount();
      const { w, p } = await stocked(env(), a);
      const ok200 = await subscribe(a, '/ok200', 1);
      const ok204 = await subscribe(a, '/ok204', 1);
      const created = await subscribe(a, '/created201', 1);
      await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      await eventually(async () => (await deliveries(a, created.id, 'dropped')).length === 1, 8000);
      expect(at('/created201')).toHaveLength(4);
      expect(at('/ok200')).toHaveLength(1);
      expect(at('/ok204')).toHaveLength(1);
      for (const s of [ok200, ok204]) expect((await deliveries(a, s.id)).map((d) => [d.status, d.attempts])).toEqual([['succeeded', 1]]);
    }, 15_000);

    it('only stock changes count; a test notification goes out at once', async () => {
      const a = await env().newAccount();
      // The default 60 s window, unshortened: a test notification that arrives within this test's
      // bounds was not held for it.
      const sub = await subscribe(a, '/quiet', 60);
      await stocked(env(), a);
      await call(env(), a, 'PATCH', `/api/v1/products/${await product(env(), a, { sku: 'S2' })}`, { title: 'Renamed' }, 200);
      // A notification would be a delivery row written with the change: there is none.
      expect(await deliveries(a, sub.id)).toEqual([]);
      await call(env(), a, 'POST', `/api/v1/webhooks/${sub.id}/test`, undefined, 202);
      await eventually(() => at('/quiet').length === 1, 8000);
      expect(readNotification(at('/quiet')[0]).accountId).toBe(a.id);
      expect(at('/quiet')).toHaveLength(1);
    }, 15_000);

    /*
     * Seed 001 (001_b7c5f6582b1849dd.txt): "Notifications are sent to the user every 1-5 minutes if there has been a
     * change in balances", and the notification's reportUrl is the "URL for receiving data on changed nomenclature".
     * The report's `stock` is the amount: a reservation does not change it, so it is no change in balances.
     */
    it('a reservation or a release opens no window; a transfer opens one for "bystore" only; a sale for both (seed 001: "if there has been a change in balances")', async () => {
      const a = await env().newAccount();
      const { w, p } = await stocked(env(), a);
      const w2 = await warehouse(env(), a, 'Second');
      await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 10 }] });
      const all = await subscribe(a, '/moves-all', 1);
      const bystore = await subscribe(a, '/moves-bystore', 1, { reportType: 'bystore' });
      await post(env(), a, { type: 'reserve', warehouseId: w, lines: [{ productId: p, quantity: 4 }] });
      await post(env(), a, { type: 'release', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      // A notification is a delivery row written with the change that opens its window: there is none.
      expect(await deliveries(a, all.id)).toEqual([]);
      expect(await deliveries(a, bystore.id)).toEqual([]);
      // A transfer moves the balance of each warehouse, not the product's total.
      await post(env(), a, { type: 'transfer', warehouseId: w, toWarehouseId: w2, lines: [{ productId: p, quantity: 2 }] });
      expect(await deliveries(a, all.id)).toEqual([]);
      expect(await deliveries(a, bystore.id)).toHaveLength(1);
      await eventually(() => at('/moves-bystore').length === 1, 8000);
      const n = readNotification(at('/moves-bystore')[0]);
      const report = await env().app.inject({ method: 'GET', url: n.reportUrl.slice(n.origin.length), headers: { authorization: `Bearer ${a.token}` } });
      expect(report.json()).toEqual([{ assortmentId: p, storeId: w, stock: 8 }, { assortmentId: p, storeId: w2, stock: 2 }]);
      // A sale changes the balance the "all" report shows: now it gets its window.
      await post(env(), a, { type: 'sale', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      expect(await deliveries(a, all.id)).toHaveLength(1);
      await eventually(() => at('/moves-all').length === 1, 8000);
      const m = readNotification(at('/moves-all')[0]);
      const allReport = await env().app.inject({ method: 'GET', url: m.reportUrl.slice(m.origin.length), headers: { authorization: `Bearer ${a.token}` } });
      expect(allReport.json()).toEqual([{ assortmentId: p, stock: 9 }]);
    }, 20_000);

    it('POST /api/v1/webhooks checks the kladana options and the 60-300 s window', async () => {
      const a = await env().newAccount();
      const base = { url: rx.url('/rules'), format: 'kladana' };
      const missing = await call(env(), a, 'POST', '/api/v1/webhooks', { ...base, stockType: 'stock' }, 400);
      expect(missing.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'reportType' } });
      const noStock = await call(env(), a, 'POST', '/api/v1/webhooks', { ...base, reportType: 'all' }, 400);
      expect(noStock.body.error.details.field).toBe('stockType');
      const badType = await call(env(), a, 'POST', '/api/v1/webhooks', { ...base, stockType: 'stock', reportType: 'weekly' }, 400);
      expect(badType.body.error.message).toContain('reportType');
      for (const coalesceSeconds of [30, 301]) {
        const r = await call(env(), a, 'POST', '/api/v1/webhooks', { ...base, stockType: 'stock', reportType: 'all', coalesceSeconds }, 400);
        expect(r.body.error.details.field).toBe('coalesceSeconds');
      }
      const made = (await call(env(), a, 'POST', '/api/v1/webhooks', { ...base, stockType: 'stock', reportType: 'all' }, 201)).body;
      expect(made).toMatchObject({ format: 'kladana', coalesceSeconds: 60, retrySchedule: [0, 0, 0], options: { stockType: 'stock', reportType: 'all' } });
      const five = (await call(env(), a, 'PATCH', `/api/v1/webhooks/${made.id}`, { coalesceSeconds: 300, reportType: 'bystore' }, 200)).body;
      expect(five).toMatchObject({ coalesceSeconds: 300, options: { stockType: 'stock', reportType: 'bystore' } });
    });
  },
  { dispatcher: { pollMs: 100 } },
);
