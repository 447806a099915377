import { Pool } from 'undici';

/** What the document-posting scenarios need: an account, a warehouse, products and two native subscriptions. */
export interface Fixture {
  auth: string;
  warehouseId: number;
  productIds: number[];
}

export const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef0123456789';

/** Both benchmark subscriptions: native format, stock.changed only (one receipt line = one delivery each). */
export const SUBSCRIPTION = { format: 'native', events: ['stock.changed'], maxInFlight: 32 };

async function call<T>(pool: Pool, method: 'GET' | 'POST', path: string, auth: string, body?: unknown): Promise<T> {
  const res = await pool.request({
    method,
    path,
    headers: { authorization: auth, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${text}`);
  return JSON.parse(text) as T;
}

/** Sets up an account over the public API, as a user would. */
export async function setUpOverHttp(baseUrl: string, sinkUrls: string[], products: number): Promise<Fixture> {
  const pool = new Pool(baseUrl, { connections: 4 });
  try {
    const account = await call<{ token: string }>(pool, 'POST', '/api/v1/accounts', `Bearer ${ADMIN_TOKEN}`, { name: 'Bench', plan: 'paid' });
    const auth = `Bearer ${account.token}`;
    const w = await call<{ id: number }>(pool, 'POST', '/api/v1/warehouses', auth, { name: 'Main' });
    const productIds: number[] = [];
    for (let i = 0; i < products; i++) {
      const p = await call<{ id: number }>(pool, 'POST', '/api/v1/products', auth, { title: `Widget ${i}`, sku: `W-${i}`, code: `${1000 + i}`, unit: 'pcs' });
      productIds.push(p.id);
    }
    for (const url of sinkUrls) await call(pool, 'POST', '/api/v1/webhooks', auth, { url, ...SUBSCRIPTION });
    return { auth, warehouseId: w.id, productIds };
  } finally {
    await pool.close();
  }
}

/** A one-line receipt, round-robin over the fixture's products. */
export function receipt(f: Fixture, i: number): string {
  return JSON.stringify({ type: 'receipt', warehouseId: f.warehouseId, reference: `R-${i}`, lines: [{ productId: f.productIds[i % f.productIds.length], quantity: 1 }] });
}

/**
 * Posts one-line receipts from `concurrency` loops until `seconds` have passed, each numbered by
 * `next()`; how many the server accepted (201) and refused.
 */
export async function postFor(
  pool: Pool,
  f: Fixture,
  opts: { seconds: number; concurrency: number; next: () => number; path?: string },
): Promise<{ ok: number; failed: number }> {
  const end = performance.now() + opts.seconds * 1000;
  let ok = 0;
  let failed = 0;
  const worker = async () => {
    while (performance.now() < end) {
      if (await postReceipt(pool, f, opts.next(), opts.path)) ok++;
      else failed++;
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  return { ok, failed };
}

/** POSTs one document (to stockhook's route unless told another, as (i)'s peer has); true on 201. */
export async function postReceipt(pool: Pool, f: Fixture, i: number, path = '/api/v1/documents'): Promise<boolean> {
  const res = await pool.request({
    method: 'POST',
    path,
    headers: { authorization: f.auth, 'content-type': 'application/json' },
    body: receipt(f, i),
  });
  await res.body.dump();
  return res.statusCode === 201;
}
