import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { hashToken } from '../../src/accounts/tokens.js';
import { compose, type Stack } from '../../src/compose.js';
import { openStore } from '../../src/storage/database.js';
import { ADMIN_TOKEN, createEnv, type DbName, TEST_PUBLIC_URL, type TestEnv } from '../support/env.js';
import { call, post, product, warehouse } from '../support/fixtures.js';
import { eventually, Receiver } from '../support/receiver.js';

/**
 * A worker learns of deliveries another process committed from a NOTIFY sent after that commit
 * (not inside the writing transaction), long before its safety-net poll. PostgreSQL only: on SQLite
 * every writer is in-process.
 */
const pg = (inject('databases') as DbName[]).includes('postgres');

describe.runIf(pg)('a worker in another process is woken after commit [postgres]', () => {
  let worker: TestEnv & { close(): Promise<void> };
  let api: Stack;
  let rx: Receiver;

  beforeAll(async () => {
    rx = await Receiver.start();
    // The worker polls once a minute: only the announcement can wake it within the test's wait.
    worker = await createEnv('postgres', { dispatcher: { pollMs: 60_000 } });
    const store = await openStore(worker.url, { migrate: false });
    api = await compose(store, {
      settings: { allowPrivateTargets: true, publicUrl: TEST_PUBLIC_URL },
      dispatcher: false,
      http: { adminTokenHash: hashToken(ADMIN_TOKEN) },
    });
  });
  afterAll(async () => {
    await api?.app?.close();
    await api?.store.close();
    await worker?.close();
    await rx?.close();
  });

  it('deliveries written by the API process are sent by the worker at once, every one of a burst', async () => {
    const a = await worker.newAccount();
    const w = await warehouse(worker, a);
    const p = await product(worker, a);
    await call(worker, a, 'POST', '/api/v1/webhooks', { url: rx.url('/wake'), events: ['document.posted'] }, 201);
    // Let the worker's first wake-ups pass, so it sleeps on its minute-long poll.
    await new Promise((r) => setTimeout(r, 300));
    const viaApi = { ...worker, app: api.app as TestEnv['app'] };
    await Promise.all(Array.from({ length: 20 }, () => post(viaApi, a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] })));
    await eventually(() => rx.on('/wake').length === 20, 15_000, 20);
    expect(new Set(rx.on('/wake').map((r) => r.headers['webhook-id'])).size).toBe(20);
  });
});
