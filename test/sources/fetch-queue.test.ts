import { describe, expect, inject, it } from 'vitest';
import { claimDueFetches, finishFetch, nextFetchDueAt } from '../../src/sources/fetch-queue.js';
import { openStore, type Store } from '../../src/storage/database.js';
import { freshDatabase, type DbName } from '../support/env.js';

/*
 * The queue of Kladana report fetches kept on the request rows (src/sources/fetch-queue.ts), as two
 * processes on one database use it: each through its own store (its own connections).
 */

const NOW = 1_800_000_000_000;

async function pendingRows(store: Store, n: number, dueMs: number): Promise<string[]> {
  const ids = Array.from({ length: n }, (_, i) => `req-${String(i).padStart(3, '0')}`);
  await store.write(async (tx) => {
    for (const id of ids) {
      await tx
        .insertInto('source_requests')
        .values({
          id, account_id: 'acc', source_id: 1, received_ms: NOW - 1000, delivery_key: id, headers: '{}',
          body: '{"reportType":"all","reportUrl":"https://app.kladana.in/api/remap/1.2/report/stock/all/current"}', body_truncated: 0,
          verified: 1, verify_reason: null, answer_status: 204, answer_body: '', outcome: 'pending',
          detail: '{"reportUrl":"https://app.kladana.in/api/remap/1.2/report/stock/all/current","reportType":"all"}',
          fetch_due_ms: dueMs, fetch_lease: null, fetch_attempts: 0,
        })
        .execute();
    }
  });
  return ids;
}

for (const db of inject('databases') as DbName[]) {
  describe(`the report fetch queue [${db}]`, () => {
    it('two processes claiming at once get disjoint rows, each due row once; a row not yet due is nobody\'s', async () => {
      const fresh = await freshDatabase(db);
      const one = await openStore(fresh.url);
      const two = await openStore(fresh.url);
      try {
        const ids = await pendingRows(one, 60, NOW);
        await one.write((tx) => tx.updateTable('source_requests').set({ fetch_due_ms: NOW + 5000 }).where('id', '=', ids[59]).execute());
        const claims: string[][] = [[], []];
        // Rounds of concurrent claims of a few rows each, until both come back empty.
        for (let round = 0; round < 100; round++) {
          const [a, b] = await Promise.all([one, two].map((s) => claimDueFetches(s, { now: NOW, leaseMs: 60_000, limit: 7 })));
          claims[0].push(...a.map((c) => c.requestId));
          claims[1].push(...b.map((c) => c.requestId));
          if (a.length === 0 && b.length === 0) break;
          for (const c of [...a, ...b]) expect(c).toMatchObject({ accountId: 'acc', sourceId: 1, attempts: 1, reportType: 'all', receivedMs: NOW - 1000 });
        }
        const all = [...claims[0], ...claims[1]].sort();
        expect(all).toEqual(ids.slice(0, 59));
        expect(claims[0].filter((id) => claims[1].includes(id))).toEqual([]);
        // The claimed rows come due again when their lease runs out; the unclaimed one at its own time.
        expect(await nextFetchDueAt(one, NOW)).toBe(NOW + 5000);
        expect(await claimDueFetches(two, { now: NOW + 60_000, leaseMs: 60_000, limit: 100 })).toHaveLength(60);
      } finally {
        await one.close();
        await two.close();
        await fresh.drop();
      }
    });

    it('only the holder of the latest claim settles a row', async () => {
      const fresh = await freshDatabase(db);
      const store = await openStore(fresh.url);
      try {
        await pendingRows(store, 1, NOW);
        const [first] = await claimDueFetches(store, { now: NOW, leaseMs: 1000, limit: 1 });
        // Its lease ran out and another process claimed the row.
        const [second] = await claimDueFetches(store, { now: NOW + 1000, leaseMs: 1000, limit: 1 });
        expect(second.attempts).toBe(2);
        expect(await store.write((tx) => finishFetch(tx, first, 'booked', {}))).toBe(false);
        expect(await store.write((tx) => finishFetch(tx, second, 'booked', { booked: 1 }))).toBe(true);
        const row = await store.db.selectFrom('source_requests').select(['outcome', 'detail', 'fetch_due_ms', 'fetch_lease']).executeTakeFirstOrThrow();
        expect(row).toEqual({ outcome: 'booked', detail: '{"booked":1}', fetch_due_ms: null, fetch_lease: null });
        expect(await claimDueFetches(store, { now: NOW + 10_000, leaseMs: 1000, limit: 1 })).toEqual([]);
      } finally {
        await store.close();
        await fresh.drop();
      }
    });
  });
}
