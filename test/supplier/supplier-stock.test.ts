import { expect, it } from 'vitest';
import type { TestAccount, TestEnv } from '../support/env.js';
import { describeEachDb } from '../support/env.js';
import { call, events, levels, product, warehouse } from '../support/fixtures.js';

const URL = '/api/v1/supplier/stock';
const SIZES = [
  { value: 'M', sizeId: 1 },
  { value: 'XL', sizeId: 5 },
];

async function supply(env: TestEnv, a: TestAccount, payload: object, headers: Record<string, string> = {}) {
  const res = await env.app.inject({ method: 'POST', url: URL, headers: { ...a.auth, ...headers }, payload });
  return { status: res.statusCode, body: res.json(), headers: res.headers };
}

/** An account with one warehouse and a sized product carrying supplier id SS21CA2N. */
async function setup(env: TestEnv) {
  const a = await env.newAccount();
  const w = await warehouse(env, a);
  const p = await product(env, a, { supplierProductId: 'SS21CA2N', sizes: SIZES, price: 70000 });
  return { a, w, p };
}

const bySize = (rows: any[]) => Object.fromEntries(rows.map((l) => [l.size, [l.amount, l.reserved, l.free]]));

describeEachDb('supplier stock API', (env) => {
  it('sizes[].count is the remaining balance: the seed example leaves 2, each message posts one count document with its reason', async () => {
    const { a, w, p } = await setup(env());
    const before = (await events(env(), a)).length;
    const r = await supply(env(), a, { supplierProductId: 'SS21CA2N', action: 'receipts', sizes: [{ value: 'M', count: 5 }, { value: 'XL', count: 3 }] });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      action: 'receipts',
      supplierProductId: 'SS21CA2N',
      productId: p,
      documentId: expect.any(Number),
      warehouseId: w,
      price: 70000,
      levels: [
        { size: 'M', amount: 5, reserved: 0, free: 5 },
        { size: 'XL', amount: 3, reserved: 0, free: 3 },
      ],
    });
    // The seed's own example, byte for byte: after the sale the supplier has 2 XL left (it sold 1),
    // and the newPrice it sends along is applied.
    const sold = await supply(env(), a, { supplierProductId: 'SS21CA2N', action: 'sold', newPrice: 76000, sizes: [{ value: 'XL', count: 2, soldCount: 1, sizeId: 5 }] });
    expect(sold.status).toBe(200);
    expect(sold.body).toMatchObject({ action: 'sold', price: 76000, levels: [{ size: 'M', amount: 5 }, { size: 'XL', amount: 2, free: 2 }] });
    expect(bySize(await levels(env(), a, `?productId=${p}`))).toEqual({ M: [5, 0, 5], XL: [2, 0, 2] });
    expect((await call(env(), a, 'GET', `/api/v1/products/${p}`, undefined, 200)).body.price).toBe(76000);
    // Resending the same balance moves nothing: a balance is idempotent by nature.
    await supply(env(), a, { supplierProductId: 'SS21CA2N', action: 'sold', sizes: [{ value: 'XL', count: 2, soldCount: 1 }] });
    await supply(env(), a, { supplierProductId: 'SS21CA2N', action: 'cancel', sizes: [{ value: 'XL', count: 3 }] });
    expect(bySize(await levels(env(), a, `?productId=${p}`))).toEqual({ M: [5, 0, 5], XL: [3, 0, 3] });
    const ret = await supply(env(), a, { supplierProductId: 'SS21CA2N', action: 'return', sizes: [{ value: 'M', count: 6 }] });
    expect(bySize(await levels(env(), a, `?productId=${p}`))).toEqual({ M: [6, 0, 6], XL: [3, 0, 3] });
    // Sold out: count 0 is a balance like any other.
    const out = await supply(env(), a, { supplierProductId: 'SS21CA2N', action: 'sold', sizes: [{ value: 'M', count: 0, soldCount: 6 }] });
    expect(out.status).toBe(200);
    expect(bySize(await levels(env(), a, `?productId=${p}`))).toEqual({ M: [0, 0, 0], XL: [3, 0, 3] });

    const evs = (await events(env(), a)).slice(before);
    expect(evs.map((e) => [e.type, e.data.documentType ?? e.data.document?.type ?? null, e.data.size ?? null, e.data.amount ?? null])).toEqual([
      ['document.posted', 'count', null, null],
      ['stock.changed', 'count', 'M', 5],
      ['stock.changed', 'count', 'XL', 3],
      ['document.posted', 'count', null, null],
      ['stock.changed', 'count', 'XL', 2],
      ['product.updated', null, null, null],
      ['document.posted', 'count', null, null],
      ['document.posted', 'count', null, null],
      ['stock.changed', 'count', 'XL', 3],
      ['document.posted', 'count', null, null],
      ['stock.changed', 'count', 'M', 6],
      ['document.posted', 'count', null, null],
      ['stock.changed', 'count', 'M', 0],
    ]);
    expect(evs.filter((e) => e.type === 'stock.changed').map((e) => e.data.reference)).toEqual([
      'supplier:receipts',
      'supplier:receipts',
      'supplier:sold',
      'supplier:cancel',
      'supplier:return',
      'supplier:sold',
    ]);
    const doc = (await call(env(), a, 'GET', `/api/v1/documents/${ret.body.documentId}`, undefined, 200)).body;
    expect(doc).toMatchObject({ type: 'count', warehouseId: w, reference: 'supplier:return', lines: [{ productId: p, size: 'M', quantity: 6 }] });
    const sources = await env().store.db.selectFrom('documents').select('source').where('account_id', '=', a.id).execute();
    expect(sources.map((s) => s.source)).toEqual(Array(6).fill('supplier'));
    // Levels are still the sum of movements.
    const moved = await env()
      .store.db.selectFrom('movements')
      .select((eb) => eb.fn.sum<number>('amount_delta').as('s'))
      .where('account_id', '=', a.id)
      .executeTakeFirstOrThrow();
    expect(Number(moved.s)).toBe(3);
  });

  it('a product without sizes is addressed by the size value ""', async () => {
    const a = await env().newAccount();
    await warehouse(env(), a);
    const p = await product(env(), a, { supplierProductId: 'PLAIN' });
    const r = await supply(env(), a, { supplierProductId: 'PLAIN', action: 'receipts', sizes: [{ value: '', count: 4 }] });
    expect(r.status).toBe(200);
    expect(r.body.levels).toEqual([{ size: null, amount: 4, reserved: 0, free: 4 }]);
    await supply(env(), a, { supplierProductId: 'PLAIN', action: 'sold', sizes: [{ value: '', count: 3, soldCount: 1 }] });
    expect((await levels(env(), a, `?productId=${p}`)).map((l) => [l.size, l.amount])).toEqual([[null, 3]]);
    const sized = await supply(env(), a, { supplierProductId: 'PLAIN', action: 'sold', sizes: [{ value: 'M', count: 1 }] });
    expect([sized.status, sized.body.error.code, sized.body.error.details.sizes]).toEqual([422, 'UNKNOWN_SIZE', ['']]);
  });

  it('the balance is the size total at the warehouse: lots booked by other documents stay, the plain key takes the rest', async () => {
    const { a, w, p } = await setup(env());
    await call(env(), a, 'POST', '/api/v1/documents', { type: 'receipt', warehouseId: w, lines: [{ productId: p, size: 'M', lot: 'L1', quantity: 2 }] }, 201);
    const r = await supply(env(), a, { supplierProductId: 'SS21CA2N', action: 'receipts', sizes: [{ value: 'M', count: 5 }] });
    expect(r.body.levels[0]).toEqual({ size: 'M', amount: 5, reserved: 0, free: 5 });
    expect((await levels(env(), a, `?productId=${p}`)).map((l) => [l.lot, l.amount])).toEqual([
      [null, 3],
      ['L1', 2],
    ]);
    const below = await supply(env(), a, { supplierProductId: 'SS21CA2N', action: 'sold', sizes: [{ value: 'M', count: 1 }] });
    expect([below.status, below.body.error.code, below.body.error.details.field]).toEqual([422, 'INSUFFICIENT_STOCK', 'sizes[0].count']);
  });

  it('price changes the product price, needs no sizes and emits product.updated', async () => {
    const { a, w, p } = await setup(env());
    const before = (await events(env(), a)).length;
    const r = await supply(env(), a, { supplierProductId: 'SS21CA2N', action: 'price', newPrice: 76000 });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      action: 'price',
      supplierProductId: 'SS21CA2N',
      productId: p,
      documentId: null,
      warehouseId: w,
      price: 76000,
      levels: [
        { size: 'M', amount: 0, reserved: 0, free: 0 },
        { size: 'XL', amount: 0, reserved: 0, free: 0 },
      ],
    });
    expect((await call(env(), a, 'GET', `/api/v1/products/${p}`, undefined, 200)).body.price).toBe(76000);
    const evs = (await events(env(), a)).slice(before);
    expect(evs.map((e) => e.type)).toEqual(['product.updated']);
    expect(evs[0].data).toMatchObject({ product: { id: p, price: 76000 }, changed: ['price'] });
  });

  it('answers 400 naming the missing field: sizes[0].value, sizes[0].count, sizes, newPrice', async () => {
    const { a } = await setup(env());
    const before = (await events(env(), a)).length;
    const base = { supplierProductId: 'SS21CA2N', action: 'sold' };
    const cases: Array<[object, string]> = [
      [{ ...base, sizes: [{ count: 1 }] }, 'body.sizes[0].value is required'],
      [{ ...base, sizes: [{ value: 'M' }] }, 'body.sizes[0].count is required'],
      [{ supplierProductId: 'SS21CA2N', sizes: [{ value: 'M', count: 1 }] }, 'body.action is required'],
      [{ ...base }, 'sizes is required'],
      [{ ...base, sizes: [] }, 'sizes is required'],
      [{ ...base, sizes: [{ value: 'M', count: -1 }] }, 'body.sizes[0].count must be >= 0'],
      [{ ...base, sizes: [{ value: 'M', count: 1 }, { value: 'M', count: 2 }] }, 'sizes[1] repeats size "M"'],
      [{ ...base, newPrice: 0, sizes: [{ value: 'M', count: 1 }] }, 'newPrice must be > 0'],
      [{ ...base, action: 'price' }, 'newPrice is required'],
      [{ ...base, action: 'price', newPrice: 0 }, 'newPrice must be > 0'],
      // Bodies are not coerced: null is not a price (it used to become 0).
      [{ ...base, action: 'price', newPrice: null }, 'body.newPrice must be number'],
      [{ ...base, action: 'refund', sizes: [{ value: 'M', count: 1 }] }, 'body.action'],
    ];
    for (const [payload, message] of cases) {
      const r = await supply(env(), a, payload);
      expect([r.status, r.body.error.code], JSON.stringify(payload)).toEqual([400, 'VALIDATION_FAILED']);
      expect(r.body.error.message).toContain(message);
    }
    expect(await events(env(), a)).toHaveLength(before);
  });

  it('404 for an unknown supplierProductId, 422 for an unknown size or sizeId, 422 without a warehouse', async () => {
    const { a } = await setup(env());
    const unknown = await supply(env(), a, { supplierProductId: 'NOPE', action: 'receipts', sizes: [{ value: 'M', count: 1 }] });
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'NOT_FOUND']);
    expect(unknown.body.error.message).toContain('NOPE');
    const size = await supply(env(), a, { supplierProductId: 'SS21CA2N', action: 'receipts', sizes: [{ value: 'XXL', count: 1 }] });
    expect([size.status, size.body.error.code, size.body.error.details.field]).toEqual([422, 'UNKNOWN_SIZE', 'sizes[0].value']);
    const id = await supply(env(), a, { supplierProductId: 'SS21CA2N', action: 'receipts', sizes: [{ value: 'XL', count: 1, sizeId: 1 }] });
    expect([id.status, id.body.error.code, id.body.error.details.field]).toEqual([422, 'UNKNOWN_SIZE', 'sizes[0].sizeId']);

    const b = await env().newAccount();
    await product(env(), b, { supplierProductId: 'SS21CA2N', sizes: SIZES });
    const none = await supply(env(), b, { supplierProductId: 'SS21CA2N', action: 'receipts', sizes: [{ value: 'M', count: 1 }] });
    expect([none.status, none.body.error.code]).toEqual([422, 'INVALID_STATE']);
    expect(none.body.error.message).toContain('no active warehouse');
    const price = await supply(env(), b, { supplierProductId: 'SS21CA2N', action: 'price', newPrice: 5 });
    expect(price.body).toMatchObject({ price: 5, warehouseId: null, levels: [] });
    expect(await levels(env(), a)).toEqual([]);
  });

  it("defaults to the account's oldest active warehouse, honours warehouseId, and picks the oldest product of a supplier id", async () => {
    const a = await env().newAccount();
    const inactive = await warehouse(env(), a, 'Closed', { active: false });
    const main = await warehouse(env(), a, 'Main');
    const second = await warehouse(env(), a, 'Second');
    const p1 = await product(env(), a, { supplierProductId: 'DUP', sizes: SIZES });
    await product(env(), a, { supplierProductId: 'DUP', sizes: SIZES });
    const r1 = await supply(env(), a, { supplierProductId: 'DUP', action: 'receipts', sizes: [{ value: 'M', count: 2 }] });
    expect(r1.body).toMatchObject({ productId: p1, warehouseId: main });
    const r2 = await supply(env(), a, { supplierProductId: 'DUP', action: 'receipts', warehouseId: second, sizes: [{ value: 'M', count: 7 }] });
    expect(r2.body).toMatchObject({ productId: p1, warehouseId: second, levels: [{ size: 'M', amount: 7 }, { size: 'XL', amount: 0 }] });
    expect((await levels(env(), a)).map((l) => [l.productId, l.warehouseId, l.size, l.amount])).toEqual([
      [p1, main, 'M', 2],
      [p1, second, 'M', 7],
    ]);
    const closed = await supply(env(), a, { supplierProductId: 'DUP', action: 'receipts', warehouseId: inactive, sizes: [{ value: 'M', count: 1 }] });
    expect([closed.status, closed.body.error.code]).toEqual([422, 'INACTIVE_WAREHOUSE']);
  });

  it('refuses a balance below the reserved units with 422, changing nothing and emitting nothing', async () => {
    const { a, w, p } = await setup(env());
    await supply(env(), a, { supplierProductId: 'SS21CA2N', action: 'receipts', sizes: [{ value: 'M', count: 5 }, { value: 'XL', count: 3 }] });
    await call(env(), a, 'POST', '/api/v1/documents', { type: 'reserve', warehouseId: w, lines: [{ productId: p, size: 'XL', quantity: 2 }] }, 201);
    const evCount = (await events(env(), a)).length;
    // The first line fits, the second does not: the whole message is refused, the price included.
    const r = await supply(env(), a, { supplierProductId: 'SS21CA2N', action: 'sold', newPrice: 1, sizes: [{ value: 'M', count: 2 }, { value: 'XL', count: 1 }] });
    expect([r.status, r.body.error.code]).toEqual([422, 'INSUFFICIENT_STOCK']);
    expect(bySize(await levels(env(), a, `?productId=${p}`))).toEqual({ M: [5, 0, 5], XL: [3, 2, 1] });
    expect((await call(env(), a, 'GET', `/api/v1/products/${p}`, undefined, 200)).body.price).toBe(70000);
    expect((await events(env(), a)).length).toBe(evCount);
  });
});

