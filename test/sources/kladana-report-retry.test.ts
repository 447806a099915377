import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openStore } from '../../src/storage/database.js';
import { describeEachDb, freshDatabase, openEnv, type DbName, type TestEnv } from '../support/env.js';
import { call, levels, warehouse } from '../support/fixtures.js';
import { latch, Receiver } from '../support/receiver.js';
import { eventually } from '../support/wait.js';
import { documents, listening, requests, settled, source } from './helpers.js';
import { kladana, send } from './senders.js';

/*
 * Kladana's webhookstock document (seed 001_b7c5f6582b1849dd.txt): the notification is thin (a
 * reportUrl), it is answered within 1500 ms, and Kladana does not send an answered one again. So a
 * report fetch that fails, or that a stopping process never finished, is stockhook's to try again:
 * the request row is the queue entry. The report is served by a test server on 127.0.0.1 whose
 * answers the test decides; waits are for the log row or the booking, never for the clock.
 */

const AUTH = 'Basic ' + Buffer.from('admin@shop:secret-password').toString('base64');
const ROWS = JSON.stringify([{ assortmentId: 'a-1', storeId: 's-1', stock: 17 }]);
/** Short waits between tries, so a test runs its schedule in milliseconds. */
const FAST = { retry: { firstDelayMs: 20, maxDelayMs: 80, maxAttempts: 3, maxAgeMs: 10 * 60_000 } };

async function account(e: TestEnv, reportBase: string) {
  const a = await e.newAccount();
  const w = await warehouse(e, a, 'Store 1', { code: 's-1' });
  const p = (await call(e, a, 'POST', '/api/v1/products', { title: 'Tea', sku: 'a-1' }, 201)).body.id as number;
  const s = await source(e, a, { name: 'Kladana', format: 'kladana', reportAuthorization: AUTH, reportBaseUrl: reportBase });
  return { a, w, p, s };
}

const counts = async (e: TestEnv, a: Awaited<ReturnType<typeof account>>['a']) => (await documents(e, a)).filter((d) => d.type === 'count');

describeEachDb(
  'a Kladana report fetch that fails',
  (env) => {
    let report: Receiver;
    beforeAll(async () => {
      report = await Receiver.start((r) => {
        if (r.path === '/api/remap/1.2/flaky') return report.on(r.path).length === 1 ? { status: 503, body: '{"errors":[{"error":"busy"}]}' } : { status: 200, body: ROWS };
        if (r.path === '/api/remap/1.2/broken') return { status: 502, body: 'bad gateway' };
        if (r.path === '/api/remap/1.2/mixed') return { status: 200, body: JSON.stringify([{ assortmentId: 'a-1', storeId: 's-1', stock: 4 }, { assortmentId: 'nobody', storeId: 's-1', stock: 1 }]) };
        return { status: 404 };
      });
    });
    afterAll(async () => report.close());

    it('answered 503 first, then 200: the report is booked after the retry, once', async () => {
      const { a, w, p, s } = await account(env(), report.url('/api/remap/1.2/'));
      const res = await send(await listening(env()), kladana(s.path, randomUUID(), { accountId: 'acc-1', reportType: 'bystore', reportUrl: report.url('/api/remap/1.2/flaky') }));
      expect(res.status).toBe(204);
      const [entry] = await settled(env(), a, s.id, 1);
      expect(entry).toMatchObject({ outcome: 'booked', answer: { status: 204 }, detail: { attempts: 2, booked: 1 } });
      expect(report.on('/api/remap/1.2/flaky').map((r) => r.headers.authorization)).toEqual([AUTH, AUTH]);
      expect(await counts(env(), a)).toHaveLength(1);
      expect((await levels(env(), a, `?productId=${p}`)).map((l) => [l.warehouseId, l.amount])).toEqual([[w, 17]]);
    });

    it('a report that fails every time ends fetch_failed with its last error, books nothing, and the health shows it', async () => {
      const { a, p, s } = await account(env(), report.url('/api/remap/1.2/'));
      await send(await listening(env()), kladana(s.path, randomUUID(), { accountId: 'acc-1', reportType: 'bystore', reportUrl: report.url('/api/remap/1.2/broken') }));
      const [entry] = await settled(env(), a, s.id, 1);
      expect(entry.outcome).toBe('fetch_failed');
      expect(entry.detail).toMatchObject({ attempts: 3, reason: 'the report answered 502', gaveUp: 'gave up after 3 tries' });
      expect(report.on('/api/remap/1.2/broken')).toHaveLength(3);
      expect(await counts(env(), a)).toEqual([]);
      expect(await levels(env(), a, `?productId=${p}`)).toEqual([]);
      const got = (await call(env(), a, 'GET', `/api/v1/sources/${s.id}`, undefined, 200)).body;
      expect(got.health).toEqual({ lastRequest: { id: entry.id, receivedAt: entry.receivedAt, outcome: 'fetch_failed' }, unmatched: 0 });
    });

    it("PATCH answers with the source's health as GET reads it", async () => {
      const { a, s } = await account(env(), report.url('/api/remap/1.2/'));
      await send(await listening(env()), kladana(s.path, randomUUID(), { accountId: 'acc-1', reportType: 'bystore', reportUrl: report.url('/api/remap/1.2/mixed') }));
      const [entry] = await settled(env(), a, s.id, 1);
      const patched = (await call(env(), a, 'PATCH', `/api/v1/sources/${s.id}`, { name: 'Kladana shop' }, 200)).body;
      const got = (await call(env(), a, 'GET', `/api/v1/sources/${s.id}`, undefined, 200)).body;
      expect(patched.health).toEqual({ lastRequest: { id: entry.id, receivedAt: entry.receivedAt, outcome: 'booked' }, unmatched: 1 });
      expect(patched).toEqual(got);
    });
  },
  { reportFetches: FAST },
);

