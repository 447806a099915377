/**
 * A MetaKocka receiver written from seed 000 alone: nothing from src/ is used to verify, only to
 * set data up through the HTTP API.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, type TestAccount, type TestEnv } from '../support/env.js';
import { call, post, product, warehouse } from '../support/fixtures.js';
import { eventually, Receiver, type Received as Raw } from '../support/receiver.js';

const TITLE = '1,0 mm Düse für Mini HVLP Lackierpistole Spritzpistole Düsen set Nadel Rostfrei';
const SECRET = 'mk-client-secret-1';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ROW_KEYS = ['warehouse_id', 'mk_id', 'count_code', 'code', 'title', 'amount', 'reserved_amount', 'free_amount', 'unit'];

/** What a MetaKocka receiver does first: Base64(HMAC-SHA1(client_secret, body bytes)). */
function verify(r: Raw, secret: string): boolean {
  return r.headers['x-metakocka-signature'] === createHmac('sha1', secret).update(r.raw).digest('base64');
}

/** Seed 000's body: four string fields and a stock_list of rows whose every value is a string. */
function checkBody(r: Raw): any {
  const body = JSON.parse(r.raw.toString('utf8'));
  expect(Object.keys(body).sort()).toEqual(['opr_code', 'opr_time_ms', 'stock_list', 'stock_list_count']);
  for (const k of ['opr_code', 'opr_time_ms', 'stock_list_count']) expect(typeof body[k], k).toBe('string');
  expect(Array.isArray(body.stock_list)).toBe(true);
  expect(body.stock_list_count).toBe(String(body.stock_list.length));
  for (const row of body.stock_list) {
    for (const k of ROW_KEYS) expect(row, k).toHaveProperty(k);
    for (const [k, v] of Object.entries(row)) expect(typeof v, k).toBe('string');
    expect(Number(row.free_amount)).toBeCloseTo(Number(row.amount) - Number(row.reserved_amount), 9);
  }
  return body;
}

const subscribe = (e: TestEnv, a: TestAccount, body: object) =>
  call(e, a, 'POST', '/api/v1/webhooks', { format: 'metakocka', secret: SECRET, ...body }, 201).then((r) => r.body);

async function deliveryOf(e: TestEnv, a: TestAccount, webhookId: string) {
  const list = await call(e, a, 'GET', `/api/v1/webhooks/${webhookId}/deliveries`, undefined, 200);
  return (await call(e, a, 'GET', `/api/v1/deliveries/${list.body.data[0].id}`, undefined, 200)).body;
}

/** The subscription's delivery log (its rows are written with the change, in the same transaction). */
async function log(e: TestEnv, a: TestAccount, webhookId: string): Promise<any[]> {
  return (await call(e, a, 'GET', `/api/v1/webhooks/${webhookId}/deliveries`, undefined, 200)).body.data;
}

