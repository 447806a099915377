import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { lockAccountRow } from '../../src/storage/account-lock.js';
import { openStore } from '../../src/storage/database.js';
import type { Store } from '../../src/storage/store.js';
import { describeEachDb, freshDatabase, type DbName } from '../support/env.js';
import { latch } from '../support/receiver.js';
import { insertAccount } from '../support/store-rows.js';
import { eventually } from '../support/wait.js';

/**
 * The account's row lock (storage/account-lock.ts), what a per-account limit is checked under: it
 * changes nothing in the row, and on PostgreSQL a second transaction that asks for it waits until
 * the first ends, so the two cannot both see room for one more.
 */
describeEachDb('the account row lock', (env) => {
  it('changes nothing in the account row, and the transaction that took it commits', async () => {
    const store = env().store;
    const id = await insertAccount(store);
    await store.db.updateTable('accounts').set({ event_seq: 41 }).where('id', '=', id).execute();
    const other = await insertAccount(store);
    const committed = await store.transaction(async (tx) => {
      await lockAccountRow(tx, id);
      await tx.updateTable('accounts').set({ name: 'renamed under the lock' }).where('id', '=', id).execute();
      return 'committed';
    });
    expect(committed).toBe('committed');
    const rows = await store.db.selectFrom('accounts').select(['id', 'event_seq', 'name']).where('id', 'in', [id, other]).orderBy('id').execute();
    expect(rows.map((r) => ({ ...r, event_seq: Number(r.event_seq) }))).toEqual(
      [
        { id, event_seq: 41, name: 'renamed under the lock' },
        { id: other, event_seq: 0, name: other },
      ].sort((a, b) => (a.id < b.id ? -1 : 1)),
    );
  });
});

if ((inject('databases') as DbName[]).includes('postgres')) {
  describe('PostgreSQL: a second transaction waits for the account row lock until the first ends', () => {
    let fresh: Awaited<ReturnType<typeof freshDatabase>>;
    let one: Store;
    let two: Store;
    beforeAll(async () => {
      fresh = await freshDatabase('postgres');
      one = await openStore(fresh.url);
      two = await openStore(fresh.url);
    });
    afterAll(async () => {
      await one.close();
      await two.close();
      await fresh.drop();
    });

    it('the second lock is granted only after the first transaction commits; another account’s is not held up', async () => {
      const id = await insertAccount(one);
      const elsewhere = await insertAccount(one);
      const order: string[] = [];
      const release = latch();
      const locked = latch();
      const first = one.transaction(async (tx) => {
        await lockAccountRow(tx, id);
        order.push('first locked');
        locked.open();
        await release.promise;
        order.push('first ends');
      });
      await locked.promise;
      // Another account's lock is taken at once while the first is held.
      await two.transaction((tx) => lockAccountRow(tx, elsewhere));
      const second = two.transaction(async (tx) => {
        await lockAccountRow(tx, id);
        order.push('second locked');
      });
      // The proof that the second waits: its backend is waiting for a row lock.
      const waiting = async () =>
        Number(
          (await sql<{ n: string }>`select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(one.db)).rows[0]
            ?.n ?? 0,
        );
      await eventually(async () => (await waiting()) === 1, 20_000, 20, 'the second transaction waiting for the lock');
      expect(order).toEqual(['first locked']);
      release.open();
      await Promise.all([first, second]);
      expect(order).toEqual(['first locked', 'first ends', 'second locked']);
    });
  });
}
