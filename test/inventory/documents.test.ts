import { expect, it } from 'vitest';
import { describeEachDb } from '../support/env.js';
import { call, events, levels, post, product, warehouse } from '../support/fixtures.js';

describeEachDb('documents', (env) => {
  it('a receipt adds stock, a sale removes it, and each writes its events', async () => {
    const a = await env().newAccount();
    const w = await warehouse(env(), a);
    const p = await product(env(), a);
    const before = (await events(env(), a)).length;
    const r = await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 10, lot: 'L1', expiry: '2027-01-31' }] });
    expect(r.body).toMatchObject({ type: 'receipt', status: 'posted', warehouseId: w, lines: [{ productId: p, quantity: 10, lot: 'L1', expiry: '2027-01-31' }] });
    await post(env(), a, { type: 'sale', warehouseId: w, lines: [{ productId: p, quantity: 3, lot: 'L1', expiry: '2027-01-31' }] });
    expect(await levels(env(), a)).toEqual([
      expect.objectContaining({ warehouseId: w, productId: p, lot: 'L1', expiry: '2027-01-31', amount: 7, reserved: 0, free: 7, version: 2 }),
    ]);
    const evs = (await events(env(), a)).slice(before);
    expect(evs.map((e) => e.type)).toEqual(['document.posted', 'stock.changed', 'document.posted', 'stock.changed']);
    expect(evs[3].data).toMatchObject({ amount: 7, amountDelta: -3, version: 2, documentType: 'sale' });
    expect(evs.map((e) => e.seq)).toEqual([before + 1, before + 2, before + 3, before + 4]);
  });

  it('refuses a sale of more than the free stock with 422 and changes nothing', async () => {
    const a = await env().newAccount();
    const w = await warehouse(env(), a);
    const p = await product(env(), a);
    await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 2 }] });
    await post(env(), a, { type: 'reserve', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
    const evCount = (await events(env(), a)).length;
    const res = await post(env(), a, { type: 'sale', warehouseId: w, lines: [{ productId: p, quantity: 2 }] }, 422);
    expect(res.body.error.code).toBe('INSUFFICIENT_STOCK');
    expect(await levels(env(), a)).toEqual([expect.objectContaining({ amount: 2, reserved: 1, free: 1 })]);
    expect((await events(env(), a)).length).toBe(evCount);
    // On PostgreSQL the sale's document, line, level change and movement are one statement: none is left.
    const rows = async (table: 'documents' | 'document_lines' | 'movements') =>
      (await env().store.db.selectFrom(table).select('account_id').where('account_id', '=', a.id).execute()).length;
    expect([await rows('documents'), await rows('document_lines'), await rows('movements')]).toEqual([2, 2, 2]);
  });

  it('a transfer moves stock between warehouses; cancelling it posts the reversal', async () => {
    const a = await env().newAccount();
    const w1 = await warehouse(env(), a, 'A');
    const w2 = await warehouse(env(), a, 'B');
    const p = await product(env(), a);
    await post(env(), a, { type: 'receipt', warehouseId: w1, lines: [{ productId: p, quantity: 8, location: 'R-1-2' }] });
    const t = await post(env(), a, { type: 'transfer', warehouseId: w1, toWarehouseId: w2, lines: [{ productId: p, quantity: 3, location: 'R-1-2' }] });
    expect((await levels(env(), a)).map((l) => [l.warehouseId, l.location, l.amount])).toEqual([
      [w1, 'R-1-2', 5],
      [w2, 'R-1-2', 3],
    ]);
    const before = (await events(env(), a)).length;
    const c = await call(env(), a, 'POST', `/api/v1/documents/${t.body.id}/cancel`, undefined, 200);
    expect(c.body).toMatchObject({ id: t.body.id, status: 'cancelled', reversedByDocumentId: expect.any(Number) });
    const reversal = await call(env(), a, 'GET', `/api/v1/documents/${c.body.reversedByDocumentId}`, undefined, 200);
    expect(reversal.body).toMatchObject({ type: 'transfer', status: 'posted', reversesDocumentId: t.body.id, lines: [{ quantity: 3 }] });
    expect((await levels(env(), a)).map((l) => [l.warehouseId, l.amount])).toEqual([
      [w1, 8],
      [w2, 0],
    ]);
    const evs = (await events(env(), a)).slice(before);
    expect(evs.map((e) => e.type)).toEqual(['document.cancelled', 'stock.changed', 'stock.changed']);
    expect(evs[1].data).toMatchObject({ reversal: true, documentId: c.body.reversedByDocumentId });
    const again = await call(env(), a, 'POST', `/api/v1/documents/${t.body.id}/cancel`, undefined, 409);
    expect(again.body.error.code).toBe('DOCUMENT_ALREADY_CANCELLED');
    const ofReversal = await call(env(), a, 'POST', `/api/v1/documents/${c.body.reversedByDocumentId}/cancel`, undefined, 422);
    expect(ofReversal.body.error.code).toBe('INVALID_STATE');
  });

  it('cancelling a receipt whose stock was sold is refused and changes nothing', async () => {
    const a = await env().newAccount();
    const w = await warehouse(env(), a);
    const p = await product(env(), a);
    const r = await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 4 }] });
    await post(env(), a, { type: 'sale', warehouseId: w, lines: [{ productId: p, quantity: 3 }] });
    const res = await call(env(), a, 'POST', `/api/v1/documents/${r.body.id}/cancel`, undefined, 422);
    expect(res.body.error.code).toBe('INSUFFICIENT_STOCK');
    expect((await call(env(), a, 'GET', `/api/v1/documents/${r.body.id}`, undefined, 200)).body.status).toBe('posted');
    expect((await levels(env(), a))[0]).toMatchObject({ amount: 1 });
  });

  it('count sets the amount; reserve and release move the reservation', async () => {
    const a = await env().newAccount();
    const w = await warehouse(env(), a);
    const p = await product(env(), a, { sizes: [{ value: 'M', sizeId: 2 }, { value: 'XL', sizeId: 5 }] });
    await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, size: 'M', quantity: 10 }] });
    await post(env(), a, { type: 'count', warehouseId: w, lines: [{ productId: p, size: 'M', quantity: 7 }, { productId: p, size: 'XL', quantity: 2 }] });
    await post(env(), a, { type: 'reserve', warehouseId: w, lines: [{ productId: p, size: 'M', quantity: 5 }] });
    const low = await post(env(), a, { type: 'count', warehouseId: w, lines: [{ productId: p, size: 'M', quantity: 4 }] }, 422);
    expect(low.body.error.code).toBe('INSUFFICIENT_STOCK');
    const over = await post(env(), a, { type: 'release', warehouseId: w, lines: [{ productId: p, size: 'M', quantity: 6 }] }, 422);
    expect(over.body.error.code).toBe('INSUFFICIENT_RESERVED');
    await post(env(), a, { type: 'release', warehouseId: w, lines: [{ productId: p, size: 'M', quantity: 2 }] });
    expect((await levels(env(), a)).map((l) => [l.size, l.amount, l.reserved, l.free])).toEqual([
      ['M', 7, 3, 4],
      ['XL', 2, 0, 2],
    ]);
    const bad = await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, size: 'S', quantity: 1 }] }, 422);
    expect(bad.body.error).toMatchObject({ code: 'UNKNOWN_SIZE', details: { field: 'lines[0].size' } });
  });

  it('refuses bad documents with stable codes', async () => {
    const a = await env().newAccount();
    const w = await warehouse(env(), a);
    const off = await warehouse(env(), a, 'Closed', { active: false });
    const p = await product(env(), a);
    const cases: Array<[object, number, string]> = [
      [{ type: 'receipt', warehouseId: 9999, lines: [{ productId: p, quantity: 1 }] }, 404, 'NOT_FOUND'],
      [{ type: 'receipt', warehouseId: w, lines: [{ productId: 9999, quantity: 1 }] }, 404, 'NOT_FOUND'],
      [{ type: 'receipt', warehouseId: off, lines: [{ productId: p, quantity: 1 }] }, 422, 'INACTIVE_WAREHOUSE'],
      [{ type: 'transfer', warehouseId: w, lines: [{ productId: p, quantity: 1 }] }, 400, 'VALIDATION_FAILED'],
      [{ type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 0 }] }, 400, 'VALIDATION_FAILED'],
      [{ type: 'receipt', warehouseId: w, lines: [] }, 400, 'VALIDATION_FAILED'],
      [{ type: 'melt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] }, 400, 'VALIDATION_FAILED'],
      [{ type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1, expiry: '31.01.2027' }] }, 400, 'VALIDATION_FAILED'],
    ];
    const before = (await events(env(), a)).length;
    for (const [body, status, code] of cases) {
      const res = await post(env(), a, body, status);
      expect(res.body.error.code, JSON.stringify(body)).toBe(code);
    }
    expect((await events(env(), a)).length).toBe(before);
    expect(await levels(env(), a)).toEqual([]);
  });

  it("one account never sees or changes another's documents, stock or events", async () => {
    const a = await env().newAccount();
    const b = await env().newAccount();
    const w = await warehouse(env(), a);
    const p = await product(env(), a);
    const d = await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
    expect((await call(env(), b, 'GET', `/api/v1/documents/${d.body.id}`)).status).toBe(404);
    expect((await call(env(), b, 'POST', `/api/v1/documents/${d.body.id}/cancel`)).status).toBe(404);
    expect((await call(env(), b, 'GET', `/api/v1/warehouses/${w}`)).status).toBe(404);
    expect((await call(env(), b, 'PATCH', `/api/v1/products/${p}`, { title: 'x' })).status).toBe(404);
    expect((await call(env(), b, 'DELETE', `/api/v1/warehouses/${w}`)).status).toBe(404);
    // b posting against a's warehouse and product: 404, not a foreign stock row.
    expect((await post(env(), b, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] }, 404)).status).toBe(404);
    expect(await levels(env(), b)).toEqual([]);
    expect(await events(env(), b)).toEqual([]);
    expect((await call(env(), a, 'GET', `/api/v1/documents/${d.body.id}`)).body.status).toBe('posted');
  });
});
