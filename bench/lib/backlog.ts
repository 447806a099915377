import { randomUUID } from 'node:crypto';
import { createAccount } from '../../src/accounts/accounts.js';
import { findPrincipal } from '../../src/accounts/tokens.js';
import { createDomain } from '../../src/compose.js';
import { writeTx, type Ctx } from '../../src/context.js';
import { insertDeliveries, renderDeliveries, type Renderer } from '../../src/delivery/fan-out.js';
import type { StoredEvent } from '../../src/events/catalog.js';
import { postDocumentIn } from '../../src/inventory/documents.js';
import { createProduct } from '../../src/inventory/products.js';
import { createWarehouse } from '../../src/inventory/warehouses.js';
import { openStore, type Store } from '../../src/storage/database.js';
import type { AccountInfo } from '../../src/webhooks/formats/format.js';
import { listSubscriptions, type Subscription } from '../../src/webhooks/subscription-row.js';
import { createSubscription } from '../../src/webhooks/subscriptions.js';
import { SUBSCRIPTION } from './api.js';

export const PUBLIC_URL = 'http://127.0.0.1:3000';

/** An in-process stockhook with one paid account, two native subscriptions and a real stock.changed event to copy. */
export interface Seeded {
  store: Store;
  ctx: Ctx;
  renderer: Renderer;
  account: AccountInfo;
  subs: Subscription[];
  template: StoredEvent;
}

export async function seedAccount(dbUrl: string, sinkUrls: string[]): Promise<Seeded> {
  const store = await openStore(dbUrl);
  const { ctx, renderer } = createDomain(store, { allowPrivateTargets: true, publicUrl: PUBLIC_URL });
  const acc = await createAccount(ctx, { name: 'Bench', plan: 'paid' });
  const principal = await findPrincipal(store.db, acc.token);
  if (!principal) throw new Error('bench account has no principal');
  for (const url of sinkUrls) await createSubscription(ctx, principal, { url, ...SUBSCRIPTION });
  const w = await createWarehouse(ctx, acc.id, { name: 'Main' });
  const p = await createProduct(ctx, acc.id, { title: 'Widget', sku: 'W-1', code: '1000', unit: 'pcs' });
  // One real receipt: its stock.changed event is the template every backlog event copies, so the
  // bodies have the real shape and size. Its own deliveries are removed to keep counts exact.
  const { events } = await writeTx(ctx, acc.id, (scope) =>
    postDocumentIn(scope, acc.id, { type: 'receipt', warehouseId: w.id, lines: [{ productId: p.id, quantity: 1 }] }),
  );
  await store.db.deleteFrom('deliveries').execute();
  const template = events.find((e) => e.type === 'stock.changed');
  if (!template) throw new Error('a receipt emitted no stock.changed');
  return { store, ctx, renderer, account: { id: acc.id, number: acc.number, slug: acc.slug }, subs: await listSubscriptions(store.db, acc.id), template };
}

/**
 * Inserts `count` pending deliveries (count / subscriptions events, each rendered for every
 * subscription by the real renderDeliveries) through insertDeliveries' multi-row INSERTs, in
 * transactions of `perTx` deliveries. Returns rows/s.
 */
export async function insertBacklog(s: Seeded, count: number, perTx = 10_000): Promise<number> {
  const t0 = performance.now();
  const eventsPerTx = Math.max(1, Math.floor(perTx / s.subs.length));
  let made = 0;
  while (made < count) {
    const n = Math.min(eventsPerTx, Math.ceil((count - made) / s.subs.length));
    const now = Date.now();
    const events: StoredEvent[] = [];
    for (let i = 0; i < n; i++) {
      events.push({ ...s.template, id: randomUUID(), occurredAt: now, data: { ...s.template.data, documentId: 1_000_000 + made + i } });
    }
    made += await s.store.transaction(async (tx) => {
      const rows = await renderDeliveries(tx, s.renderer, s.account, s.subs, events, now);
      // Event by event, as the fan-out of one document per transaction writes them (renderDeliveries
      // groups by subscription; that layout makes every claim skip the other subscription's block).
      const order = new Map(events.map((e, i) => [e.id, i]));
      rows.sort((a, b) => (order.get(a.event_id ?? '') ?? 0) - (order.get(b.event_id ?? '') ?? 0));
      return insertDeliveries(tx, rows);
    });
  }
  return count / ((performance.now() - t0) / 1000);
}

export async function pendingCount(store: Store): Promise<number> {
  const r = await store.db
    .selectFrom('deliveries')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}
