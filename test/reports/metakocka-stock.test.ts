import { describe, expect, it } from 'vitest';
import { metakockaStockBody, mkNumber, renderMetakockaStock } from '../../src/inventory/reports/metakocka-stock.js';
import { describeEachDb, type TestAccount, type TestEnv } from '../support/env.js';
import { call, post, product, warehouse } from '../support/fixtures.js';

const TITLE = '1,0 mm Düse für Mini HVLP Lackierpistole Spritzpistole Düsen set Nadel Rostfrei';
const seedProduct = (env: TestEnv, a: TestAccount, extra: object = {}) =>
  product(env, a, { sku: 'PA-4020', code: '150974832263', title: TITLE, unit: 'kos', ...extra });

const get = (env: TestEnv, a: TestAccount | null, productId: number | string, status = 200) =>
  call(env, a, 'GET', `/api/v1/stock/metakocka?productId=${productId}`, undefined, status);

function expectAllStrings(body: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(body)) {
    if (k === 'stock_list') continue;
    expect(typeof v, k).toBe('string');
  }
  for (const row of body.stock_list as Array<Record<string, unknown>>) {
    for (const [k, v] of Object.entries(row)) expect(typeof v, k).toBe('string');
  }
}

describe('mkNumber', () => {
  it('writes plain decimals without trailing zeros or exponents', () => {
    expect([5, 2.5, 0, -0, 0.1 + 0.2, 1e-7, 12.25, -3].map(mkNumber)).toEqual(['5', '2.5', '0', '0', '0.3', '0.0000001', '12.25', '-3']);
  });
});

