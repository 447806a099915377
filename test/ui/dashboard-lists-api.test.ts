import { afterAll, beforeAll, expect, it } from 'vitest';
import { call, post, product, warehouse } from '../support/fixtures.js';
import { describeEachDb, type TestAccount } from '../support/env.js';
import { Receiver } from '../support/receiver.js';
import { eventually } from '../support/wait.js';

/** A CSV body (as the export writes it: RFC 4180, CRLF) as rows of cells. */
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

const round = (n: number) => Math.round(n * 1e6) / 1e6;
const str = (v: unknown) => (v === null || v === undefined ? '' : String(v));

describeEachDb(
  'dashboard list APIs: CSV exports, document search, endpoint health',
  (env) => {
    let rx: Receiver;
    let sick = true;
    beforeAll(async () => {
      rx = await Receiver.start((r) => (r.url.startsWith('/sick') && sick ? { status: 500, body: 'down' } : { status: 200, body: '{}' }));
    });
    afterAll(async () => {
      await rx?.close();
    });

    it('exports the stock and the movements as CSV: every page, the same rows and order as the list APIs', async () => {
      const a: TestAccount = await env().newAccount('paid');
      const w1 = await warehouse(env(), a, 'North');
      const w2 = await warehouse(env(), a, 'South');
      const p1 = await product(env(), a, { title: 'Shoe, "Trail"', sku: 'TS-1', code: '1', unit: 'pair' });
      const p2 = await product(env(), a, { title: '=HYPERLINK("x")', sku: 'X-2', code: '2', unit: 'pcs' });
      // 1,203 keys: more than one of the export's internal pages (1,000).
      const lines = Array.from({ length: 401 }, (_, i) => ({ productId: p1, lot: `L${i}`, quantity: (i % 5) + 0.5 }));
      await post(env(), a, { type: 'receipt', warehouseId: w1, reference: 'PO-1', lines });
      await post(env(), a, { type: 'receipt', warehouseId: w2, reference: 'PO-2', lines });
      const lastReceipt = (await post(env(), a, { type: 'receipt', warehouseId: w2, lines: lines.map((l) => ({ ...l, productId: p2 })) })).body;
      const sale = (await post(env(), a, { type: 'sale', warehouseId: w2, reference: 'SO-9', lines: [{ productId: p1, lot: 'L3', quantity: 1 }] })).body;
      // The sale strictly after the last receipt (both may fall in one millisecond), for the totals "at" between them.
      const beforeSale = lastReceipt.createdAt;
      await env().store.db.updateTable('movements').set({ created_ms: Date.parse(beforeSale) + 5 }).where('document_id', '=', sale.id).execute();

      const api = (await call(env(), a, 'GET', '/api/v1/stock?withProduct=true', undefined, 200)).body.data as any[];
      expect(api).toHaveLength(1203);
      const res = await env().app.inject({ method: 'GET', url: '/api/v1/stock/export', headers: a.auth });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.headers['content-disposition']).toContain('stock.csv');
      const [head, ...rows] = parseCsv(res.body);
      expect(head).toEqual(['productId', 'sku', 'code', 'title', 'unit', 'warehouseId', 'size', 'lot', 'expiry', 'serial', 'location', 'amount', 'reserved', 'free', 'updatedAt']);
      expect(rows).toEqual(
        api.map((l) => [str(l.productId), l.product.sku, l.product.code, l.productId === p2 ? `'${l.product.title}` : l.product.title, l.product.unit, str(l.warehouseId), str(l.size), str(l.lot), str(l.expiry), str(l.serial), str(l.location), str(l.amount), str(l.reserved), str(l.free), l.updatedAt]),
      );
      // The quote and comma survive; a would-be formula is defused with a leading apostrophe.
      expect(res.body).toContain('"Shoe, ""Trail"""');
      expect(rows.find((r) => r[0] === String(p2))?.[3]).toBe(`'=HYPERLINK("x")`);

      // The filters are the list's: one warehouse, a search.
      const south = (await env().app.inject({ method: 'GET', url: `/api/v1/stock/export?warehouseId=${w2}&q=ts-1`, headers: a.auth })).body;
      const southApi = (await call(env(), a, 'GET', `/api/v1/stock?warehouseId=${w2}&q=ts-1`, undefined, 200)).body.data as any[];
      expect(parseCsv(south).slice(1).map((r) => [Number(r[0]), Number(r[5]), r[7], Number(r[11])])).toEqual(southApi.map((l) => [l.productId, l.warehouseId, l.lot, l.amount]));

      // Sorted by a column, both ways, paged with cursors: the pages add up to the unpaged order,
      // which is monotone in that column; the export follows the same order.
      for (const [sort, dir, value] of [
        ['free', 'desc', (l: any) => l.free],
        ['amount', 'asc', (l: any) => l.amount],
        ['title', 'asc', (l: any) => l.product.title],
      ] as const) {
        const whole = (await call(env(), a, 'GET', `/api/v1/stock?withProduct=true&sort=${sort}&dir=${dir}`, undefined, 200)).body.data as any[];
        expect(whole).toHaveLength(1203);
        const vals = whole.map(value);
        const sorted = [...vals].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
        expect(vals).toEqual(dir === 'asc' ? sorted : sorted.reverse());
        const paged: any[] = [];
        let c = '';
        do {
          const page = (await call(env(), a, 'GET', `/api/v1/stock?withProduct=true&sort=${sort}&dir=${dir}&limit=250${c && `&cursor=${c}`}`, undefined, 200)).body;
          paged.push(...page.data);
          c = page.nextCursor ?? '';
        } while (c);
        expect(paged.map((l) => [l.productId, l.warehouseId, l.lot])).toEqual(whole.map((l) => [l.productId, l.warehouseId, l.lot]));
      }
      const sortedCsv = (await env().app.inject({ method: 'GET', url: '/api/v1/stock/export?sort=free&dir=desc', headers: a.auth })).body;
      const freeDesc = (await call(env(), a, 'GET', '/api/v1/stock?sort=free&dir=desc', undefined, 200)).body.data as any[];
      expect(parseCsv(sortedCsv).slice(1).map((r) => [Number(r[0]), Number(r[5]), r[7]])).toEqual(freeDesc.map((l) => [l.productId, l.warehouseId, l.lot]));
      // A cursor of one order is refused by another (its values do not fit).
      const freeCursor = (await call(env(), a, 'GET', '/api/v1/stock?sort=free&limit=5', undefined, 200)).body.nextCursor;
      expect((await call(env(), a, 'GET', `/api/v1/stock?sort=title&limit=5&cursor=${freeCursor}`, undefined, 400)).body.error.code).toBe('VALIDATION_FAILED');
      await call(env(), a, 'GET', '/api/v1/stock?sort=price', undefined, 400);
      // The title order pages past the longest title a product may have.
      const c = await env().newAccount('paid');
      const wc = await warehouse(env(), c);
      const titles = ['B'.repeat(500), `A${'é'.repeat(499)}`, 'C'];
      const ps = [];
      for (const [i, title] of titles.entries()) ps.push(await product(env(), c, { title, sku: `L-${i}`, code: `L${i}` }));
      await post(env(), c, { type: 'receipt', warehouseId: wc, lines: ps.map((p) => ({ productId: p, quantity: 1 })) });
      const seen: number[] = [];
      let tc = '';
      do {
        const page = (await call(env(), c, 'GET', `/api/v1/stock?sort=title&limit=1${tc && `&cursor=${tc}`}`, undefined, 200)).body;
        seen.push(...page.data.map((l: any) => l.productId));
        tc = page.nextCursor ?? '';
      } while (tc);
      expect(seen).toEqual([ps[1], ps[0], ps[2]]);

      // Totals: per warehouse and per product, over every key (not a page), equal to the rows' sums.
      const totals = (await call(env(), a, 'GET', '/api/v1/stock/totals', undefined, 200)).body;
      const sum = (rows: any[]) => ({ keys: rows.length, amount: round(rows.reduce((n, l) => n + l.amount, 0)), reserved: round(rows.reduce((n, l) => n + l.reserved, 0)), free: round(rows.reduce((n, l) => n + l.free, 0)) });
      expect(totals.all).toEqual(sum(api));
      expect(totals.warehouses).toEqual([w1, w2].map((w) => ({ warehouseId: w, ...sum(api.filter((l) => l.warehouseId === w)) })));
      expect(totals.products).toEqual([p1, p2].map((p) => ({ productId: p, ...sum(api.filter((l) => l.productId === p)) })));
      expect(totals.productsComplete).toBe(true);
      expect(totals.all.amount).toBe(3 * (80 * (0.5 + 1.5 + 2.5 + 3.5 + 4.5) + 0.5) - 1);
      // At a past moment (before the sale): from the ledger, one more held.
      const then = (await call(env(), a, 'GET', `/api/v1/stock/totals?at=${encodeURIComponent(beforeSale)}`, undefined, 200)).body;
      expect([then.all.keys, then.all.amount]).toEqual([1203, totals.all.amount + 1]);
      const northTotals = (await call(env(), a, 'GET', `/api/v1/stock/totals?warehouseId=${w1}`, undefined, 200)).body;
      expect(northTotals.warehouses).toEqual([{ warehouseId: w1, ...sum(api.filter((l) => l.warehouseId === w1)) }]);

      // Movements of a product: every page of the ledger, newest first.
      const moves: any[] = [];
      let cursor = '';
      do {
        const page = (await call(env(), a, 'GET', `/api/v1/movements?productId=${p1}&limit=1000${cursor && `&cursor=${cursor}`}`, undefined, 200)).body;
        moves.push(...page.data);
        cursor = page.nextCursor ?? '';
      } while (cursor);
      expect(moves).toHaveLength(803);
      const mres = await env().app.inject({ method: 'GET', url: `/api/v1/movements/export?productId=${p1}`, headers: a.auth });
      expect(mres.statusCode).toBe(200);
      const [mhead, ...mrows] = parseCsv(mres.body);
      expect(mhead.slice(0, 5)).toEqual(['id', 'createdAt', 'documentId', 'documentType', 'reference']);
      expect(mrows).toEqual(
        moves.map((m) => [str(m.id), m.createdAt, str(m.document.id), m.document.type, str(m.document.reference), str(m.warehouseId), str(m.productId), str(m.size), str(m.lot), str(m.expiry), str(m.serial), str(m.location), str(m.amountDelta), str(m.reservedDelta), str(m.amount), str(m.reserved), str(m.free)]),
      );

      // Bad input is refused before anything streams; another account's rows never show.
      expect((await env().app.inject({ method: 'GET', url: '/api/v1/stock/export?warehouseId=x', headers: a.auth })).json().error.code).toBe('VALIDATION_FAILED');
      expect((await env().app.inject({ method: 'GET', url: '/api/v1/stock/export' })).statusCode).toBe(401);
      const other = await env().newAccount('paid');
      expect((await env().app.inject({ method: 'GET', url: '/api/v1/stock/export', headers: other.auth })).body.trim().split('\r\n')).toHaveLength(1);
    });

    it('lists documents by part of their reference and by the ship type', async () => {
      const a = await env().newAccount('paid');
      const w = await warehouse(env(), a);
      const p = await product(env(), a);
      const r1 = (await post(env(), a, { type: 'receipt', warehouseId: w, reference: 'PO-2026-100_A', lines: [{ productId: p, quantity: 10 }] })).body;
      await post(env(), a, { type: 'receipt', warehouseId: w, reference: 'PO-2026-101', lines: [{ productId: p, quantity: 1 }] });
      const s1 = (await post(env(), a, { type: 'sale', warehouseId: w, reference: 'so-77', lines: [{ productId: p, quantity: 1 }] })).body;
      const ids = async (q: string) => ((await call(env(), a, 'GET', `/api/v1/documents${q}`, undefined, 200)).body.data as any[]).map((d) => d.id);
      expect(await ids('?q=SO-7')).toEqual([s1.id]);
      expect((await ids('?q=po-2026')).length).toBe(2);
      // LIKE's own characters are taken literally.
      expect(await ids('?q=100_')).toEqual([r1.id]);
      expect(await ids('?q=%25')).toEqual([]);
      expect(await ids('?q=po&type=sale')).toEqual([]);
      // Oldest first, paged.
      const asc = [(await call(env(), a, 'GET', '/api/v1/documents?dir=asc&limit=2', undefined, 200)).body];
      asc.push((await call(env(), a, 'GET', `/api/v1/documents?dir=asc&limit=2&cursor=${asc[0].nextCursor}`, undefined, 200)).body);
      expect(asc.flatMap((p) => p.data.map((d: any) => d.id))).toEqual((await ids('')).reverse());
      expect(asc[1].nextCursor).toBeNull();

      const order = (await call(env(), a, 'POST', '/api/v1/outbound-orders', { warehouseId: w, items: [{ productId: p, quantity: 2 }] }, 201)).body;
      await call(env(), a, 'POST', `/api/v1/outbound-orders/${order.id}/claim`, undefined, 200);
      await call(env(), a, 'POST', `/api/v1/outbound-orders/${order.id}/ship`, undefined, 200);
      const shipped = (await call(env(), a, 'GET', '/api/v1/documents?type=ship', undefined, 200)).body.data as any[];
      expect(shipped.map((d) => [d.type, d.lines[0].quantity])).toEqual([['ship', 2]]);
      // Listing ship is allowed; posting it is not (only an order's shipment writes one).
      await post(env(), a, { type: 'ship', warehouseId: w, lines: [{ productId: p, quantity: 1 }] }, 400);
      await call(env(), a, 'GET', '/api/v1/documents?type=nonsense', undefined, 400);
    });

    it("reports each endpoint's health: paused by the breaker with its next attempt, healthy, disabled", async () => {
      const a = await env().newAccount('paid');
      const w = await warehouse(env(), a);
      const p = await product(env(), a);
      const sickSub = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/sick'), events: ['document.posted'], maxInFlight: 1, retrySchedule: [0.05, 0.05] }, 201)).body;
      const okSub = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/ok'), events: ['document.posted'] }, 201)).body;
      const offSub = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/off'), events: ['document.posted'] }, 201)).body;
      await call(env(), a, 'PATCH', `/api/v1/webhooks/${offSub.id}`, { enabled: false }, 200);
      for (let i = 0; i < 3; i++) await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      const health = async () => (await call(env(), a, 'GET', '/api/v1/webhooks/health', undefined, 200)).body.data as any[];
      const of = (list: any[], id: string) => list.find((h) => h.webhookId === id);
      const list = await eventually(async () => {
        const l = await health();
        return of(l, sickSub.id).state === 'paused' && of(l, okSub.id).lastAttempt !== null && l;
      }, 15_000);
      const sickH = of(list, sickSub.id);
      expect(Date.parse(sickH.pausedUntil)).toBeGreaterThan(Date.now());
      expect(sickH.lastAttempt).toMatchObject({ statusCode: 500 });
      expect(sickH.lastAttempt.outcome).not.toBe('succeeded');
      expect(sickH.failingSince).not.toBeNull();
      expect(sickH.pending).toBeGreaterThanOrEqual(1);
      // The next attempt is not before the pause ends, whatever the retry schedule says.
      expect(Date.parse(sickH.nextAttemptAt)).toBeGreaterThanOrEqual(Date.parse(sickH.pausedUntil));
      const okH = of(list, okSub.id);
      expect(okH).toMatchObject({ state: 'healthy', pausedUntil: null, failingSince: null, lastAttempt: { outcome: 'succeeded', statusCode: 200, error: null } });
      const offH = of(list, offSub.id);
      expect(offH).toMatchObject({ state: 'disabled', lastAttempt: null, nextAttemptAt: null, pending: 0 });
      expect(list.map((h) => h.webhookId)).toEqual([sickSub.id, okSub.id, offSub.id]);
      // Another account sees none of them; without a token, 401.
      const other = await env().newAccount('paid');
      expect(await call(env(), other, 'GET', '/api/v1/webhooks/health', undefined, 200).then((r) => r.body.data)).toEqual([]);
      await call(env(), null, 'GET', '/api/v1/webhooks/health', undefined, 401);
      // The single-subscription route still answers for real ids.
      expect((await call(env(), a, 'GET', `/api/v1/webhooks/${okSub.id}`, undefined, 200)).body.id).toBe(okSub.id);
      sick = false;
    }, 30_000);
  },
  // A long cooldown: the pause outlasts the test, so "paused" is a state to read, not a moment to catch.
  { dispatcher: { pollMs: 50, concurrency: 8, accountShare: 4, breaker: { threshold: 3, cooldownMs: 600_000, maxCooldownMs: 600_000 } } },
);
