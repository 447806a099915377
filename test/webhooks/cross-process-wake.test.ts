import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { hashToken } from '../../src/accounts/tokens.js';
import { compose, type Stack } from '../../src/compose.js';
import pgClient from 'pg';
import { openStore } from '../../src/storage/database.js';
import { DELIVERY_CHANNEL } from '../../src/storage/postgres/notifier.js';
import { ADMIN_TOKEN, createEnv, type DbName, TEST_PUBLIC_URL, type TestEnv } from '../support/env.js';
import { call, post, product, warehouse } from '../support/fixtures.js';
import { watchLoopRests } from '../support/loop-rests.js';
import { eventually, latch, Receiver } from '../support/receiver.js';

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
  const loop = watchLoopRests();

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
    loop.restore();
  });

  it('deliveries written by the API process are sent by the worker at once, every one of a burst', async () => {
    const a = await worker.newAccount();
    const w = await warehouse(worker, a);
    const p = await product(worker, a);
    await call(worker, a, 'POST', '/api/v1/webhooks', { url: rx.url('/wake'), events: ['document.posted'] }, 201);
    // The worker's first wake-ups have passed: it rests on its minute-long poll.
    await eventually(() => loop.atRest, 10_000, 10, 'the worker at rest');
    const viaApi = { ...worker, app: api.app as TestEnv['app'] };
    await Promise.all(Array.from({ length: 20 }, () => post(viaApi, a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] })));
    await eventually(() => rx.on('/wake').length === 20, 15_000, 20);
    expect(new Set(rx.on('/wake').map((r) => r.headers['webhook-id'])).size).toBe(20);
  });
});

describe.runIf(pg)('a commit whose deliveries all went to its own process wakes no other process [postgres]', () => {
  let env: TestEnv & { close(): Promise<void> };
  let rx: Receiver;
  let gate = latch();
  let listener: pgClient.Client;
  let announced = 0;
  const payloads: string[] = [];

  beforeAll(async () => {
    rx = await Receiver.start(() => ({ status: 200, hold: gate.promise }));
    env = await createEnv('postgres', { dispatcher: { concurrency: 8, accountShare: 4 } });
    listener = new pgClient.Client({ connectionString: env.url });
    await listener.connect();
    listener.on('notification', (msg) => {
      announced++;
      payloads.push(msg.payload ?? '');
    });
    await listener.query(`listen ${DELIVERY_CHANNEL}`);
  });
  afterAll(async () => {
    gate.open();
    await listener?.end();
    await env?.close();
    await rx?.close();
  });

  it('handed-off deliveries are announced to nobody; those left for a claim are', async () => {
    const a = await env.newAccount();
    const w = await warehouse(env, a);
    const p = await product(env, a);
    await call(env, a, 'POST', '/api/v1/webhooks', { url: rx.url('/own'), events: ['document.posted'] }, 201);
    gate.open();
    // A marker through the process's own announcer: it announces in order, one at a time, folding
    // what is asked meanwhile into the next; so once the marker has arrived, every announcement asked
    // before it (the setup writes') has arrived, in it or before it.
    const mark = async (name: string): Promise<number> => {
      env.store.announceDeliveries([name]);
      await eventually(() => payloads.some((x) => x.split(',').includes(name)), 10_000, 5, `announcement ${name}`);
      return payloads.findIndex((x) => x.split(',').includes(name));
    };
    const first = await mark('marker-setup-done');
    const before = announced;
    expect(before).toBe(first + 1);
    for (let i = 0; i < 5; i++) {
      await post(env, a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      await eventually(() => rx.on('/own').length === i + 1, 10_000, 5);
    }
    // Each one-delivery commit went to this process's dispatcher, which had room: no NOTIFY at all.
    // Any announcement of theirs was asked before the next marker, so it would be before it or in it.
    const second = await mark('marker-five-sent');
    expect(payloads.slice(first + 1)).toEqual(['marker-five-sent']);
    expect(second).toBe(first + 1);
    expect(new Set(rx.on('/own').map((r) => r.headers['webhook-id'])).size).toBe(5);

    // The endpoint now holds its answers: the dispatcher fills up (2 in flight per endpoint, share
    // 4), later commits are written unleased for any worker to claim, and those are announced.
    gate = latch();
    for (let i = 0; i < 8; i++) await post(env, a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
    await eventually(() => payloads.slice(second + 1).length > 0, 10_000, 10);
    gate.open();
    await eventually(() => rx.on('/own').length === 13, 15_000, 10);
    // An announcement names the accounts of its commits (a worker at its share for them skips it).
    expect(new Set(payloads.slice(second + 1))).toEqual(new Set([a.id]));
  });
});
