import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { api, killAll, startCli, type Child } from '../support/child.js';
import { freshDatabase } from '../support/env.js';
import { Receiver } from '../support/receiver.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { eventually } from '../support/wait.js';

const hasPostgres = (inject('databases') as string[]).includes('postgres');
const ADMIN = 'outage-admin-token-0123456789abcdef0123456789';

/** What one POST answered: 201 with the document, or the documented 503. */
type Outcome = { status: 201; id: number } | { status: 503; code: string; retryAfter: string | null } | { status: number; body: string };

async function postReceipt(base: string, token: string, warehouseId: number, productId: number): Promise<Outcome> {
  const res = await fetch(`${base}/api/v1/documents`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'receipt', warehouseId, lines: [{ productId, quantity: 1 }] }),
  }).catch((err: unknown) => err as Error);
  // No answer at all: the process died (what the cut did before connections had an 'error' listener).
  if (res instanceof Error) return { status: 0, body: String(res.cause ?? res.message) };
  const text = await res.text();
  if (res.status === 201) return { status: 201, id: (JSON.parse(text) as { id: number }).id };
  if (res.status === 503) return { status: 503, code: (JSON.parse(text) as { error: { code: string } }).error.code, retryAfter: res.headers.get('retry-after') };
  return { status: res.status, body: text };
}

/**
 * PostgreSQL restarts, fails over, a pooler restarts: every connection of stockhook is cut. The real
 * `stockhook serve` (role all: the API and its delivery thread) talks to PostgreSQL through a proxy
 * of the test's, which cuts every connection in the middle of a write burst and of a drain, then
 * refuses connections for a while. The process must stay up and recover by itself.
 */
