import pg from 'pg';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { hashToken } from '../../src/accounts/tokens.js';
import { compose, type Stack } from '../../src/compose.js';
import type { Dispatcher, DispatcherOptions } from '../../src/delivery/dispatcher.js';
import { createDispatcher, createDomain } from '../../src/domain.js';
import { openStore, type Store, type StoreOptions } from '../../src/storage/database.js';
import { ADMIN_TOKEN, freshDatabase, TEST_PUBLIC_URL, type TestAccount, type TestEnv } from '../support/env.js';
import { call, post, product, warehouse } from '../support/fixtures.js';
import { watchLoopRests } from '../support/loop-rests.js';
import { describeThroughPgBouncer } from '../support/pgbouncer-suite.js';
import { eventually, latch, Receiver } from '../support/receiver.js';

const BREAKER = { threshold: 3, cooldownMs: 600, maxCooldownMs: 1200 };
const loop = watchLoopRests();

interface Worker {
  store: Store;
  dispatcher: Dispatcher;
  /** Attempts this worker made. */
  attempts: number;
}

/**
 * Workers as separate processes would be (each its own store and connections), every one through a
 * real PgBouncer in transaction mode: claims shared without double delivery, the two ways a
 * worker learns of deliveries another process wrote when LISTEN cannot go through the pooler, and
 * the circuit breaker shared through the database. The documents are written by an API stack of
 * its own, through the pooler too, without a dispatcher: nothing in its process wakes the workers.
 */
