import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { api, killAll, startCli, type Child } from '../support/child.js';
import { freshDatabase } from '../support/env.js';
import { describeThroughPgBouncer } from '../support/pgbouncer-suite.js';
import { Receiver } from '../support/receiver.js';
import { eventually } from '../support/wait.js';

const ADMIN = 'pgbouncer-admin-token-0123456789abcdef0123456789';

/**
 * `stockhook serve` (role all: the API and its delivery thread, each with its own pool of ten
 * connections) on a postgres:// URL that goes through a real PgBouncer in transaction mode with
 * four server connections, told so by STOCKHOOK_PG_POOLER=transaction (and LISTENing on the direct
 * URL, STOCKHOOK_PG_LISTEN_URL): migrations at start,
 * documents posted concurrently over HTTP, and every event delivered to a real receiver. Without
 * the setting, the named prepared statements fail here as soon as two clients' transactions meet
 * on one server connection (`prepared statement "stockhook_…" already exists` / `does not exist`).
 */
describeThroughPgBouncer('stockhook serve through PgBouncer in transaction mode (PostgreSQL)', (bouncer) => {
  const children: Child[] = [];
  const cleanup: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    await killAll(children);
    for (const c of cleanup.reverse()) await c();
  }, 30_000);

  it('the write path: concurrent documents over HTTP, levels equal to the sum of movements, every event delivered once', { timeout: 600_000 }, async () => {
    const fresh = await freshDatabase('postgres');
    cleanup.push(fresh.drop);
    const rx = await Receiver.start();
    cleanup.push(() => rx.close());
    const dbName = new URL(fresh.url).pathname.slice(1);
    const c = await startCli(['serve', '--db', bouncer().through(fresh.url), '--port', '0'], {
      STOCKHOOK_ADMIN_TOKEN: ADMIN,
      STOCKHOOK_ALLOW_PRIVATE_TARGETS: '1',
      STOCKHOOK_PG_POOLER: 'transaction',
      // The delivery thread's one LISTEN connection goes around the pooler.
      STOCKHOOK_PG_LISTEN_URL: fresh.url,
    });
    children.push(c);
    await eventually(async () => (await fetch(`${c.url}/readyz`)).status === 200, 60_000, 20, '/readyz ready');
    const { id: accountId, token } = await api<{ id: string; token: string }>(c.url, ADMIN, 'POST', '/api/v1/accounts', { name: 'Pooled', plan: 'paid' }, 201);
    const w = (await api<{ id: number }>(c.url, token, 'POST', '/api/v1/warehouses', { name: 'Main' }, 201)).id;
    const products: number[] = [];
    for (let i = 0; i < 3; i++) products.push((await api<{ id: number }>(c.url, token, 'POST', '/api/v1/products', { title: `P${i}`, sku: `P-${i}` }, 201)).id);
    await api(c.url, token, 'POST', '/api/v1/webhooks', { url: rx.url('/pooled'), events: ['document.posted', 'stock.changed'] }, 201);

    // Receipts all at once, then sales all at once: two clients' transactions share the pooler's
    // four server connections throughout.
    const expected = new Map<number, number>(products.map((p) => [p, 0]));
    const doc = (type: 'receipt' | 'sale', i: number) => {
      const productId = products[i % products.length];
      const quantity = type === 'receipt' ? 1 + (i % 5) : 1;
      expected.set(productId, (expected.get(productId) ?? 0) + (type === 'receipt' ? quantity : -quantity));
      return api(c.url, token, 'POST', '/api/v1/documents', { type, warehouseId: w, lines: [{ productId, quantity }] }, 201);
    };
    await Promise.all(Array.from({ length: 45 }, (_, i) => doc('receipt', i)));
    await Promise.all(Array.from({ length: 15 }, (_, i) => doc('sale', i)));

    const stock = await api<{ data: Array<{ productId: number; amount: number }> }>(c.url, token, 'GET', '/api/v1/stock');
    expect(new Map(stock.data.map((l) => [l.productId, l.amount]))).toEqual(expected);

    const direct = new pg.Client({ connectionString: fresh.url });
    direct.on('error', () => {});
    await direct.connect();
    cleanup.push(() => direct.end().catch(() => {}));
    const levels = await direct.query<{ id: number; amount: number; moved: number | null }>(
      `select l.id, l.amount::float8 as amount, (select sum(m.amount_delta) from movements m where m.stock_level_id = l.id)::float8 as moved
       from stock_levels l where l.account_id = $1 order by l.id`,
      [accountId],
    );
    expect(levels.rows).toHaveLength(3);
    for (const l of levels.rows) expect(l.moved).toBe(l.amount);

    // 60 document.posted and 60 stock.changed (one line each), each delivered exactly once.
    const events = await eventually(async () => {
      const r = await direct.query<{ id: string }>('select id from events where account_id = $1 and type in ($2, $3) and seq is not null', [accountId, 'document.posted', 'stock.changed']);
      return r.rows.length === 120 && r.rows.map((e) => e.id);
    }, 30_000, 50, '120 events numbered');
    await eventually(() => rx.on('/pooled').length >= 120, 60_000, 20, 'every event delivered');
    const got = rx.on('/pooled');
    expect(got).toHaveLength(120);
    expect(new Set(got.map((r) => r.headers['webhook-id'])).size).toBe(120);
    expect(new Set(got.map((r) => (JSON.parse(r.body) as { id: string }).id))).toEqual(new Set(events));

    // It went through the pooler, over fewer server connections than stockhook has clients.
    const stats = (await bouncer().show('STATS')).find((s) => s.database === dbName);
    expect(Number(stats?.total_xact_count)).toBeGreaterThan(60);
    const clients = (await bouncer().show('CLIENTS')).filter((s) => s.database === dbName);
    const servers = (await bouncer().show('SERVERS')).filter((s) => s.database === dbName);
    expect(servers.length).toBeGreaterThan(0);
    expect(servers.length).toBeLessThanOrEqual(4);
    expect(clients.length).toBeGreaterThan(servers.length);
    // One LISTEN session, the delivery thread's, on a direct connection: none of the pooler's.
    const listeners = await direct.query<{ pid: number }>("select pid from pg_stat_activity where datname = current_database() and query ilike 'listen %'");
    expect(listeners.rows).toHaveLength(1);
    expect(servers.map((x) => Number(x.remote_pid))).not.toContain(listeners.rows[0].pid);
    // Nothing of stockhook's failed on the way (a named statement on a foreign connection would).
    expect(c.stderr() + c.stdout()).not.toMatch(/prepared statement|"level":(40|50)/);
  });
});
