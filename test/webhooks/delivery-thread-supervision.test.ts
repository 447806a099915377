import { afterAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { DeliveryThreadState } from '../../src/delivery/metrics.js';
import { startServer, type Running } from '../../src/server.js';
import { freshDatabase, type DbName } from '../support/env.js';
import { Receiver } from '../support/receiver.js';
import { eventually } from '../support/wait.js';

const ADMIN = 'supervision-admin-token-0123456789abcdef0123456789';

async function call<T>(base: string, token: string, method: string, path: string, body?: unknown, expectStatus = 201): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (res.status !== expectStatus) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

/**
 * Role all delivers on its own thread. When that thread ends (here: terminated, as a crash would end
 * it) the process notices at once: /readyz says not ready with the thread's state, a new thread is
 * started, and what the dead one held is delivered after its lease runs out.
 */
for (const db of inject('databases') as DbName[]) {
  describe(`a supervised delivery thread [${db}]`, () => {
    const cleanup: Array<() => Promise<unknown>> = [];
    afterAll(async () => {
      for (const c of cleanup.reverse()) await c();
    }, 30_000);

    it('a terminated delivery thread is noticed, reported by /readyz and replaced; deliveries resume, none is lost', { timeout: 120_000 }, async () => {
      const fresh = await freshDatabase(db);
      cleanup.push(fresh.drop);
      let release = () => {};
      let held: Promise<void> = new Promise<void>((r) => (release = r));
      const rx = await Receiver.start(() => ({ status: 200, body: '{}', hold: held }));
      cleanup.push(() => rx.close());
      const config = loadConfig(
        { db: fresh.url, port: 0, role: 'all' },
        { STOCKHOOK_ADMIN_TOKEN: ADMIN, STOCKHOOK_ALLOW_PRIVATE_TARGETS: '1', STOCKHOOK_DELIVERY_LEASE_MS: '1000', STOCKHOOK_LOG_LEVEL: 'silent' },
        false,
      );
      const running: Running = await startServer(config);
      cleanup.push(() => running.close());
      const base = running.url as string;
      const thread = running.thread;
      if (!thread) throw new Error('role all runs a delivery thread');
      const states: DeliveryThreadState[] = [];
      thread.testHook.onState((s) => states.push(s));
      await eventually(async () => (await fetch(`${base}/readyz`)).status === 200, 60_000, 20, '/readyz ready');

      const { token } = await call<{ token: string }>(base, ADMIN, 'POST', '/api/v1/accounts', { name: 'Thread', plan: 'paid' });
      const w = (await call<{ id: number }>(base, token, 'POST', '/api/v1/warehouses', { name: 'Main' })).id;
      const p = (await call<{ id: number }>(base, token, 'POST', '/api/v1/products', { title: 'Widget', sku: 'W-1', code: '100' })).id;
      await call(base, token, 'POST', '/api/v1/webhooks', { url: rx.url('/thread'), events: ['stock.changed'] });
      const receipt = () => call(base, token, 'POST', '/api/v1/documents', { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });

      // A delivery in flight (its answer held) when the thread ends: its result is never written.
      await receipt();
      await eventually(() => rx.requests.length > 0, 30_000, 5, 'the first delivery in flight');
      const first = thread.owner;
      await thread.testHook.worker().terminate();

      const notReady = await eventually(async () => {
        const res = await fetch(`${base}/readyz`);
        return res.status === 503 ? ((await res.json()) as { error: { code: string; details: { database: string; delivery: string } } }) : null;
      }, 30_000, 10, '/readyz not ready');
      expect(notReady.error.code).toBe('NOT_READY');
      expect(notReady.error.details.database).toBe('ok');
      expect(['restarting', 'starting']).toContain(notReady.error.details.delivery);
      // Writes go on meanwhile: the new thread claims their deliveries.
      await receipt();
      release();
      held = Promise.resolve();

      await eventually(async () => (await fetch(`${base}/readyz`)).status === 200, 60_000, 20, '/readyz ready again');
      expect(states.slice(states.indexOf('restarting'))).toEqual(['restarting', 'starting', 'running']);
      expect(thread.owner).not.toBe(first);
      await receipt();

      // Every event arrives: the one the dead thread held (after its lease), and those written since.
      const events = async () =>
        (await call<{ data: Array<{ id: string }> }>(base, token, 'GET', '/api/v1/events?type=stock.changed&limit=100', undefined, 200)).data.map((e) => e.id).sort();
      const delivered = () => [...new Set(rx.on('/thread').map((r) => (JSON.parse(r.body) as { id: string }).id))].sort();
      await eventually(async () => delivered().length === 3 && (await events()).length === 3, 60_000, 20, 'all three events delivered');
      expect(delivered()).toEqual(await events());
    });
  });
}