for (const db of inject('databases') as DbName[]) {
  describe(`a Kladana report fetch the process never finished [${db}]`, () => {
    const PATH = '/api/remap/1.2/report/stock/bystore/current';
    let report: Receiver;
    const gate = latch();
    /** While set, a fetch is held unanswered (the gate opens only at the end): the app that made it closes meanwhile. */
    let holding = false;
    beforeAll(async () => {
      report = await Receiver.start(() => (holding ? { status: 200, body: ROWS, hold: gate.promise } : { status: 200, body: ROWS }));
    });
    afterAll(async () => {
      gate.open();
      await report.close();
    });

    /** Answers a notification on a first app, which closes while the report is still being read. */
    async function answeredThenClosed(url: string) {
      // A lease far longer than the test: only the release at close (or the lease of the next test) lets another start fetch it.
      const first = await openEnv(db, url, { reportFetches: { ...FAST, leaseMs: 3_600_000 } });
      const { a, w, p, s } = await account(first, report.url('/api/remap/1.2/'));
      const before = report.on(PATH).length;
      holding = true;
      const res = await send(await first.app.listen({ port: 0, host: '127.0.0.1' }), kladana(s.path, randomUUID(), { accountId: 'acc-1', reportType: 'bystore', reportUrl: report.url(`${PATH}?fromDate=2026-12-07 02:00:00`) }));
      expect(res.status).toBe(204);
      await eventually(() => report.on(PATH).length > before, 10_000, 25, 'the report fetch to start');
      await first.close();
      holding = false;
      // What the closed app left: the request logged, its fetch due, nothing booked.
      const store = await openStore(url);
      const row = await store.db.selectFrom('source_requests').selectAll().where('source_id', '=', s.id).executeTakeFirstOrThrow();
      const booked = await store.db.selectFrom('documents').select('id').where('account_id', '=', a.id).where('type', '=', 'count').execute();
      await store.close();
      expect(row).toMatchObject({ outcome: 'pending', fetch_lease: null, fetch_attempts: 0 });
      expect(row.fetch_due_ms).not.toBeNull();
      expect(booked).toEqual([]);
      return { a, w, p, s, requestId: row.id };
    }

    it('a new app on the same database fetches it at start and books it once', async () => {
      const fresh = await freshDatabase(db);
      try {
        const { a, w, p, s } = await answeredThenClosed(fresh.url);
        // The first app cut its fetch short when it closed: the report server sees the connection go.
        await eventually(() => report.on(PATH).at(-1)!.abandoned, 10_000, 25, 'the held fetch to be abandoned');
        const next = await openEnv(db, fresh.url, { reportFetches: FAST });
        try {
          const [entry] = await settled(next, a, s.id, 1);
          expect(entry).toMatchObject({ outcome: 'booked', detail: { attempts: 1, booked: 1 } });
          expect(await counts(next, a)).toHaveLength(1);
          expect((await levels(next, a, `?productId=${p}`)).map((l) => [l.warehouseId, l.amount])).toEqual([[w, 17]]);
        } finally {
          await next.close();
        }
      } finally {
        await fresh.drop();
      }
    });

    it("a process that died holding the claim: another fetches it once the claim's lease runs out", async () => {
      const fresh = await freshDatabase(db);
      try {
        const { a, s, requestId } = await answeredThenClosed(fresh.url);
        // As a process that claimed it and died would leave it: a try counted, a lease held until soon.
        const store = await openStore(fresh.url);
        await store.write((tx) =>
          tx.updateTable('source_requests').set({ fetch_lease: 'a-process-that-died', fetch_attempts: 1, fetch_due_ms: Date.now() + 300 }).where('id', '=', requestId).execute(),
        );
        await store.close();
        const next = await openEnv(db, fresh.url, { reportFetches: FAST });
        try {
          const [entry] = await settled(next, a, s.id, 1);
          expect(entry).toMatchObject({ outcome: 'booked', detail: { attempts: 2, booked: 1 } });
          expect(await counts(next, a)).toHaveLength(1);
        } finally {
          await next.close();
        }
      } finally {
        await fresh.drop();
      }
    });
  });
}