(hasPostgres ? describe : describe.skip)('PostgreSQL going away and coming back (PostgreSQL)', () => {
  const children: Child[] = [];
  const cleanup: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    await killAll(children);
    for (const c of cleanup.reverse()) await c();
  }, 30_000);

  it('cut connections under writes and deliveries: the process stays up, requests answer 201 or 503 DATABASE_UNAVAILABLE, nothing is lost or applied twice, delivery resumes, /readyz follows the database', { timeout: 600_000 }, async () => {
    const fresh = await freshDatabase('postgres');
    cleanup.push(fresh.drop);
    const real = new URL(fresh.url);
    const proxy = await TcpProxy.start({ host: real.hostname, port: Number(real.port || 5432) });
    cleanup.push(() => proxy.close());
    let release = () => {};
    let held: Promise<void> = Promise.resolve();
    const rx = await Receiver.start(() => ({ status: 200, body: '{}', hold: held }));
    cleanup.push(() => rx.close());
    const c = await startCli(['serve', '--db', proxy.url(fresh.url), '--port', '0'], {
      STOCKHOOK_ADMIN_TOKEN: ADMIN,
      STOCKHOOK_ALLOW_PRIVATE_TARGETS: '1',
      STOCKHOOK_DELIVERY_LEASE_MS: '2000',
    });
    children.push(c);
    // A `--role worker` process (no HTTP) through the same proxy: it must survive the cuts too.
    const worker = await startCli(['serve', '--db', proxy.url(fresh.url), '--role', 'worker'], { STOCKHOOK_ALLOW_PRIVATE_TARGETS: '1', STOCKHOOK_DELIVERY_LEASE_MS: '2000' }, { ready: /lease owner (\S+),/ });
    children.push(worker);
    const account = await api<{ token: string }>(c.url, ADMIN, 'POST', '/api/v1/accounts', { name: 'Outage', plan: 'paid' }, 201);
    const token = account.token;
    const w = (await api<{ id: number }>(c.url, token, 'POST', '/api/v1/warehouses', { name: 'Main' }, 201)).id;
    const p = (await api<{ id: number }>(c.url, token, 'POST', '/api/v1/products', { title: 'Widget', sku: 'W-1', code: '100' }, 201)).id;
    await api(c.url, token, 'POST', '/api/v1/webhooks', { url: rx.url('/outage'), events: ['stock.changed'] }, 201);
    // Ready once the delivery thread runs too.
    await eventually(async () => (await fetch(`${c.url}/readyz`)).status === 200, 60_000, 20, '/readyz ready');

    const outcomes: Outcome[] = [];
    const created = () => outcomes.filter((o) => o.status === 201).length;
    // Six clients posting receipts until told to stop.
    let posting = true;
    const posters = Array.from({ length: 6 }, async () => {
      while (posting && c.proc.exitCode === null) outcomes.push(await postReceipt(c.url, token, w, p));
    });

    // 1. In the middle of a write burst.
    await eventually(() => created() >= 30, 60_000, 5, '30 receipts before the cut');
    expect(proxy.cut(), 'connections open at the cut').toBeGreaterThan(0);
    const createdAtCut = created();
    await eventually(() => {
      if (c.proc.exitCode !== null) throw new Error(`stockhook exited with ${c.proc.exitCode}: ${c.stderr()}`);
      return created() >= createdAtCut + 30;
    }, 60_000, 5, '30 receipts after the cut');
    posting = false;
    await Promise.all(posters);

    // 2. In the middle of a drain: deliveries are going out (the receiver holds its answers) when
    // every connection is cut; their results are written after it.
    held = new Promise<void>((r) => (release = r));
    const heldFrom = rx.requests.length;
    for (let i = 0; i < 10; i++) outcomes.push(await postReceipt(c.url, token, w, p));
    await eventually(() => rx.requests.length > heldFrom, 30_000, 5, 'a delivery in flight');
    expect(proxy.cut(), 'connections open at the second cut').toBeGreaterThan(0);
    release();
    held = Promise.resolve();

    // 3. The database is unreachable for a while: not ready, writes answer 503 with Retry-After.
    proxy.refuse();
    const notReady = await eventually(async () => {
      const res = await fetch(`${c.url}/readyz`);
      return res.status === 503 ? ((await res.json()) as { error: { code: string; details: { database: string } } }) : null;
    }, 30_000, 20, '/readyz not ready');
    expect(notReady.error).toMatchObject({ code: 'NOT_READY', details: { database: 'unreachable' } });
    const refused = await postReceipt(c.url, token, w, p);
    expect(refused).toEqual({ status: 503, code: 'DATABASE_UNAVAILABLE', retryAfter: '2' });
    proxy.accept();
    await eventually(async () => (await fetch(`${c.url}/readyz`)).status === 200, 30_000, 20, '/readyz ready again');
    for (let i = 0; i < 5; i++) outcomes.push(await postReceipt(c.url, token, w, p));

    // Every request answered 201 or the documented 503, never anything else.
    const unexpected = outcomes.filter((o) => o.status !== 201 && !(o.status === 503 && 'code' in o && o.code === 'DATABASE_UNAVAILABLE' && o.retryAfter === '2'));
    expect(unexpected).toEqual([]);
    expect(c.proc.exitCode, 'the process is still running').toBeNull();

    // Read the truth straight from PostgreSQL, not through the proxy.
    const db = new pg.Client({ connectionString: fresh.url });
    await db.connect();
    cleanup.push(() => db.end());
    const committedIds = new Set((await db.query<{ id: number }>(`select id from documents where type = 'receipt'`)).rows.map((r) => Number(r.id)));
    // Nothing that answered 201 is lost.
    for (const o of outcomes) if (o.status === 201 && 'id' in o) expect(committedIds.has(o.id), `document ${o.id}`).toBe(true);
    // Nothing applied twice: the level is the sum of its movements, one unit per committed receipt.
    const levels = (await db.query<{ id: number; amount: number }>('select id, amount from stock_levels')).rows;
    expect(levels).toHaveLength(1);
    const sum = (await db.query<{ s: string }>('select sum(amount_delta) as s from movements where stock_level_id = $1', [levels[0].id])).rows[0];
    expect(Number(levels[0].amount)).toBe(Number(sum.s));
    expect(Number(levels[0].amount)).toBe(committedIds.size);

    // Every committed event is delivered, by itself, and nothing but them.
    const events = async () => (await db.query<{ id: string }>(`select id from events where type = 'stock.changed' and seq is not null`)).rows.map((r) => r.id).sort();
    const delivered = () => [...new Set(rx.on('/outage').map((r) => (JSON.parse(r.body) as { id: string }).id))].sort();
    await eventually(async () => {
      const e = await events();
      return e.length === committedIds.size && delivered().length === e.length;
    }, 60_000, 50, 'every committed event delivered');
    expect(delivered()).toEqual(await events());

    expect(worker.proc.exitCode, 'the worker is still running').toBeNull();
    worker.proc.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    c.proc.kill('SIGTERM');
    expect(await c.exited).toBe(0);
  });

  it('a PostgreSQL that is not up at the start is waited for, with a log line, not a crash', { timeout: 600_000 }, async () => {
    const fresh = await freshDatabase('postgres');
    cleanup.push(fresh.drop);
    const real = new URL(fresh.url);
    const proxy = await TcpProxy.start({ host: real.hostname, port: Number(real.port || 5432) }, { refusing: true });
    cleanup.push(() => proxy.close());
    // Ready, for startCli, once it has logged its second refusal: it is still running then.
    const c = await startCli(['serve', '--db', proxy.url(fresh.url), '--port', '0'], { STOCKHOOK_ADMIN_TOKEN: ADMIN, STOCKHOOK_DATABASE_WAIT_SECONDS: '120' }, {
      ready: /waiting for the database to accept connections \(attempt 2,/,
    });
    children.push(c);
    expect(proxy.refused).toBeGreaterThan(1);
    expect(c.proc.exitCode).toBeNull();
    proxy.accept();
    const url = (await eventually(() => /on (http:\/\/[^\s,"]+)/.exec(c.stdout() + c.stderr()), 60_000, 20, 'listening'))[1];
    expect(c.stdout() + c.stderr()).toMatch(/connected after \d+ attempts/);
    await eventually(async () => (await fetch(`${url}/readyz`)).status === 200, 60_000, 20, '/readyz ready');
    await api(url, ADMIN, 'POST', '/api/v1/accounts', { name: 'Late', plan: 'paid' }, 201);
    c.proc.kill('SIGTERM');
    expect(await c.exited).toBe(0);
  });
});
