import type { TestEnv } from '../support/env.js';

export type Api = (method: string, path: string, body?: unknown) => Promise<any>;

/** A fetch-based API caller with the account's token, failing loudly on an unexpected status. */
export function apiFor(base: string, auth: Record<string, string>): Api {
  return async (method, path, body) => {
    const res = await fetch(base + path, { method, headers: { ...auth, ...(body !== undefined && { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? null : res.json();
  };
}

const day = (n: number) => new Date(Date.now() + n * 86400_000).toISOString().slice(0, 10);

/**
 * A small shop as a person would have it: 2 warehouses, 15 products (units, sizes, lots with expiry,
 * a serialized bike), documents of every type with references, a reservation, an outbound order
 * shipped, and a product whose movements all happened one afternoon a week ago.
 */
export async function seedShop(env: TestEnv, accountId: string, api: Api) {
  const north = await api('POST', '/api/v1/warehouses', { name: 'North', code: 'N' });
  const south = await api('POST', '/api/v1/warehouses', { name: 'South', code: 'S' });
  const mk = (title: string, sku: string, unit = 'pcs', extra: object = {}) => api('POST', '/api/v1/products', { title, sku, code: `C-${sku}`, unit, ...extra });
  const shoe = await mk('Trail Shoe', 'TS-42', 'pair');
  const jacket = await mk('Rain Jacket', 'RJ-1', 'pcs', { sizes: [{ value: 'M' }, { value: 'L' }] });
  const milk = await mk('Oat Milk', 'OM-1', 'l');
  const bike = await mk('E-Bike City 28"', 'EB-28');
  const beans = await mk('Espresso Beans', 'EB-1', 'kg');
  const others = [];
  for (const [i, t] of ['Bottle', 'Cap', 'Gloves', 'Socks', 'Lamp', 'Lock', 'Pump', 'Bell', 'Saddle', 'Chain'].entries()) others.push(await mk(t, `P-${i + 1}`));
  const docs: any[] = [];
  const post = async (doc: object) => {
    const d = await api('POST', '/api/v1/documents', doc);
    docs.push(d);
    return d;
  };
  const lot = { productId: shoe.id, lot: 'L-0425', expiry: day(10) };
  await post({ type: 'receipt', warehouseId: north.id, reference: 'PO-1001', lines: [{ ...lot, quantity: 10 }, ...others.map((p, i) => ({ productId: p.id, quantity: 5 + i }))] });
  await post({ type: 'transfer', warehouseId: north.id, toWarehouseId: south.id, reference: 'TR-1', lines: [{ ...lot, quantity: 3 }] });
  await post({ type: 'sale', warehouseId: north.id, reference: 'SO-77', lines: [{ ...lot, quantity: 2 }] });
  await post({
    type: 'receipt',
    warehouseId: south.id,
    reference: 'PO-1002',
    lines: [
      { productId: jacket.id, size: 'M', location: 'A-01-3', quantity: 1 },
      { productId: jacket.id, size: 'L', location: 'A-01-4', quantity: 4 },
      { productId: milk.id, lot: 'B7', expiry: day(-2), quantity: 12 },
      { productId: bike.id, serial: 'WB-2291-0042', location: 'R-02', quantity: 1 },
    ],
  });
  await post({ type: 'sale', warehouseId: south.id, reference: 'SO-78', lines: [{ productId: jacket.id, size: 'M', location: 'A-01-3', quantity: 1 }] });
  await post({ type: 'reserve', warehouseId: south.id, reference: 'RES-5', lines: [{ productId: jacket.id, size: 'L', location: 'A-01-4', quantity: 1 }] });
  await post({ type: 'return', warehouseId: north.id, reference: 'RET-3', lines: [{ ...lot, quantity: 1 }] });
  await post({ type: 'writeoff', warehouseId: north.id, reference: 'WO-1', lines: [{ productId: others[0].id, quantity: 1 }] });
  await post({ type: 'count', warehouseId: north.id, reference: 'CNT-1', lines: [{ productId: others[1].id, quantity: 4 }] });
  await post({ type: 'release', warehouseId: south.id, reference: 'REL-5', lines: [{ productId: jacket.id, size: 'L', location: 'A-01-4', quantity: 1 }] });
  // Sold out to zero: a zero-stock key, hidden by default.
  await post({ type: 'sale', warehouseId: north.id, reference: 'SO-79', lines: [{ productId: others[9].id, quantity: 14 }] });
  const order = await api('POST', '/api/v1/outbound-orders', { warehouseId: north.id, referenceText: 'ORD-9', items: [{ productId: others[2].id, quantity: 2 }] });
  await api('POST', `/api/v1/outbound-orders/${order.id}/claim`);
  await api('POST', `/api/v1/outbound-orders/${order.id}/ship`);
  // One afternoon a week ago: four movements of the beans, an hour apart from 12:00 UTC.
  const afternoon = new Date(Date.now() - 7 * 86400_000);
  afternoon.setUTCHours(12, 0, 0, 0);
  const beanDocs = [];
  for (const [i, [type, q]] of ([['receipt', 20], ['sale', 3], ['sale', 5], ['receipt', 6]] as const).entries()) {
    const d = await post({ type, warehouseId: north.id, reference: `BEANS-${i}`, lines: [{ productId: beans.id, quantity: q }] });
    beanDocs.push(d.id);
    const at = afternoon.getTime() + i * 3600_000;
    await env.store.db.updateTable('documents').set({ created_ms: at }).where('id', '=', d.id).where('account_id', '=', accountId).execute();
    await env.store.db.updateTable('movements').set({ created_ms: at }).where('document_id', '=', d.id).where('account_id', '=', accountId).execute();
  }
  return { north, south, shoe, jacket, milk, bike, beans, others, docs, order, afternoon: afternoon.getTime(), beanDocs };
}