describeEachDb(
  'metakocka format (seed 000 receiver)',
  (env) => {
    let rx: Receiver;
    beforeAll(async () => {
      rx = await Receiver.start((r) => {
        const n = rx.on(r.path).length;
        if (r.path.startsWith('/text')) return { status: 200, body: 'OK' };
        if (r.path.startsWith('/error')) return { status: 200, body: '{"status":"error","message":"try later"}' };
        if (r.path.startsWith('/later')) return [{ status: 200, body: '{"status":"error"}' }, { status: 500, body: '{"status":"ok"}' }][n - 1] ?? { status: 200, body: '{"status":"ok","id":7}' };
        return { status: 200, body: '{"status":"ok"}' };
      });
    });
    afterAll(async () => rx.close());

    it('sends each changed product once per transaction with its whole stock list, signed over the raw bytes, equal to the GET service', async () => {
      const e = env();
      const a = await e.newAccount();
      const w1 = await warehouse(e, a, 'Ljubljana');
      const w2 = await warehouse(e, a, 'Maribor');
      const off = await warehouse(e, a, 'Closed', { active: false });
      const p = await product(e, a, { sku: 'PA-4020', code: '150974832263', title: TITLE, unit: 'kos' });
      const q = await product(e, a, { sku: 'Q-1', code: '2', title: 'Other', unit: 'kos' });
      const sub = await subscribe(e, a, { url: rx.url('/stock'), basicAuth: { username: 'mk', password: 'pw' } });
      expect(sub.secret).toBe(SECRET);
      await post(e, a, {
        type: 'receipt',
        warehouseId: w1,
        lines: [
          { productId: p, quantity: 2, lot: 'L1' },
          { productId: p, quantity: 3, lot: 'L2', expiry: '2030-01-31' },
          { productId: p, quantity: 1, serial: 'S-1', location: 'A-1' },
          { productId: q, quantity: 5 },
        ],
      });
      // Four changed stock keys, two products: one delivery per product, written with the receipt.
      expect(await log(e, a, sub.id)).toHaveLength(2);
      await eventually(async () => (await log(e, a, sub.id)).every((d) => d.status === 'succeeded'));
      const got = rx.on('/stock');
      // One request per product: each delivery was sent once.
      expect(got).toHaveLength(2);
      for (const r of got) {
        expect(verify(r, SECRET)).toBe(true);
        expect(verify(r, 'another-secret')).toBe(false);
        expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(r.headers['x-metakocka-event']).toBe('warehouse_product_stock_update');
        expect(r.headers['x-metakocka-id']).toMatch(UUID);
        expect(r.headers.authorization).toBe(`Basic ${Buffer.from('mk:pw').toString('base64')}`);
        expect(Number(r.headers['content-length'])).toBe(r.raw.length);
      }
      const mine = got.find((r) => checkBody(r).stock_list[0].mk_id === String(p)) as Raw;
      // UTF-8 on the wire: "ü" is the two bytes c3 bc.
      expect(mine.raw.includes(Buffer.from('D\u00fcse', 'utf8'))).toBe(true);
      expect(mine.raw.includes(Buffer.from([0xc3, 0xbc]))).toBe(true);
      const body = checkBody(mine);
      const rows = body.stock_list as any[];
      // Three distinct lot / expiry / serial / location rows in w1, a zero row for w2, nothing for the inactive one.
      expect(rows.filter((x) => x.warehouse_id === String(w1))).toHaveLength(3);
      expect(rows.filter((x) => x.warehouse_id === String(w2))).toEqual([
        { warehouse_id: String(w2), mk_id: String(p), count_code: 'PA-4020', code: '150974832263', title: TITLE, amount: '0', reserved_amount: '0', free_amount: '0', unit: 'kos' },
      ]);
      expect(rows.some((x) => x.warehouse_id === String(off))).toBe(false);
      expect(rows.filter((x) => x.warehouse_id === String(w1)).map((x) => x.amount).sort()).toEqual(['1', '2', '3']);
      for (const x of rows) expect(x).toMatchObject({ mk_id: String(p), count_code: 'PA-4020', code: '150974832263', title: TITLE, unit: 'kos' });
      // Push and pull agree byte for byte while nothing changed in between.
      const pulled = await e.app.inject({ method: 'GET', url: `/api/v1/stock/metakocka?productId=${p}`, headers: a.auth });
      expect(pulled.statusCode).toBe(200);
      expect(pulled.rawPayload.equals(mine.raw)).toBe(true);
      // The id is the delivery's, as the webhook log shows it.
      const logged = await log(e, a, sub.id);
      expect(logged.map((d: any) => d.id).sort()).toEqual(got.map((r) => r.headers['x-metakocka-id']).sort());
      expect(logged.every((d: any) => d.eventType === 'stock.changed')).toBe(true);
      // Product edits and order-less changes that are not stock changes send nothing: no delivery is
      // written with them (the log is written in the change's own transaction, so this is final).
      await call(e, a, 'PATCH', `/api/v1/products/${p}`, { price: 9 }, 200);
      await call(e, a, 'PATCH', `/api/v1/warehouses/${w2}`, { name: 'Maribor 2' }, 200);
      expect((await log(e, a, sub.id)).map((d) => d.id).sort()).toEqual(logged.map((d: any) => d.id).sort());
      expect(rx.on('/stock')).toHaveLength(2);
    });

    /*
     * Seed 000 (000_7b98ce3caed45c8a.txt): "if one product in one warehouse has different lot number / exporation date /
     * serial number / microlocation - one JSON object would be for every stock that has different values of this
     * paramethers." A receiver keeps one row per lot and updates it from the row with the same lot: a lot used up must
     * come as a row with "amount": "0", or the receiver keeps its old amount.
     */
    it('a lot used up while its warehouse keeps other lots is sent at "0" by the change that zeroed it, and left out after the next change (seed 000: "one JSON object would be for every stock that has different values")', async () => {
      const e = env();
      const a = await e.newAccount();
      const w1 = await warehouse(e, a, 'Ljubljana');
      const w2 = await warehouse(e, a, 'Maribor');
      const p = await product(e, a, { sku: 'PA-4020', code: '150974832263', title: TITLE, unit: 'kos' });
      const sub = await subscribe(e, a, { url: rx.url('/lots') });
      /** The n-th request: each change below is posted only after the one before it arrived. */
      const nth = async (n: number): Promise<Raw> => {
        await eventually(() => rx.on('/lots').length >= n);
        const r = rx.on('/lots')[n - 1];
        expect(verify(r, SECRET)).toBe(true);
        return r;
      };
      const rows = (r: Raw) => checkBody(r).stock_list.map((x: any) => [Number(x.warehouse_id), x.lot_number ?? null, x.amount, x.free_amount]);
      const pulled = async () => (await e.app.inject({ method: 'GET', url: `/api/v1/stock/metakocka?productId=${p}`, headers: a.auth })).rawPayload;

      await post(e, a, { type: 'receipt', warehouseId: w1, lines: [{ productId: p, quantity: 2, lot: 'L1' }, { productId: p, quantity: 3, lot: 'L2' }] });
      expect(rows(await nth(1))).toEqual([[w1, 'L1', '2', '2'], [w1, 'L2', '3', '3'], [w2, null, '0', '0']]);

      // L1 is sold out while w1 still holds L2: the webhook of that sale has L1 at 0.
      await post(e, a, { type: 'sale', warehouseId: w1, lines: [{ productId: p, quantity: 2, lot: 'L1' }] });
      const zeroed = await nth(2);
      expect(rows(zeroed)).toEqual([[w1, 'L1', '0', '0'], [w1, 'L2', '3', '3'], [w2, null, '0', '0']]);
      expect(checkBody(zeroed).stock_list[0]).toEqual({
        warehouse_id: String(w1), mk_id: String(p), count_code: 'PA-4020', code: '150974832263', title: TITLE,
        amount: '0', reserved_amount: '0', free_amount: '0', unit: 'kos', lot_number: 'L1',
      });
      // Until the product's next change the GET service lists it too ("You will get the same data as calling get service").
      expect((await pulled()).equals(zeroed.raw)).toBe(true);

      // The product's next change leaves it out, in the webhook and in the GET service alike.
      await post(e, a, { type: 'receipt', warehouseId: w2, lines: [{ productId: p, quantity: 1 }] });
      const next = await nth(3);
      expect(rows(next)).toEqual([[w1, 'L2', '3', '3'], [w2, null, '1', '1']]);
      expect((await pulled()).equals(next.raw)).toBe(true);

      // The warehouse's last lot used up: its row at 0 names the lot; after the next change the
      // warehouse has its one row of zeros ("Even in product has no stock in this warehouse").
      await post(e, a, { type: 'sale', warehouseId: w1, lines: [{ productId: p, quantity: 3, lot: 'L2' }] });
      expect(rows(await nth(4))).toEqual([[w1, 'L2', '0', '0'], [w2, null, '1', '1']]);
      await post(e, a, { type: 'sale', warehouseId: w2, lines: [{ productId: p, quantity: 1 }] });
      const last = await nth(5);
      expect(rows(last)).toEqual([[w1, null, '0', '0'], [w2, null, '0', '0']]);
      expect((await pulled()).equals(last.raw)).toBe(true);
      // One request per change: the log (written with each change) has exactly these five.
      expect((await log(e, a, sub.id)).map((d) => d.id).sort()).toEqual(rx.on('/lots').map((r) => r.headers['x-metakocka-id']).sort());
    });

    it('succeeds only on a 2xx JSON answer with status "ok": any other answer is retried, 3 attempts in all, then failed', async () => {
      const e = env();
      const a = await e.newAccount();
      const w = await warehouse(e, a);
      const p = await product(e, a);
      const subs: any[] = [];
      for (const path of ['/text', '/error', '/later']) subs.push(await subscribe(e, a, { url: rx.url(path), retrySchedule: [0.1, 0.1] }));
      expect(subs[0].retrySchedule).toEqual([0.1, 0.1]);
      await post(e, a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      const ds = await eventually<any>(async () => {
        const x = await Promise.all(subs.map((s) => deliveryOf(e, a, s.id)));
        return x.every((d) => d.status !== 'pending') && x;
      });
      expect(ds.map((d: any) => [d.status, d.attempts])).toEqual([
        ['failed', 3],
        ['failed', 3],
        ['succeeded', 3],
      ]);
      // Each attempt's answer was read before its result was written: all 3 requests have arrived.
      for (const path of ['/text', '/error', '/later']) {
        const got = rx.on(path);
        expect(got, path).toHaveLength(3);
        expect(new Set(got.map((r) => r.headers['x-metakocka-id'])).size).toBe(1);
        expect(new Set(got.map((r) => r.raw.toString('hex'))).size).toBe(1);
        for (const r of got) expect(verify(r, SECRET)).toBe(true);
        for (let i = 1; i < got.length; i++) expect(got[i].at - got[i - 1].at).toBeGreaterThanOrEqual(90);
      }
    });

    it('defaults to two more tries 60 s apart, without jitter, and generates a client_secret when none is given', async () => {
      const e = env();
      const a = await e.newAccount();
      const w = await warehouse(e, a);
      const p = await product(e, a);
      const sub = (await call(e, a, 'POST', '/api/v1/webhooks', { format: 'metakocka', url: rx.url('/error-default') }, 201)).body;
      expect(sub.retrySchedule).toEqual([60, 60]);
      expect(typeof sub.secret).toBe('string');
      expect(sub.secret.length).toBeGreaterThan(0);
      await post(e, a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      const d = await eventually<any>(async () => {
        const x = await deliveryOf(e, a, sub.id);
        return x.attempts === 1 && x.nextAttemptAt && x;
      });
      // The retry was decided after the attempt ended and before the read above came back.
      const readAt = Date.now();
      expect(verify(rx.on('/error-default')[0], sub.secret)).toBe(true);
      const wait = Date.parse(d.nextAttemptAt) - Date.parse(d.attemptLog[0].startedAt) - d.attemptLog[0].durationMs;
      // Jitter of even 10% would move it by up to 6 s either way: 60 s after the end, at the earliest,
      // and no later than 60 s after the read (orders of events, not a tolerance).
      expect(wait).toBeGreaterThanOrEqual(59_990);
      expect(Date.parse(d.nextAttemptAt)).toBeLessThanOrEqual(readAt + 60_000);
      await call(e, a, 'DELETE', `/api/v1/webhooks/${sub.id}`, undefined, 204);
    });

    it('takes any non-empty client_secret the user chose in MetaKocka: 1 and 300 characters sign real deliveries', async () => {
      const e = env();
      const a = await e.newAccount();
      const w = await warehouse(e, a);
      const p = await product(e, a);
      const short = 'k';
      const long = 'Ž#'.repeat(150);
      const s1 = await subscribe(e, a, { url: rx.url('/secret-short'), secret: short });
      const s2 = await subscribe(e, a, { url: rx.url('/secret-long'), secret: long });
      expect([s1.secret, s2.secret]).toEqual([short, long]);
      await post(e, a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      await eventually(() => rx.on('/secret-short').length === 1 && rx.on('/secret-long').length === 1);
      const [r1, r2] = [rx.on('/secret-short')[0], rx.on('/secret-long')[0]];
      expect([verify(r1, short), verify(r1, long), verify(r2, long), verify(r2, short)]).toEqual([true, false, true, false]);
      expect(checkBody(r2).stock_list[0].mk_id).toBe(String(p));
      // An empty secret is refused; the Standard Webhooks formats keep their own rule.
      const bad: Array<[object, string]> = [
        [{ format: 'metakocka', secret: '' }, 'body.secret must NOT have fewer than 1 characters'],
        [{ format: 'metakocka', secret: 'x'.repeat(513) }, 'body.secret must NOT have more than 512 characters'],
        [{ format: 'native', secret: 'k' }, 'secret must be whsec_ followed by base64'],
        [{ format: 'marketplace', secret: 'x'.repeat(300) }, 'secret must be whsec_ followed by base64'],
      ];
      for (const [body, message] of bad) {
        const res = await call(e, a, 'POST', '/api/v1/webhooks', { url: rx.url('/never'), ...body }, 400);
        expect(res.body.error.message).toContain(message);
      }
    });

    it('signs a retry with the client_secret in force when it is sent', async () => {
      const e = env();
      const a = await e.newAccount();
      const w = await warehouse(e, a);
      const p = await product(e, a);
      const sub = await subscribe(e, a, { url: rx.url('/later-rotated'), retrySchedule: [1, 1] });
      await post(e, a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      await eventually(() => rx.on('/later-rotated').length === 1);
      const rotated = (await call(e, a, 'POST', `/api/v1/webhooks/${sub.id}/rotate-secret`, undefined, 200)).body.secret;
      expect(rotated).not.toBe(SECRET);
      await eventually(() => rx.on('/later-rotated').length === 3, 8000);
      const got = rx.on('/later-rotated');
      expect(verify(got[0], SECRET)).toBe(true);
      expect(got.slice(1).map((r) => [verify(r, rotated), verify(r, SECRET)])).toEqual([
        [true, false],
        [true, false],
      ]);
    });
  },
  { dispatcher: { pollMs: 100 } },
);
