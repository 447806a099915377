import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { hashToken } from '../../src/accounts/tokens.js';
import type { App } from '../../src/app.js';
import { compose } from '../../src/compose.js';
import { openStore, type Store } from '../../src/storage/database.js';
import { ADMIN_TOKEN, createEnv, TEST_PUBLIC_URL, type DbName, type TestAccount, type TestEnv } from '../support/env.js';
import { call, post, product, warehouse } from '../support/fixtures.js';

/**
 * Two processes on one database, as a user who outgrows one machine runs them: here two stores,
 * each with its own app. Each posts sales of one unit of each of the same four products, one
 * listing the lines in product order and the other in the opposite order, all at once. A write
 * locks its stock rows in key order whatever order its lines come in (inventory/documents.ts), so
 * the two cannot deadlock: no request may fail but for want of stock. And no product may be
 * oversold: a sale is all or nothing, exactly as many sales as the stock allows go through, levels
 * equal the sum of movements, and free stock never goes below zero.
 */
const STOCK = 6;
const ROUNDS = 4; // sales from each process: 2 x 4 = 8 asked for, each taking one of every product; 6 in stock

for (const db of inject('databases') as DbName[]) {
  describe(`two processes, sales listing the same products in opposite orders [${db}]`, () => {
    let env: TestEnv & { close(): Promise<void> };
    let store: Store;
    let other: App;
    beforeAll(async () => {
      env = await createEnv(db);
      store = await openStore(env.url, { migrate: false });
      const stack = await compose(store, {
        settings: { allowPrivateTargets: true, publicUrl: TEST_PUBLIC_URL },
        dispatcher: false,
        http: { adminTokenHash: hashToken(ADMIN_TOKEN) },
      });
      other = stack.app as App;
    });
    afterAll(async () => {
      await other?.close();
      await store?.close();
      await env?.close();
    });

    it('never fails a request and never oversells', async () => {
      const a: TestAccount = await env.newAccount();
      const w = await warehouse(env, a);
      const products: number[] = [];
      for (let i = 0; i < 4; i++) products.push(await product(env, a, { sku: `O-${i}`, code: `${500 + i}` }));
      await post(env, a, { type: 'receipt', warehouseId: w, lines: products.map((productId) => ({ productId, quantity: STOCK })) });

      const sale = (app: App, order: number[], ref: string) =>
        app.inject({
          method: 'POST',
          url: '/api/v1/documents',
          headers: a.auth,
          payload: { type: 'sale', warehouseId: w, reference: ref, lines: order.map((productId) => ({ productId, quantity: 1 })) },
        });
      const reversed = [...products].reverse();
      // All issued in one tick, so the two stores' transactions overlap.
      const asked: Array<ReturnType<typeof sale>> = [];
      for (let round = 0; round < ROUNDS; round++) {
        asked.push(sale(env.app, products, `one-${round}`));
        asked.push(sale(other, reversed, `two-${round}`));
      }
      const answers = await Promise.all(asked);

      // Every answer is a sale or a refusal for want of stock: no 409, no 500, no 503.
      const unexpected = answers.filter((res) => res.statusCode !== 201 && !(res.statusCode === 422 && res.json().error.code === 'INSUFFICIENT_STOCK'));
      expect(unexpected.map((res) => `${res.statusCode} ${res.body}`)).toEqual([]);
      // Exactly as many sales as the stock allows went through, whichever process made them.
      expect(answers.filter((res) => res.statusCode === 201)).toHaveLength(STOCK);

      const rows = await env.store.db
        .selectFrom('stock_levels')
        .select(['id', 'product_id', 'amount', 'reserved'])
        .where('account_id', '=', a.id)
        .orderBy('product_id')
        .execute();
      expect(rows.map((r) => ({ product: r.product_id, amount: Number(r.amount), free: Number(r.amount) - Number(r.reserved) }))).toEqual(
        products.map((p) => ({ product: p, amount: 0, free: 0 })),
      );
      // Levels equal the sum of their movements.
      const moved = await env.store.db
        .selectFrom('movements')
        .select(['stock_level_id', (eb) => eb.fn.sum<number>('amount_delta').as('s')])
        .where('account_id', '=', a.id)
        .groupBy('stock_level_id')
        .execute();
      expect(new Map(moved.map((m) => [m.stock_level_id, Number(m.s)]))).toEqual(new Map(rows.map((r) => [r.id, 0])));
      // The events of every sale are there, read through either process.
      const events = (await call(env, a, 'GET', '/api/v1/events?after=0&limit=500', undefined, 200)).body.data;
      expect(events.filter((e: { type: string }) => e.type === 'document.posted')).toHaveLength(1 + STOCK);
    });
  });
}