describeThroughPgBouncer('workers through PgBouncer in transaction mode (PostgreSQL)', (bouncer) => {
  let fresh: { url: string; drop(): Promise<void> };
  let apiStack: Stack;
  let env: TestEnv;
  let direct: pg.Client;
  let workers: Worker[] = [];
  let rx: Receiver;
  let sick = true;
  /** Holds the answers of /shared until the test opens it. */
  const sharedGate = latch();

  async function startWorker(store: Omit<StoreOptions, 'pooler'> = {}, opts: DispatcherOptions = {}): Promise<Worker> {
    const s = await openStore(bouncer().through(fresh.url), { migrate: false, pooler: 'transaction', ...store });
    const w: Worker = { store: s, dispatcher: null as unknown as Dispatcher, attempts: 0 };
    const domain = createDomain(s, { allowPrivateTargets: true, publicUrl: TEST_PUBLIC_URL });
    const metrics = { recordAttempt: () => void w.attempts++, watchBreakers: () => {} };
    w.dispatcher = createDispatcher(domain, { concurrency: 8, breaker: BREAKER, metrics, ...opts });
    await w.dispatcher.start();
    workers.push(w);
    return w;
  }

  async function account(): Promise<{ a: TestAccount; w: number; p: number }> {
    const res = await env.app.inject({ method: 'POST', url: '/api/v1/accounts', headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, payload: { name: 'Pooled', plan: 'paid' } });
    const body = res.json() as { id: string; number: number; slug: string; token: string };
    const a = { ...body, auth: { authorization: `Bearer ${body.token}` } };
    return { a, w: await warehouse(env, a), p: await product(env, a) };
  }

  /** Backends of this database whose last statement was a LISTEN (a listening session stays on it). */
  const listening = async () =>
    Number((await direct.query<{ n: string }>("select count(*) as n from pg_stat_activity where datname = current_database() and query ilike 'listen %'")).rows[0].n);

  beforeAll(async () => {
    fresh = await freshDatabase('postgres');
    rx = await Receiver.start((r) => {
      if (r.path === '/sick' && sick) return { status: 500 };
      return { status: 200, body: '{}', ...(r.path === '/shared' && { hold: sharedGate.promise }) };
    });
    const store = await openStore(bouncer().through(fresh.url), { pooler: 'transaction' });
    apiStack = await compose(store, {
      settings: { allowPrivateTargets: true, publicUrl: TEST_PUBLIC_URL },
      dispatcher: false,
      http: { adminTokenHash: hashToken(ADMIN_TOKEN) },
    });
    env = { app: apiStack.app as TestEnv['app'] } as TestEnv;
    direct = new pg.Client({ connectionString: fresh.url });
    direct.on('error', () => {});
    await direct.connect();
  }, 60_000);
  afterEach(async () => {
    for (const w of workers) {
      await w.dispatcher.stop(1000);
      await w.store.close();
    }
    workers = [];
  });
  afterAll(async () => {
    loop.restore();
    await direct?.end().catch(() => {});
    await apiStack?.app?.close();
    await apiStack?.store.close();
    await rx?.close();
    await fresh?.drop();
  }, 30_000);

  it('a worker that LISTENs on the direct URL is woken by the NOTIFY sent through the pooler', { timeout: 60_000 }, async () => {
    const { a, w, p } = await account();
    await call(env, a, 'POST', '/api/v1/webhooks', { url: rx.url('/listened'), events: ['document.posted'] }, 201);
    // It polls once a minute: only the announcement can bring the delivery within the wait below.
    const worker = await startWorker({ listenUrl: fresh.url }, { pollMs: 60_000 });
    // Announcements arrive: the store sets no pace of its own.
    expect(worker.store.wakeupPollMs).toBeUndefined();
    expect(await listening()).toBe(1);
    await eventually(() => loop.atRest, 20_000, 10, 'the worker at rest');
    await post(env, a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
    await eventually(() => rx.on('/listened').length === 1, 20_000, 10, 'the delivery');
  });

  it('without a listen URL nothing LISTENs, and a worker finds the delivery at its poll', { timeout: 60_000 }, async () => {
    const { a, w, p } = await account();
    await call(env, a, 'POST', '/api/v1/webhooks', { url: rx.url('/polled'), events: ['document.posted'] }, 201);
    const worker = await startWorker();
    expect(worker.store.wakeupPollMs).toBe(250);
    // The previous test's listening session ends as its worker closes; none takes its place.
    await eventually(async () => (await listening()) === 0, 10_000, 20, 'no LISTEN session');
    await eventually(() => loop.atRest, 20_000, 10, 'the worker at rest');
    // Nothing LISTENs on this database and the writer is another stack: only the poll can end
    // the worker's rest and find the delivery.
    await post(env, a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
    await eventually(() => rx.on('/polled').length === 1, 20_000, 10, 'the delivery');
    expect(await listening()).toBe(0);
  });

  it('two workers share the claims: every delivery sent once, both take part', { timeout: 120_000 }, async () => {
    const { a, w, p } = await account();
    const hook = (await call(env, a, 'POST', '/api/v1/webhooks', { url: rx.url('/shared'), events: ['document.posted'], maxInFlight: 4 }, 201)).body as { id: string };
    const DOCS = 80;
    for (let i = 0; i < DOCS; i += 10) {
      await Promise.all(Array.from({ length: 10 }, () => post(env, a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] })));
    }
    // A backlog for both at once, claimed a few at a time: one polling, one woken by LISTEN on the
    // direct URL. A worker sends at most 2 requests at once to one endpoint (half its account
    // share of 4), so 3 unanswered at once are both workers' claims at work.
    const [one, two] = await Promise.all([startWorker({}, { batchSize: 4 }), startWorker({ listenUrl: fresh.url }, { batchSize: 4 })]);
    await eventually(() => rx.on('/shared').length >= 3, 30_000, 10, 'both workers sending');
    sharedGate.open();
    await eventually(() => rx.on('/shared').length >= DOCS, 60_000, 20, 'every delivery');
    // An attempt is counted once its answer is in (20 ms after the receiver saw it).
    await eventually(() => one.attempts + two.attempts >= DOCS, 20_000, 10, 'every attempt finished');
    const got = rx.on('/shared');
    expect(got).toHaveLength(DOCS);
    expect(new Set(got.map((r) => r.headers['webhook-id'])).size).toBe(DOCS);
    expect(one.attempts + two.attempts).toBe(DOCS);
    expect(one.attempts).toBeGreaterThan(0);
    expect(two.attempts).toBeGreaterThan(0);
    await eventually(async () => {
      const r = await direct.query<{ n: string }>("select count(*) as n from deliveries where webhook_id = $1 and status = 'succeeded'", [hook.id]);
      return Number(r.rows[0].n) === DOCS;
    }, 20_000, 20, 'every delivery recorded as succeeded');
  });

  it('the circuit breaker opened by one worker holds the other; one probe per reopen; a good probe lifts it for both', { timeout: 90_000 }, async () => {
    const { a, w, p } = await account();
    const sub = (await call(env, a, 'POST', '/api/v1/webhooks', { url: rx.url('/sick'), events: ['document.posted'], maxInFlight: 2, retrySchedule: Array(10).fill(0.05) }, 201)).body as { id: string };
    const first = await startWorker({}, { pollMs: 50 });
    for (let i = 0; i < 6; i++) await post(env, a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
    const pausedUntil = async () => (await direct.query<{ t: string | null }>('select paused_until_ms as t from webhooks where id = $1', [sub.id])).rows[0].t;
    await eventually(pausedUntil, 20_000, 10, 'the pause recorded');
    // The second worker, started while the endpoint is paused, learns of the pause from the database.
    const second = await startWorker({}, { pollMs: 50 });
    const sent = () => rx.on('/sick').length;
    // A moment well inside a pause: nothing more goes out before it ends, so the count is settled.
    let before = 0;
    const opened = await eventually(async () => {
      const until = await pausedUntil();
      before = sent();
      return until !== null && Number(until) - Date.now() > 150 && until;
    }, 20_000, 5, 'a moment inside a pause');
    // Two reopens: each lets exactly one probe out, whichever worker takes it, and it fails.
    // Meanwhile the second worker holds the pause in its own breaker, read through the pooler.
    const pauses = [opened];
    let secondHeld = false;
    await eventually(async () => {
      secondHeld ||= second.dispatcher.breakers.paused().includes(sub.id);
      const until = await pausedUntil();
      if (until && until !== pauses[pauses.length - 1]) pauses.push(until);
      return pauses.length === 3 && secondHeld;
    }, 30_000, 10, 'two more pauses, held by the second worker');
    // The requests before the third pause ends (its probe may go out as soon as it does).
    expect(rx.on('/sick').slice(before).filter((r) => r.at < Number(pauses[2])).length).toBe(2);
    sick = false;
    await eventually(async () => {
      const r = await direct.query<{ n: string }>("select count(*) as n from deliveries where webhook_id = $1 and status = 'succeeded'", [sub.id]);
      return Number(r.rows[0].n) === 6;
    }, 30_000, 20, 'all six delivered after the pause');
    expect(await pausedUntil()).toBeNull();
    const both = () => [first.dispatcher.breakers.state(sub.id, Date.now()), second.dispatcher.breakers.state(sub.id, Date.now())];
    await eventually(() => both().every((s) => s === 'closed'), 10_000, 10, 'both breakers closed');
  });
});
