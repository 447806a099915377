import type { Insertable } from 'kysely';
import { expect, it } from 'vitest';
import { insertDeliveries } from '../../src/delivery/fan-out.js';
import type { DeliveryTable } from '../../src/storage/schema.js';
import { describeEachDb } from '../support/env.js';
import { deliveryRow, insertAccount, insertWebhook } from '../support/store-rows.js';

/*
 * The fan-out's insert (fan-out.ts insertDeliveries), which a replay counts its deliveries by: every
 * plain row is written; a coalesced row is written only when no row holds its key yet, otherwise it
 * folds into that row (the partial unique index deliveries_coalesce) and is not counted.
 */
describeEachDb('inserting a write’s deliveries', (env) => {
  it('counts what it wrote: every plain row, and a coalesced row only when its key is not held yet', async () => {
    const store = env().store;
    const accountId = await insertAccount(store);
    const webhookId = await insertWebhook(store, accountId);
    const row = (n: number, coalesceKey: string | null = null): Insertable<DeliveryTable> =>
      deliveryRow({ accountId, webhookId, due: 1000, createdMs: 1000, coalesceKey: coalesceKey === null ? null : `${webhookId}:${coalesceKey}` }, n);
    const first = await store.transaction((tx) => insertDeliveries(tx, [row(1), row(2, 'a'), row(3, 'a'), row(4, 'b'), row(5)]));
    expect(first).toBe(4);
    // A later write whose coalesced row meets the open one folds into it: only its plain row counts.
    const second = await store.transaction((tx) => insertDeliveries(tx, [row(6, 'a'), row(7)]));
    expect(second).toBe(1);
    const bodies = await store.db.selectFrom('deliveries').select('body').where('webhook_id', '=', webhookId).execute();
    expect(bodies.map((r) => r.body).sort()).toEqual(['{"row":1}', '{"row":2}', '{"row":4}', '{"row":5}', '{"row":7}']);
    // More plain rows than one statement takes (500): each written once, across two statements.
    const many = Array.from({ length: 501 }, (_, i) => row(100 + i));
    expect(await store.transaction((tx) => insertDeliveries(tx, many))).toBe(501);
    const written = await store.db.selectFrom('deliveries').select('id').where('id', 'in', many.map((r) => r.id as string)).execute();
    expect(written).toHaveLength(501);
  });
});
