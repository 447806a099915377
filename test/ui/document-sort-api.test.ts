import { expect, it } from 'vitest';
import { call, post, product, warehouse } from '../support/fixtures.js';
import { describeEachDb } from '../support/env.js';

/** The order the API promises: the column, then the id, both in the asked direction. */
function expected(docs: any[], value: (d: any) => string | number, dir: 'asc' | 'desc'): number[] {
  const sign = dir === 'asc' ? 1 : -1;
  return [...docs]
    .sort((x, y) => {
      const a = value(x);
      const b = value(y);
      return sign * (a < b ? -1 : a > b ? 1 : x.id - y.id);
    })
    .map((d) => d.id);
}

describeEachDb('GET /api/v1/documents?sort=: every column both ways, paged with cursors that carry the sort value', (env) => {
  it('pages through a sorted list returning every document once, in order, ties broken by number', async () => {
    const a = await env().newAccount('paid');
    // Lower-case letters and digits only: both databases (and their collations) order these alike.
    const beta = await warehouse(env(), a, 'beta');
    const alpha = await warehouse(env(), a, 'alpha');
    const p = await product(env(), a);
    const refs = ['po7', null, 'so2', 'po7', 'a9', null, 'zz', 'so2', 'b1', 'po10', 'm3', 'a9'];
    const types = ['receipt', 'receipt', 'sale', 'reserve', 'count', 'transfer', 'release', 'return', 'writeoff', 'receipt', 'sale', 'transfer'];
    const ids: number[] = [];
    await post(env(), a, { type: 'receipt', warehouseId: alpha, reference: 'seed', lines: [{ productId: p, quantity: 100 }] }).then((r) => ids.push(r.body.id));
    await post(env(), a, { type: 'receipt', warehouseId: beta, reference: 'seed', lines: [{ productId: p, quantity: 100 }] }).then((r) => ids.push(r.body.id));
    for (let i = 0; i < refs.length; i++) {
      const from = i % 3 === 0 ? beta : alpha;
      const doc = { type: types[i], warehouseId: from, reference: refs[i], lines: [{ productId: p, quantity: types[i] === 'count' ? 100 : 1 }] };
      if (types[i] === 'transfer') Object.assign(doc, { toWarehouseId: from === alpha ? beta : alpha });
      ids.push((await post(env(), a, doc)).body.id);
    }
    // Posted times out of number order, some equal: the time order differs from the number order
    // and its ties are broken by number.
    for (const [i, id] of ids.entries()) await env().store.db.updateTable('documents').set({ created_ms: Date.UTC(2026, 0, 1) + ((i * 7) % 5) * 60_000 }).where('id', '=', id).execute();

    const all = (await call(env(), a, 'GET', '/api/v1/documents?limit=500', undefined, 200)).body.data as any[];
    expect(all).toHaveLength(14);
    const names = new Map([[alpha, 'alpha'], [beta, 'beta']]);
    const columns = {
      posted: (d: any) => Date.parse(d.createdAt),
      number: (d: any) => d.id,
      type: (d: any) => d.type,
      reference: (d: any) => d.reference ?? '',
      warehouse: (d: any) => names.get(d.warehouseId) as string,
    };
    for (const [sort, value] of Object.entries(columns)) {
      for (const dir of ['asc', 'desc'] as const) {
        const want = expected(all, value, dir);
        const whole = (await call(env(), a, 'GET', `/api/v1/documents?sort=${sort}&dir=${dir}&limit=500`, undefined, 200)).body;
        expect(whole.data.map((d: any) => d.id), `${sort} ${dir}`).toEqual(want);
        expect(whole.nextCursor).toBeNull();
        const paged: number[] = [];
        let cursor = '';
        let pages = 0;
        do {
          const page = (await call(env(), a, 'GET', `/api/v1/documents?sort=${sort}&dir=${dir}&limit=3${cursor && `&cursor=${cursor}`}`, undefined, 200)).body;
          paged.push(...page.data.map((d: any) => d.id));
          cursor = page.nextCursor ?? '';
          pages++;
        } while (cursor && pages < 20);
        expect(paged, `${sort} ${dir} paged`).toEqual(want);
        expect(pages).toBe(5);
      }
    }
    // The default (no sort) is still newest number first; dir alone still works.
    expect((await call(env(), a, 'GET', '/api/v1/documents?limit=500', undefined, 200)).body.data.map((d: any) => d.id)).toEqual(expected(all, columns.number, 'desc'));
    // Filters apply within the order.
    const sales = (await call(env(), a, 'GET', '/api/v1/documents?sort=reference&dir=asc&type=sale', undefined, 200)).body.data as any[];
    expect(sales.map((d) => d.reference)).toEqual(['m3', 'so2']);

    // An unknown column is refused with the enum error, naming the columns; nothing is listed.
    const bad = (await call(env(), a, 'GET', '/api/v1/documents?sort=price', undefined, 400)).body.error;
    expect(bad.code).toBe('VALIDATION_FAILED');
    expect(bad.message).toBe('querystring.sort must be one of: posted, number, type, reference, warehouse');
    // A cursor made for one order does not fit another.
    const typeCursor = (await call(env(), a, 'GET', '/api/v1/documents?sort=type&limit=2', undefined, 200)).body.nextCursor;
    expect((await call(env(), a, 'GET', `/api/v1/documents?sort=posted&limit=2&cursor=${typeCursor}`, undefined, 400)).body.error.code).toBe('VALIDATION_FAILED');
    expect((await call(env(), a, 'GET', `/api/v1/documents?limit=2&cursor=${typeCursor}`, undefined, 400)).body.error.code).toBe('VALIDATION_FAILED');
    // Another account's documents never show in any order.
    const other = await env().newAccount('paid');
    expect((await call(env(), other, 'GET', '/api/v1/documents?sort=warehouse', undefined, 200)).body.data).toEqual([]);
  }, 60_000);
});
