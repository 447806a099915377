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
  });
});
