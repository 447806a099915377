import { beforeAll, describe, expect, it } from 'vitest';
import { call, levels, post, product, warehouse } from '../support/fixtures.js';
import { describeEachDb, type TestAccount } from '../support/env.js';

/** Waits until the clock has moved past `iso`, so the next write gets a later time. */
async function after(iso: string): Promise<void> {
  while (Date.now() <= Date.parse(iso)) await new Promise((r) => setTimeout(r, 1));
}

const code = (res: { body: any }) => res.body.error.code;

describeEachDb('stock history: documents, movements and stock at a past moment', (env) => {
  let a: TestAccount;
  let wh1: number;
  let wh2: number;
  let p1: number;
  let p2: number;
  const docs: Record<string, any> = {};

  // receipt 10 (lot L1) → transfer 3 to wh2 → reserve 1 → sale 2 → cancel the sale; p2 gets a plain receipt of 4.
  beforeAll(async () => {
    a = await env().newAccount('paid');
    wh1 = await warehouse(env(), a, 'North');
    wh2 = await warehouse(env(), a, 'South');
    p1 = await product(env(), a, { title: 'Trail Shoe', sku: 'TS-42', code: '4006381333931' });
    p2 = await product(env(), a, { title: 'Sock 100%_cotton', sku: 'SK-1', code: '555' });
    const line = { productId: p1, lot: 'L1', expiry: '2027-01-31' };
    const steps: Array<[string, object]> = [
      ['receipt', { type: 'receipt', warehouseId: wh1, reference: 'PO-1', lines: [{ ...line, quantity: 10 }] }],
      ['transfer', { type: 'transfer', warehouseId: wh1, toWarehouseId: wh2, lines: [{ ...line, quantity: 3 }] }],
      ['reserve', { type: 'reserve', warehouseId: wh1, lines: [{ ...line, quantity: 1 }] }],
      ['sale', { type: 'sale', warehouseId: wh1, reference: 'SO-9', lines: [{ ...line, quantity: 2 }] }],
      ['p2', { type: 'receipt', warehouseId: wh2, lines: [{ productId: p2, quantity: 4 }] }],
    ];
    for (const [name, doc] of steps) {
      docs[name] = (await post(env(), a, doc)).body;
      await after(docs[name].createdAt);
    }
    docs.cancelled = (await call(env(), a, 'POST', `/api/v1/documents/${docs.sale.id}/cancel`, undefined, 200)).body;
    docs.reversal = (await call(env(), a, 'GET', `/api/v1/documents/${docs.cancelled.reversedByDocumentId}`, undefined, 200)).body;
  });

  describe('GET /api/v1/documents', () => {
    const list = async (q = '') => (await call(env(), a, 'GET', `/api/v1/documents${q}`, undefined, 200)).body;

    it('lists documents newest first with lines, author and status', async () => {
      const { data, nextCursor } = await list();
      expect(nextCursor).toBeNull();
      expect(data.map((d: any) => [d.id, d.type, d.status])).toEqual([
        [docs.reversal.id, 'sale', 'posted'],
        [docs.p2.id, 'receipt', 'posted'],
        [docs.sale.id, 'sale', 'cancelled'],
        [docs.reserve.id, 'reserve', 'posted'],
        [docs.transfer.id, 'transfer', 'posted'],
        [docs.receipt.id, 'receipt', 'posted'],
      ]);
      expect(data[5]).toEqual({
        id: docs.receipt.id,
        type: 'receipt',
        status: 'posted',
        warehouseId: wh1,
        toWarehouseId: null,
        reference: 'PO-1',
        reversesDocumentId: null,
        reversedByDocumentId: null,
        createdAt: docs.receipt.createdAt,
        lines: [{ productId: p1, size: null, lot: 'L1', expiry: '2027-01-31', serial: null, location: null, quantity: 10 }],
        author: { kind: 'user', applicationId: null },
        source: null,
      });
      expect(data[0]).toMatchObject({ reversesDocumentId: docs.sale.id, reference: 'SO-9', lines: [{ quantity: 2 }] });
      expect(data[2]).toMatchObject({ reversedByDocumentId: docs.reversal.id });
    });

    it('filters by type, warehouse (either side of a transfer), cancelled and time', async () => {
      const ids = async (q: string) => (await list(q)).data.map((d: any) => d.id);
      expect(await ids('?type=receipt')).toEqual([docs.p2.id, docs.receipt.id]);
      expect(await ids(`?warehouseId=${wh2}`)).toEqual([docs.p2.id, docs.transfer.id]);
      expect(await ids('?cancelled=true')).toEqual([docs.sale.id]);
      expect(await ids('?cancelled=false&type=sale')).toEqual([docs.reversal.id]);
      expect(await ids(`?since=${docs.reserve.createdAt}&until=${docs.p2.createdAt}`)).toEqual([docs.sale.id, docs.reserve.id]);
      expect(await ids(`?warehouseId=${wh2}&type=sale`)).toEqual([]);
    });

    it('pages with an opaque cursor and refuses a forged one', async () => {
      const all = (await list()).data.map((d: any) => d.id);
      const seen: number[] = [];
      let cursor = '';
      let pages = 0;
      do {
        const page = await list(`?limit=4${cursor && `&cursor=${cursor}`}`);
        seen.push(...page.data.map((d: any) => d.id));
        cursor = page.nextCursor ?? '';
        pages++;
      } while (cursor);
      expect(seen).toEqual(all);
      expect(pages).toBe(2);
      for (const q of ['?cursor=abc', `?cursor=${Buffer.from('["x"]').toString('base64url')}`, '?type=loan', '?cancelled=maybe', '?since=2026-02-30T00:00:00Z', '?limit=0']) {
        const res = await call(env(), a, 'GET', `/api/v1/documents${q}`, undefined, 400);
        expect(code(res), q).toBe('VALIDATION_FAILED');
      }
    });

    it("shows another account nothing, and records an application's token as the author", async () => {
      const other = await env().newAccount('paid');
      expect((await call(env(), other, 'GET', '/api/v1/documents', undefined, 200)).body.data).toEqual([]);
      expect((await call(env(), other, 'GET', `/api/v1/movements?productId=${p1}`, undefined, 200)).body.data).toEqual([]);
      expect((await call(env(), other, 'GET', `/api/v1/stock?at=${new Date(Date.now() + 60_000).toISOString()}`, undefined, 200)).body.data).toEqual([]);
      expect((await call(env(), other, 'GET', `/api/v1/stock?q=trail`, undefined, 200)).body.data).toEqual([]);
      await call(env(), null, 'GET', '/api/v1/movements', undefined, 401);
      await call(env(), null, 'GET', '/api/v1/documents', undefined, 401);
      await call(env(), other, 'GET', `/api/v1/documents/${docs.receipt.id}`, undefined, 404);
      const reg = await env().app.inject({ method: 'POST', url: '/api/v1/applications', headers: { authorization: `Bearer ${env().adminToken}` }, payload: { name: 'ERP' } });
      const appId = reg.json().id as number;
      const token = (await call(env(), other, 'POST', `/api/v1/applications/${appId}/install`, undefined, 201)).body.accessToken as string;
      const asApp = { ...other, token, auth: { authorization: `Bearer ${token}` } };
      const w = await warehouse(env(), other);
      const p = await product(env(), other);
      const posted = (await post(env(), asApp, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] })).body;
      expect(posted.author).toEqual({ kind: 'application', applicationId: appId });
      expect((await call(env(), other, 'GET', '/api/v1/documents', undefined, 200)).body.data[0].author).toEqual({ kind: 'application', applicationId: appId });
    });
  });

  describe('GET /api/v1/movements', () => {
    it("gives a product's movements newest first with the key's level after each, across pages", async () => {
      const all = (await call(env(), a, 'GET', `/api/v1/movements?productId=${p1}`, undefined, 200)).body;
      const rows = all.data.map((m: any) => [m.document.id, m.warehouseId, m.amountDelta, m.reservedDelta, m.amount, m.reserved, m.free]);
      expect(rows).toEqual([
        [docs.reversal.id, wh1, 2, 0, 7, 1, 6],
        [docs.sale.id, wh1, -2, 0, 5, 1, 4],
        [docs.reserve.id, wh1, 0, 1, 7, 1, 6],
        [docs.transfer.id, wh2, 3, 0, 3, 0, 3],
        [docs.transfer.id, wh1, -3, 0, 7, 0, 7],
        [docs.receipt.id, wh1, 10, 0, 10, 0, 10],
      ]);
      expect(all.data[0]).toMatchObject({
        productId: p1,
        lot: 'L1',
        expiry: '2027-01-31',
        size: null,
        createdAt: docs.reversal.createdAt,
        document: { id: docs.reversal.id, type: 'sale', reference: 'SO-9', reversesDocumentId: docs.sale.id, source: null, author: { kind: 'user', applicationId: null } },
      });
      // Two at a time: each page still works the level back from the present correctly.
      const paged: any[] = [];
      let cursor = '';
      do {
        const page = (await call(env(), a, 'GET', `/api/v1/movements?productId=${p1}&limit=2${cursor && `&cursor=${cursor}`}`, undefined, 200)).body;
        paged.push(...page.data);
        cursor = page.nextCursor ?? '';
      } while (cursor);
      expect(paged).toEqual(all.data);
    });

    it('under concurrent writes each level follows from the one before and ends at the current level', async () => {
      const c = await env().newAccount('paid');
      const w = await warehouse(env(), c);
      const p = await product(env(), c);
      await post(env(), c, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 100 }] });
      const docsPosted = await Promise.all(
        Array.from({ length: 30 }, (_, i) => post(env(), c, { type: i % 3 ? 'sale' : 'receipt', warehouseId: w, lines: [{ productId: p, quantity: (i % 5) + 1 }] })),
      );
      expect(docsPosted.every((d) => d.status === 201)).toBe(true);
      const oldestFirst = (await call(env(), c, 'GET', `/api/v1/movements?productId=${p}&limit=1000`, undefined, 200)).body.data.reverse();
      expect(oldestFirst).toHaveLength(31);
      let level = 0;
      for (const m of oldestFirst) {
        expect(m.amount).toBe(level + m.amountDelta);
        level = m.amount;
      }
      expect(level).toBe((await levels(env(), c, `?productId=${p}`))[0].amount);
      expect(level).toBe(100 + [0, 3, 6, 9, 12, 15, 18, 21, 24, 27].reduce((n, i) => n + (i % 5) + 1, 0) - Array.from({ length: 30 }, (_, i) => i).filter((i) => i % 3).reduce((n, i) => n + (i % 5) + 1, 0));
    });

    it('narrows to one stock key; an empty part means the key has none', async () => {
      const get = async (q: string) => (await call(env(), a, 'GET', `/api/v1/movements?${q}`, undefined, 200)).body.data;
      expect((await get(`productId=${p1}&warehouseId=${wh2}&lot=L1&expiry=2027-01-31&size=&serial=&location=`)).map((m: any) => [m.amountDelta, m.amount])).toEqual([[3, 3]]);
      expect((await get(`lot=`)).map((m: any) => [m.productId, m.amount])).toEqual([[p2, 4]]);
      expect(await get(`productId=${p1}&lot=L2`)).toEqual([]);
      expect((await get(`documentId=${docs.transfer.id}`)).map((m: any) => m.amountDelta)).toEqual([3, -3]);
      expect((await get(`productId=${p1}&since=${docs.sale.createdAt}`)).map((m: any) => m.document.id)).toEqual([docs.reversal.id, docs.sale.id]);
      const bad = await call(env(), a, 'GET', `/api/v1/movements?productId=abc`, undefined, 400);
      expect(code(bad)).toBe('VALIDATION_FAILED');
      expect(code(await call(env(), a, 'GET', `/api/v1/movements?cursor=%%%`, undefined, 400))).toBe('VALIDATION_FAILED');
    });
  });

  describe('GET /api/v1/stock?at=', () => {
    const at = async (iso: string, q = '') => (await call(env(), a, 'GET', `/api/v1/stock?at=${encodeURIComponent(iso)}${q}`, undefined, 200)).body.data;
    const brief = (rows: any[]) => rows.map((r) => [r.productId, r.warehouseId, r.amount, r.reserved, r.free, r.version]);

    it('answers each past moment from the ledger, in the shape of current stock', async () => {
      expect(await at(new Date(Date.parse(docs.receipt.createdAt) - 1).toISOString())).toEqual([]);
      expect(brief(await at(docs.receipt.createdAt))).toEqual([[p1, wh1, 10, 0, 10, 1]]);
      expect(brief(await at(docs.transfer.createdAt))).toEqual([
        [p1, wh1, 7, 0, 7, 2],
        [p1, wh2, 3, 0, 3, 1],
      ]);
      const afterSale = await at(docs.sale.createdAt);
      expect(brief(afterSale)).toEqual([
        [p1, wh1, 5, 1, 4, 4],
        [p1, wh2, 3, 0, 3, 1],
      ]);
      expect(afterSale[0]).toEqual({
        warehouseId: wh1,
        productId: p1,
        size: null,
        lot: 'L1',
        expiry: '2027-01-31',
        serial: null,
        location: null,
        amount: 5,
        reserved: 1,
        free: 4,
        version: 4,
        updatedAt: docs.sale.createdAt,
      });
      expect(brief(await at(docs.sale.createdAt, `&warehouseId=${wh2}`))).toEqual([[p1, wh2, 3, 0, 3, 1]]);
      // Now (or any later moment) is exactly the current stock: the ledger and the levels agree.
      const current = await call(env(), a, 'GET', '/api/v1/stock', undefined, 200);
      expect(await at(new Date(Date.now() + 60_000).toISOString())).toEqual(current.body.data);
      expect(current.body.nextCursor).toBeNull();
    });

    it('refuses a time that is not a real RFC 3339 moment with 400 VALIDATION_FAILED', async () => {
      for (const bad of ['2026-02-30T00:00:00Z', '2026-12-01', 'yesterday', '2026-12-01T25:00:00Z', '', '1e12']) {
        const res = await call(env(), a, 'GET', `/api/v1/stock?at=${encodeURIComponent(bad)}`, undefined, 400);
        expect(code(res), bad).toBe('VALIDATION_FAILED');
      }
    });
  });

  describe('GET /api/v1/stock search and paging', () => {
    const stock = async (q: string) => (await call(env(), a, 'GET', `/api/v1/stock?${q}`, undefined, 200)).body;

    it('searches title, SKU and code case-insensitively, with the product alongside', async () => {
      const r = await stock('q=trail&withProduct=true');
      expect(r.data.map((l: any) => [l.productId, l.warehouseId, l.product])).toEqual([
        [p1, wh1, { code: '4006381333931', sku: 'TS-42', title: 'Trail Shoe', unit: 'pcs' }],
        [p1, wh2, { code: '4006381333931', sku: 'TS-42', title: 'Trail Shoe', unit: 'pcs' }],
      ]);
      expect((await stock('q=sk-1')).data.map((l: any) => l.productId)).toEqual([p2]);
      expect((await stock('q=333931')).data.map((l: any) => l.productId)).toEqual([p1, p1]);
      // LIKE's own characters are taken literally.
      expect((await stock(`q=${encodeURIComponent('100%_c')}`)).data.map((l: any) => l.productId)).toEqual([p2]);
      expect((await stock(`q=${encodeURIComponent('%')}`)).data.map((l: any) => l.productId)).toEqual([p2]);
      expect((await stock('q=nothing-like-it')).data).toEqual([]);
      expect((await stock('q=trail')).data[0].product).toBeUndefined();
    });

    it('shows out-of-stock and expiring keys, and pages on the key order', async () => {
      await post(env(), a, { type: 'sale', warehouseId: wh2, lines: [{ productId: p1, lot: 'L1', expiry: '2027-01-31', quantity: 3 }] });
      expect((await stock('outOfStock=true')).data.map((l: any) => [l.productId, l.warehouseId, l.amount])).toEqual([[p1, wh2, 0]]);
      expect((await stock('expiresBy=2027-01-31')).data.map((l: any) => l.warehouseId)).toEqual([wh1, wh2]);
      expect((await stock('expiresBy=2027-01-30')).data).toEqual([]);
      const all = (await stock('')).data;
      expect(all.map((l: any) => [l.productId, l.warehouseId])).toEqual([
        [p1, wh1],
        [p1, wh2],
        [p2, wh2],
      ]);
      const first = await stock('limit=2');
      expect(first.data).toEqual(all.slice(0, 2));
      const second = await stock(`limit=2&cursor=${first.nextCursor}`);
      expect(second).toEqual({ data: all.slice(2), nextCursor: null });
      for (const q of ['limit=0', 'limit=1001', 'cursor=bm9wZQ', 'expiresBy=2027-02-30', 'outOfStock=sometimes']) {
        expect(code(await call(env(), a, 'GET', `/api/v1/stock?${q}`, undefined, 400)), q).toBe('VALIDATION_FAILED');
      }
    });
  });

  it('describes every new read in the OpenAPI document', async () => {
    const doc = (await call(env(), null, 'GET', '/openapi.json', undefined, 200)).body;
    const params = (path: string) => (doc.paths[path].get.parameters as any[]).map((p) => p.name).sort();
    expect(params('/api/v1/documents')).toEqual(['cancelled', 'cursor', 'dir', 'limit', 'q', 'since', 'sort', 'type', 'until', 'warehouseId']);
    expect(params('/api/v1/movements')).toEqual(['cursor', 'documentId', 'expiry', 'limit', 'location', 'lot', 'productId', 'serial', 'since', 'size', 'until', 'warehouseId']);
    expect(params('/api/v1/stock')).toEqual(expect.arrayContaining(['at', 'q', 'limit', 'cursor', 'withProduct', 'outOfStock', 'expiresBy', 'sort', 'dir']));
    // The exports take the lists' filters, not their paging.
    expect(params('/api/v1/stock/export')).toEqual(params('/api/v1/stock').filter((p) => !['limit', 'cursor', 'withProduct'].includes(p)));
    expect(params('/api/v1/movements/export')).toEqual(params('/api/v1/movements').filter((p) => !['limit', 'cursor'].includes(p)));
    expect(Object.keys(doc.paths['/api/v1/stock/export'].get.responses['200'].content)).toEqual(['text/csv']);
    expect(params('/api/v1/deliveries')).toContain('eventId');
    expect(params('/api/v1/events')).toContain('last');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/documents/{id}/events', '/api/v1/events/{id}']));
    expect(doc.components.schemas.Movement.properties).toHaveProperty('document');
    expect(doc.paths['/api/v1/stock'].get.parameters.find((p: any) => p.name === 'at').schema).toMatchObject({ type: 'string', format: 'date-time' });
  });

  describe('events of a document and their deliveries', () => {
    it('links a document to its events, an event to its deliveries, and a delivery back', async () => {
      const b = await env().newAccount('paid');
      const hook = (await call(env(), b, 'POST', '/api/v1/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['stock.changed'] }, 201)).body;
      const w = await warehouse(env(), b);
      const p = await product(env(), b);
      const noise = (await post(env(), b, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 9 }] })).body;
      const doc = (await post(env(), b, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 2 }, { productId: p, lot: 'X', quantity: 1 }] })).body;
      const evs = (await call(env(), b, 'GET', `/api/v1/documents/${doc.id}/events`, undefined, 200)).body.data;
      expect(evs.map((e: any) => [e.type, e.data.documentId ?? e.data.document?.id, e.data.amount])).toEqual([
        ['document.posted', doc.id, undefined],
        ['stock.changed', doc.id, 11],
        ['stock.changed', doc.id, 1],
      ]);
      const changed = evs[1];
      expect((await call(env(), b, 'GET', `/api/v1/events/${changed.id}`, undefined, 200)).body).toEqual(changed);
      const ds = (await call(env(), b, 'GET', `/api/v1/deliveries?eventId=${changed.id}`, undefined, 200)).body.data;
      expect(ds.map((d: any) => [d.webhookId, d.eventId, d.eventType])).toEqual([[hook.id, changed.id, 'stock.changed']]);
      // Cancelling adds document.cancelled and the reversal's stock changes to the same document.
      await call(env(), b, 'POST', `/api/v1/documents/${noise.id}/cancel`, undefined, 200);
      const cancelled = (await call(env(), b, 'GET', `/api/v1/documents/${noise.id}/events`, undefined, 200)).body.data;
      expect(cancelled.map((e: any) => [e.type, e.data.amountDelta ?? null])).toEqual([
        ['document.posted', null],
        ['stock.changed', 9],
        ['document.cancelled', null],
        ['stock.changed', -9],
      ]);
      // A live tail starts from the newest events, in commit order, and goes on with after=.
      const all = (await call(env(), b, 'GET', '/api/v1/events?limit=1000', undefined, 200)).body;
      const tail = (await call(env(), b, 'GET', '/api/v1/events?last=3', undefined, 200)).body;
      expect(tail).toEqual({ data: all.data.slice(-3), nextAfter: all.nextAfter });
      expect((await call(env(), b, 'GET', `/api/v1/events?last=2&after=${all.nextAfter - 1}`, undefined, 200)).body.data).toEqual(all.data.slice(-1));
      expect(code(await call(env(), b, 'GET', '/api/v1/events?last=0', undefined, 400))).toBe('VALIDATION_FAILED');
      await call(env(), b, 'GET', `/api/v1/events/${crypto.randomUUID()}`, undefined, 404);
      await call(env(), a, 'GET', `/api/v1/events/${changed.id}`, undefined, 404);
      await call(env(), a, 'GET', `/api/v1/documents/${doc.id}/events`, undefined, 404);
      expect(code(await call(env(), b, 'GET', '/api/v1/events/not-a-uuid', undefined, 400))).toBe('VALIDATION_FAILED');
      expect(code(await call(env(), b, 'GET', '/api/v1/deliveries?eventId=nope', undefined, 400))).toBe('VALIDATION_FAILED');
      expect(await levels(env(), b, `?productId=${p}&nonZero=true`)).toHaveLength(2);
    });
  });
});