describeEachDb('supplier stock API: Idempotency-Key', (env) => {
  const receipt = { supplierProductId: 'SS21CA2N', action: 'receipts', sizes: [{ value: 'M', count: 4 }] };

  it('a retried request applies once and answers the stored response with Idempotent-Replayed', async () => {
    const { a, p } = await setup(env());
    const first = await supply(env(), a, receipt, { 'idempotency-key': 'k-1' });
    expect(first.status).toBe(200);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const evCount = (await events(env(), a)).length;
    // Same request, keys in another order: the canonical body is what counts.
    const retry = await supply(env(), a, { sizes: [{ count: 4, value: 'M' }], action: 'receipts', supplierProductId: 'SS21CA2N' }, { 'idempotency-key': 'k-1' });
    expect(retry.status).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toEqual(first.body);
    expect(bySize(await levels(env(), a, `?productId=${p}`))).toEqual({ M: [4, 0, 4] });
    expect((await events(env(), a)).length).toBe(evCount);

    const reused = await supply(env(), a, { ...receipt, sizes: [{ value: 'M', count: 5 }] }, { 'idempotency-key': 'k-1' });
    expect([reused.status, reused.body.error.code]).toEqual([409, 'IDEMPOTENCY_KEY_REUSED']);
    const other = await supply(env(), a, { supplierProductId: 'SS21CA2N', action: 'price', newPrice: 1 }, { 'idempotency-key': 'k-1' });
    expect(other.status).toBe(409);
    expect(bySize(await levels(env(), a, `?productId=${p}`))).toEqual({ M: [4, 0, 4] });
    expect((await events(env(), a)).length).toBe(evCount);

    const fresh = await supply(env(), a, { ...receipt, sizes: [{ value: 'M', count: 8 }] }, { 'idempotency-key': 'k-2' });
    expect(fresh.body.levels[0]).toEqual({ size: 'M', amount: 8, reserved: 0, free: 8 });
    const tooLong = await supply(env(), a, receipt, { 'idempotency-key': 'x'.repeat(201) });
    expect([tooLong.status, tooLong.body.error.message]).toEqual([400, 'headers.idempotency-key must NOT have more than 200 characters']);
  });

  it('a failed request is not stored: the same key can be retried once the cause is fixed', async () => {
    const a = await env().newAccount();
    const p = await product(env(), a, { supplierProductId: 'SS21CA2N', sizes: SIZES });
    const sale = { supplierProductId: 'SS21CA2N', action: 'sold', sizes: [{ value: 'XL', count: 1, soldCount: 2 }] };
    const refused = await supply(env(), a, sale, { 'idempotency-key': 'sale-1' });
    expect([refused.status, refused.body.error.code]).toEqual([422, 'INVALID_STATE']);
    await warehouse(env(), a);
    const ok = await supply(env(), a, sale, { 'idempotency-key': 'sale-1' });
    expect([ok.status, ok.headers['idempotent-replayed']]).toEqual([200, undefined]);
    expect(bySize(await levels(env(), a, `?productId=${p}`))).toEqual({ XL: [1, 0, 1] });
  });

  it('keys are per account: the same key applies independently on two accounts', async () => {
    const one = await setup(env());
    const two = await setup(env());
    const r1 = await supply(env(), one.a, receipt, { 'idempotency-key': 'shared' });
    const r2 = await supply(env(), two.a, receipt, { 'idempotency-key': 'shared' });
    expect([r1.status, r2.status, r2.headers['idempotent-replayed']]).toEqual([200, 200, undefined]);
    expect(r2.body.productId).toBe(two.p);
    expect(bySize(await levels(env(), one.a))).toEqual({ M: [4, 0, 4] });
    expect(bySize(await levels(env(), two.a))).toEqual({ M: [4, 0, 4] });
  });

  // Single-writer on SQLite (see test/inventory/ledger-invariants.test.ts); the key's primary key is raced on PostgreSQL.
  it('five concurrent duplicates apply exactly once and all answer 200 with the same body', async () => {
    const { a, p } = await setup(env());
    const evCount = (await events(env(), a)).length;
    const all = await Promise.all(Array.from({ length: 5 }, () => supply(env(), a, receipt, { 'idempotency-key': 'burst' })));
    expect(all.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    for (const r of all) expect(r.body).toEqual(all[0].body);
    expect(all.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(4);
    expect(all[0].body.levels).toEqual([
      { size: 'M', amount: 4, reserved: 0, free: 4 },
      { size: 'XL', amount: 0, reserved: 0, free: 0 },
    ]);
    expect(bySize(await levels(env(), a, `?productId=${p}`))).toEqual({ M: [4, 0, 4] });
    expect((await events(env(), a)).slice(evCount).map((e) => e.type)).toEqual(['document.posted', 'stock.changed']);
  });

  it('concurrent duplicates of a sale of the last units: the twins get the stored 200 and one movement', async () => {
    const { a, p } = await setup(env());
    await supply(env(), a, { supplierProductId: 'SS21CA2N', action: 'receipts', sizes: [{ value: 'XL', count: 2 }] });
    const evCount = (await events(env(), a)).length;
    const sale = { supplierProductId: 'SS21CA2N', action: 'sold', sizes: [{ value: 'XL', count: 0, soldCount: 2 }] };
    const all = await Promise.all(Array.from({ length: 5 }, () => supply(env(), a, sale, { 'idempotency-key': 'last-units' })));
    expect(all.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    for (const r of all) expect(r.body).toEqual(all[0].body);
    expect(bySize(await levels(env(), a, `?productId=${p}`))).toEqual({ XL: [0, 0, 0] });
    expect((await events(env(), a)).slice(evCount).map((e) => e.type)).toEqual(['document.posted', 'stock.changed']);
  });
});