describeEachDb('metakocka stock body', (env) => {
  it('has the seed shape: a row per active warehouse, zero rows included, every value a string', async () => {
    const a = await env().newAccount();
    const w1 = await warehouse(env(), a, 'Ljubljana');
    const w2 = await warehouse(env(), a, 'Maribor');
    const p = await seedProduct(env(), a);
    const zero = (w: number) => ({
      warehouse_id: String(w),
      mk_id: String(p),
      count_code: 'PA-4020',
      code: '150974832263',
      title: TITLE,
      amount: '0',
      reserved_amount: '0',
      free_amount: '0',
      unit: 'kos',
    });
    const empty = await get(env(), a, p);
    expect(empty.body).toEqual({ opr_code: '0', opr_time_ms: '0', stock_list_count: '2', stock_list: [zero(w1), zero(w2)] });
    expect(Object.keys(empty.body.stock_list[0])).toEqual(Object.keys(zero(w1)));

    await post(env(), a, { type: 'receipt', warehouseId: w2, lines: [{ productId: p, quantity: 5 }] });
    await post(env(), a, { type: 'reserve', warehouseId: w2, lines: [{ productId: p, quantity: 2.5 }] });
    const res = await get(env(), a, p);
    expect(res.body).toEqual({
      opr_code: '0',
      opr_time_ms: '0',
      stock_list_count: '2',
      stock_list: [zero(w1), { ...zero(w2), amount: '5', reserved_amount: '2.5', free_amount: '2.5' }],
    });
    expectAllStrings(res.body);
  });

  it('leaves out inactive and deleted warehouses', async () => {
    const a = await env().newAccount();
    const w1 = await warehouse(env(), a, 'Open');
    const closed = await warehouse(env(), a, 'Closed');
    const gone = await warehouse(env(), a, 'Gone');
    const p = await seedProduct(env(), a);
    await post(env(), a, { type: 'receipt', warehouseId: closed, lines: [{ productId: p, quantity: 7 }] });
    await call(env(), a, 'PATCH', `/api/v1/warehouses/${closed}`, { active: false }, 200);
    await call(env(), a, 'DELETE', `/api/v1/warehouses/${gone}`, undefined, 204);
    const res = await get(env(), a, p);
    expect(res.body.stock_list_count).toBe('1');
    expect(res.body.stock_list.map((r: any) => [r.warehouse_id, r.amount])).toEqual([[String(w1), '0']]);
  });

  it('splits a warehouse per lot, expiry, serial, micro-location and size, dropping the zero keys of changes before the latest', async () => {
    const a = await env().newAccount();
    const w1 = await warehouse(env(), a, 'A');
    const w2 = await warehouse(env(), a, 'B');
    const p = await seedProduct(env(), a, { sizes: [{ value: 'M' }, { value: 'L' }] });
    await post(env(), a, {
      type: 'receipt',
      warehouseId: w1,
      lines: [
        { productId: p, size: 'M', lot: 'L2', expiry: '2027-06-30', quantity: 4 },
        { productId: p, size: 'M', lot: 'L1', expiry: '2027-01-31', quantity: 3 },
        { productId: p, size: 'L', serial: 'SN-9', location: 'R1-S2', quantity: 1 },
        { productId: p, size: 'L', lot: 'L0', quantity: 2 },
      ],
    });
    // w1 lot L0 sold out (omitted, other rows exist); w2 sold out entirely (one bare zero row): both
    // by changes before the product's latest, the reservation of L1 below.
    await post(env(), a, { type: 'sale', warehouseId: w1, lines: [{ productId: p, size: 'L', lot: 'L0', quantity: 2 }] });
    await post(env(), a, { type: 'receipt', warehouseId: w2, lines: [{ productId: p, size: 'M', lot: 'X', serial: 'S', quantity: 1 }] });
    await post(env(), a, { type: 'sale', warehouseId: w2, lines: [{ productId: p, size: 'M', lot: 'X', serial: 'S', quantity: 1 }] });
    await post(env(), a, { type: 'reserve', warehouseId: w1, lines: [{ productId: p, size: 'M', lot: 'L1', expiry: '2027-01-31', quantity: 1 }] });

    const res = await get(env(), a, p);
    const rows = res.body.stock_list.map(({ mk_id, count_code, code, title, unit, ...rest }: any) => rest);
    expect(res.body.stock_list_count).toBe('4');
    expect(rows).toEqual([
      { warehouse_id: String(w1), amount: '1', reserved_amount: '0', free_amount: '1', serial_number: 'SN-9', micro_location: 'R1-S2', size: 'L' },
      { warehouse_id: String(w1), amount: '3', reserved_amount: '1', free_amount: '2', lot_number: 'L1', expiration_date: '2027-01-31', size: 'M' },
      { warehouse_id: String(w1), amount: '4', reserved_amount: '0', free_amount: '4', lot_number: 'L2', expiration_date: '2027-06-30', size: 'M' },
      { warehouse_id: String(w2), amount: '0', reserved_amount: '0', free_amount: '0' },
    ]);
    expect(Object.keys(res.body.stock_list[1])).toEqual([
      'warehouse_id', 'mk_id', 'count_code', 'code', 'title', 'amount', 'reserved_amount', 'free_amount', 'unit',
      'lot_number', 'expiration_date', 'size',
    ]);
    expectAllStrings(res.body);
  });

  it('sends exactly the bytes renderMetakockaStock makes, inside a transaction too', async () => {
    const a = await env().newAccount();
    const w = await warehouse(env(), a);
    await warehouse(env(), a, 'Empty');
    const p = await seedProduct(env(), a);
    await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, lot: 'Ž-1', quantity: 1.25 }] });
    const res = await env().app.inject({ method: 'GET', url: `/api/v1/stock/metakocka?productId=${p}`, headers: a.auth });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const expected = renderMetakockaStock(await metakockaStockBody(env().store.db, a.id, p));
    expect(res.rawPayload.equals(Buffer.from(expected, 'utf8'))).toBe(true);
    const inTx = await env().store.transaction((tx) => metakockaStockBody(tx, a.id, p));
    expect(renderMetakockaStock(inTx)).toBe(expected);
  });

  it('answers 404 for an unknown, deleted or other account\'s product, and 401 without a token', async () => {
    const a = await env().newAccount();
    const b = await env().newAccount();
    const theirs = await seedProduct(env(), b);
    const deleted = await seedProduct(env(), a);
    await call(env(), a, 'DELETE', `/api/v1/products/${deleted}`, undefined, 204);
    for (const id of [theirs, deleted, 999999]) {
      expect((await get(env(), a, id, 404)).body.error.code).toBe('NOT_FOUND');
    }
    expect((await get(env(), a, 'abc', 400)).body.error.code).toBe('VALIDATION_FAILED');
    expect((await get(env(), null, theirs, 401)).body.error.code).toBe('UNAUTHORIZED');
  });
});
