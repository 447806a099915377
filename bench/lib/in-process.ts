import type { FastifyInstance } from 'fastify';
import { hashToken } from '../../src/accounts/tokens.js';
import { compose } from '../../src/compose.js';
import { openStore, type Store } from '../../src/storage/database.js';
import { freshDatabase } from './db.js';

/** What the in-process write-path benches post with: one account ready for one-line receipts. */
export interface InProcessAccount {
  app: FastifyInstance;
  store: Store;
  /** The account's `Bearer …` header. */
  auth: string;
  warehouseId: number;
  products: number[];
  close(): Promise<void>;
}

/**
 * A fresh database and the app composed on it without a dispatcher (nothing is sent), with one
 * account, a warehouse, `products` products and two native subscriptions to `stock.changed`, as in
 * (a): each receipt writes its two deliveries. Documents are posted with `app.inject`, so no socket
 * is measured.
 */
export async function inProcessAccount(pgBase: string | null, opts: { products: number }): Promise<InProcessAccount> {
  const db = await freshDatabase(pgBase);
  const store = await openStore(db.url);
  const stack = await compose(store, {
    settings: { allowPrivateTargets: true, publicUrl: 'http://stockhook.bench' },
    dispatcher: false,
    http: { adminTokenHash: hashToken('bench-admin') },
  });
  const app = stack.app!;
  const close = async () => {
    await app.close();
    await store.close();
    await db.drop();
  };
  try {
    const call = async (url: string, auth: string, body: unknown) => {
      const r = await app.inject({ method: 'POST', url, headers: { authorization: auth, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
      if (r.statusCode >= 300) throw new Error(`${url}: ${r.statusCode} ${r.body}`);
      return r.json() as { id: number; token: string };
    };
    const auth = `Bearer ${(await call('/api/v1/accounts', 'Bearer bench-admin', { name: 'Bench', plan: 'paid' })).token}`;
    const warehouseId = (await call('/api/v1/warehouses', auth, { name: 'Main' })).id;
    const products: number[] = [];
    for (let i = 0; i < opts.products; i++) products.push((await call('/api/v1/products', auth, { title: `W${i}`, sku: `W-${i}`, code: `${1000 + i}`, unit: 'pcs' })).id);
    for (const path of ['/a', '/b']) await call('/api/v1/webhooks', auth, { url: `http://127.0.0.1:9${path}`, format: 'native', events: ['stock.changed'], maxInFlight: 32 });
    return { app, store, auth, warehouseId, products, close };
  } catch (err) {
    await close();
    throw err;
  }
}
