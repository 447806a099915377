import { expect, it } from 'vitest';
import { describeEachDb } from '../support/env.js';
import { call, events, post, product, warehouse } from '../support/fixtures.js';

describeEachDb('warehouses and products', (env) => {
  it('creates, reads, changes and removes warehouses, with an event for each change', async () => {
    const a = await env().newAccount();
    const id = await warehouse(env(), a, 'Ljubljana', { code: 'LJ' });
    expect((await call(env(), a, 'GET', `/api/v1/warehouses/${id}`, undefined, 200)).body).toMatchObject({ id, code: 'LJ', name: 'Ljubljana', active: true });
    const patched = await call(env(), a, 'PATCH', `/api/v1/warehouses/${id}`, { active: false }, 200);
    expect(patched.body).toMatchObject({ id, active: false, name: 'Ljubljana' });
    await call(env(), a, 'DELETE', `/api/v1/warehouses/${id}`, undefined, 204);
    expect((await call(env(), a, 'GET', `/api/v1/warehouses/${id}`, undefined, 404)).body.error.code).toBe('NOT_FOUND');
    expect((await call(env(), a, 'GET', '/api/v1/warehouses', undefined, 200)).body.data).toEqual([]);
    const evs = await events(env(), a);
    expect(evs.map((e) => [e.type, e.object, e.action, e.objectId])).toEqual([
      ['warehouse.created', 'storage', 'added', String(id)],
      ['warehouse.updated', 'storage', 'changed', String(id)],
      ['warehouse.deleted', 'storage', 'removed', String(id)],
    ]);
    expect(evs[1].data.warehouse).toMatchObject({ id, active: false });
  });

  it('creates and changes products with sizes and supplier ids; removal needs zero stock', async () => {
    const a = await env().newAccount();
    const w = await warehouse(env(), a);
    const p = await product(env(), a, {
      code: '150974832263',
      sku: 'PA-4020',
      title: '1,0 mm Düse',
      unit: 'kos',
      price: 12.5,
      supplierProductId: 'SS21CA2N',
      sizes: [{ value: 'XL', sizeId: 5 }],
    });
    const got = await call(env(), a, 'GET', `/api/v1/products/${p}`, undefined, 200);
    expect(got.body).toMatchObject({ code: '150974832263', sku: 'PA-4020', title: '1,0 mm Düse', unit: 'kos', price: 12.5, supplierProductId: 'SS21CA2N', sizes: [{ value: 'XL', sizeId: 5 }] });
    const list = await call(env(), a, 'GET', '/api/v1/products?supplierProductId=SS21CA2N', undefined, 200);
    expect(list.body.data.map((x: any) => x.id)).toEqual([p]);
    const changed = await call(env(), a, 'PATCH', `/api/v1/products/${p}`, { price: 76000 }, 200);
    expect(changed.body.price).toBe(76000);
    const upd = (await events(env(), a)).find((e) => e.type === 'product.updated');
    expect(upd?.data).toMatchObject({ changed: ['price'], product: { id: p, price: 76000 } });
    await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, size: 'XL', quantity: 1 }] });
    expect((await call(env(), a, 'DELETE', `/api/v1/products/${p}`, undefined, 409)).body.error.code).toBe('PRODUCT_HAS_STOCK');
    expect((await call(env(), a, 'DELETE', `/api/v1/warehouses/${w}`, undefined, 409)).body.error.code).toBe('WAREHOUSE_HAS_STOCK');
    await post(env(), a, { type: 'writeoff', warehouseId: w, lines: [{ productId: p, size: 'XL', quantity: 1 }] });
    await call(env(), a, 'DELETE', `/api/v1/products/${p}`, undefined, 204);
    expect((await call(env(), a, 'GET', `/api/v1/products/${p}`)).status).toBe(404);
  });

  it('rejects duplicate sizes and invalid fields with 400', async () => {
    const a = await env().newAccount();
    const dup = await call(env(), a, 'POST', '/api/v1/products', { title: 'x', sizes: [{ value: 'M' }, { value: 'M' }] }, 400);
    expect(dup.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'sizes' } });
    const noTitle = await call(env(), a, 'POST', '/api/v1/products', { sku: 'x' }, 400);
    expect(noTitle.body.error.message).toBe('body.title is required');
    const empty = await call(env(), a, 'PATCH', '/api/v1/warehouses/1', {}, 400);
    expect(empty.body.error.code).toBe('VALIDATION_FAILED');
  });
});
