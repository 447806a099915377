import { expect, it } from 'vitest';
import { pruneExpiredKeys } from '../../src/http/idempotency/key-pruner.js';
import { describeEachDb, type TestAccount, type TestEnv } from '../support/env.js';
import { call, events, levels, product, warehouse } from '../support/fixtures.js';

/*
 * Idempotency-Key on every POST under /api/v1 (issue 14.1): the first answer is stored and replayed
 * for the same key and request, another request with the key is 409, concurrent twins apply once,
 * answers never cross credentials, and keys expire.
 */

type Res = { status: number; body: any; headers: Record<string, unknown>; raw: string };

async function send(env: TestEnv, auth: { authorization: string }, url: string, payload: unknown, key?: string): Promise<Res> {
  const res = await env.app.inject({
    method: 'POST',
    url,
    headers: { ...auth, ...(key !== undefined && { 'idempotency-key': key }) },
    ...(payload !== undefined && { payload: payload as object }),
  });
  return { status: res.statusCode, body: res.body ? res.json() : undefined, headers: res.headers, raw: res.body };
}

const count = async (env: TestEnv, table: 'documents' | 'warehouses' | 'products' | 'webhooks' | 'stock_items' | 'outbound_orders', a: TestAccount) =>
  Number((await env.store.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).where('account_id', '=', a.id).executeTakeFirstOrThrow()).n);

async function stocked(env: TestEnv, quantity = 10) {
  const a = await env.newAccount();
  const w = await warehouse(env, a);
  const p = await product(env, a);
  if (quantity > 0) await call(env, a, 'POST', '/api/v1/documents', { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity }] }, 201);
  return { a, w, p };
}

const amount = async (env: TestEnv, a: TestAccount, p: number) => {
  const [l] = await levels(env, a, `?productId=${p}`);
  return [l.amount, l.reserved];
};

describeEachDb('Idempotency-Key on every POST', (env) => {
  it('every POST under /api/v1 takes the header, and the API docs say so', async () => {
    const doc = (await env().app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const posts = Object.entries(doc.paths as Record<string, Record<string, any>>)
      .filter(([path, ops]) => path.startsWith('/api/v1/') && ops.post)
      .map(([path, ops]) => [path, (ops.post.parameters ?? []).some((x: any) => x.in === 'header' && x.name === 'idempotency-key')]);
    expect(posts.length).toBeGreaterThanOrEqual(19);
    expect(posts.filter(([, has]) => !has)).toEqual([]);
  });

  it('a retried document applies once: same status, body and headers, Idempotent-Replayed on the replay', async () => {
    const { a, w, p } = await stocked(env());
    const sale = { type: 'sale', warehouseId: w, lines: [{ productId: p, quantity: 3 }] };
    const first = await send(env(), a.auth, '/api/v1/documents', sale, 'doc-1');
    expect([first.status, first.headers['idempotent-replayed']]).toEqual([201, undefined]);
    const evCount = (await events(env(), a)).length;
    const retry = await send(env(), a.auth, '/api/v1/documents', { lines: [{ quantity: 3, productId: p }], warehouseId: w, type: 'sale' }, 'doc-1');
    expect([retry.status, retry.headers['idempotent-replayed'], retry.raw]).toEqual([201, 'true', first.raw]);
    expect(retry.headers['content-type']).toBe(first.headers['content-type']);
    expect(await amount(env(), a, p)).toEqual([7, 0]);
    expect(await count(env(), 'documents', a)).toBe(2);
    expect((await events(env(), a)).length).toBe(evCount);
  });

  it('the same key with another body, path or object is 409 IDEMPOTENCY_KEY_REUSED and changes nothing', async () => {
    const { a, w, p } = await stocked(env());
    const doc = { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] };
    const first = await send(env(), a.auth, '/api/v1/documents', doc, 'k');
    expect(first.status).toBe(201);
    const evCount = (await events(env(), a)).length;
    const otherBody = await send(env(), a.auth, '/api/v1/documents', { ...doc, lines: [{ productId: p, quantity: 2 }] }, 'k');
    const otherPath = await send(env(), a.auth, '/api/v1/warehouses', { name: 'Second' }, 'k');
    const otherObject = await send(env(), a.auth, `/api/v1/documents/${first.body.id + 1}/cancel`, undefined, 'k');
    for (const r of [otherBody, otherPath, otherObject]) {
      expect([r.status, r.body.error.code, r.body.error.details]).toEqual([409, 'IDEMPOTENCY_KEY_REUSED', { key: 'k' }]);
    }
    expect(await amount(env(), a, p)).toEqual([11, 0]);
    expect(await count(env(), 'warehouses', a)).toBe(1);
    expect((await events(env(), a)).length).toBe(evCount);
  });

  it('cancel, products, warehouses, stock items, outbound orders with claim and ship: each retry applies once', async () => {
    const { a, w, p } = await stocked(env());
    const twice = async (url: string, body: unknown, key: string, status: number) => {
      const one = await send(env(), a.auth, url, body, key);
      const two = await send(env(), a.auth, url, body, key);
      expect([one.status, two.status, two.headers['idempotent-replayed'], two.raw]).toEqual([status, status, 'true', one.raw]);
      return one.body;
    };
    const doc = await twice('/api/v1/documents', { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 5 }] }, 'r', 201);
    const cancelled = await twice(`/api/v1/documents/${doc.id}/cancel`, undefined, 'c', 200);
    expect([cancelled.id, cancelled.status]).toEqual([doc.id, 'cancelled']);
    expect(await amount(env(), a, p)).toEqual([10, 0]);

    await twice('/api/v1/products', { title: 'Second', sku: 'S-2', code: '200', unit: 'pcs' }, 'p', 201);
    expect(await count(env(), 'products', a)).toBe(2);
    await twice('/api/v1/warehouses', { name: 'Annex' }, 'w', 201);
    expect(await count(env(), 'warehouses', a)).toBe(2);
    await twice('/api/v1/stock-items', { frameId: 'F-1' }, 's', 201);
    expect(await count(env(), 'stock_items', a)).toBe(1);

    const order = await twice('/api/v1/outbound-orders', { warehouseId: w, items: [{ productId: p, quantity: 4 }] }, 'o', 201);
    expect(await count(env(), 'outbound_orders', a)).toBe(1);
    const itemId = order.items[0].id;
    const claimed = await twice(`/api/v1/outbound-orders/${order.id}/claim`, { items: [{ itemId, quantity: 3 }] }, 'cl', 200);
    expect(claimed.items[0].quantityClaimed).toBe(3);
    expect(await amount(env(), a, p)).toEqual([10, 3]);
    const shipped = await twice(`/api/v1/outbound-orders/${order.id}/ship`, { items: [{ itemId, quantity: 2 }] }, 'sh', 200);
    expect(shipped.items[0].quantityShipped).toBe(2);
    expect(await amount(env(), a, p)).toEqual([8, 1]);
  });

  it('eight concurrent twins of a sale of the last units apply once and all answer the same 201', async () => {
    const { a, w, p } = await stocked(env(), 2);
    const evCount = (await events(env(), a)).length;
    const sale = { type: 'sale', warehouseId: w, lines: [{ productId: p, quantity: 2 }] };
    const all = await Promise.all(Array.from({ length: 8 }, () => send(env(), a.auth, '/api/v1/documents', sale, 'last-units')));
    expect(all.map((r) => r.status)).toEqual(Array(8).fill(201));
    for (const r of all) expect(r.raw).toBe(all[0].raw);
    expect(all.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(7);
    expect(await amount(env(), a, p)).toEqual([0, 0]);
    expect(await count(env(), 'documents', a)).toBe(2);
    expect((await events(env(), a)).slice(evCount).map((e) => e.type)).toEqual(['document.posted', 'stock.changed']);
  });

  it('concurrent requests with different keys (one without) each keep their own key and answer', async () => {
    // On SQLite these share one group commit; each write must carry its own request's key.
    const { a, w, p } = await stocked(env(), 0);
    const receipt = (q: number) => ({ type: 'receipt', warehouseId: w, reference: `R-${q}`, lines: [{ productId: p, quantity: q }] });
    const keys = ['k1', 'k2', undefined, 'k4', 'k5', undefined, 'k7', 'k8'];
    const first = await Promise.all(keys.map((k, i) => send(env(), a.auth, '/api/v1/documents', receipt(i + 1), k)));
    expect(first.map((r) => r.status)).toEqual(Array(8).fill(201));
    expect(first.map((r) => r.body.reference)).toEqual(keys.map((_, i) => `R-${i + 1}`));
    const stored = await env().store.db.selectFrom('idempotency_requests').select('key').where('account_id', '=', a.id).orderBy('key').execute();
    expect(stored.map((r) => r.key)).toEqual(['k1', 'k2', 'k4', 'k5', 'k7', 'k8']);
    // Each key replays its own request's answer, and nothing applies twice.
    const again = await Promise.all(keys.map((k, i) => (k === undefined ? null : send(env(), a.auth, '/api/v1/documents', receipt(i + 1), k))));
    keys.forEach((k, i) => {
      if (k !== undefined) expect([again[i]!.status, again[i]!.headers['idempotent-replayed'], again[i]!.raw]).toEqual([201, 'true', first[i].raw]);
    });
    expect(await amount(env(), a, p)).toEqual([36, 0]);
    expect(await count(env(), 'documents', a)).toBe(8);
  });

  it('concurrent twins of a replay start one replay and all answer the same 202 with its Location', async () => {
    const a = await env().newAccount();
    const hook = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: 'http://127.0.0.1:9/hook' }, 201)).body;
    await warehouse(env(), a);
    const since = new Date(Date.now() - 60_000).toISOString();
    const all = await Promise.all(Array.from({ length: 4 }, () => send(env(), a.auth, `/api/v1/webhooks/${hook.id}/replay`, { since }, 'replay-1')));
    expect(all.map((r) => r.status)).toEqual([202, 202, 202, 202]);
    for (const r of all) expect([r.raw, r.headers.location]).toEqual([all[0].raw, `/api/v1/replays/${all[0].body.id}`]);
    const replays = await env().store.db.selectFrom('replays').select('id').where('webhook_id', '=', hook.id).execute();
    expect(replays.map((r) => r.id)).toEqual([all[0].body.id]);
  });

  it('thirty concurrent twins of an application registration register one application', async () => {
    const admin = { authorization: `Bearer ${env().adminToken}` };
    const name = `Twin app ${env().db}`;
    const all = await Promise.all(Array.from({ length: 30 }, () => send(env(), admin, '/api/v1/applications', { name }, `app-${env().db}`)));
    // As for every route: the same stored 201, or 409 IN_PROGRESS for a twin that waited past its limit.
    const created = all.filter((r) => r.status === 201);
    const waited = all.filter((r) => r.status !== 201);
    expect(waited.map((r) => [r.status, r.body.error.code])).toEqual(waited.map(() => [409, 'IDEMPOTENCY_KEY_IN_PROGRESS']));
    for (const r of created) expect(r.raw).toBe(created[0].raw);
    expect(created.filter((r) => r.headers['idempotent-replayed'] !== 'true')).toHaveLength(1);
    const rows = await env().store.db.selectFrom('applications').select('id').where('name', '=', name).execute();
    expect(rows.map((r) => r.id)).toEqual([created[0].body.id]);
  });

  it('a refused request stores nothing: the same key works once the cause is fixed; bad keys are 400', async () => {
    const { a, w, p } = await stocked(env(), 0);
    const sale = { type: 'sale', warehouseId: w, lines: [{ productId: p, quantity: 1 }] };
    const refused = await send(env(), a.auth, '/api/v1/documents', sale, 'retry-me');
    expect([refused.status, refused.body.error.code]).toEqual([422, 'INSUFFICIENT_STOCK']);
    const invalid = await send(env(), a.auth, '/api/v1/documents', { ...sale, type: 'nope' }, 'retry-me-2');
    expect([invalid.status, invalid.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    await call(env(), a, 'POST', '/api/v1/documents', { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] }, 201);
    const ok = await send(env(), a.auth, '/api/v1/documents', sale, 'retry-me');
    expect([ok.status, ok.headers['idempotent-replayed']]).toEqual([201, undefined]);
    const fixed = await send(env(), a.auth, '/api/v1/documents', { ...sale, type: 'receipt' }, 'retry-me-2');
    expect(fixed.status).toBe(201);
    expect(await amount(env(), a, p)).toEqual([1, 0]);
    const tooLong = await send(env(), a.auth, '/api/v1/documents', sale, 'x'.repeat(201));
    expect([tooLong.status, tooLong.body.error.message]).toEqual([400, 'headers.idempotency-key must NOT have more than 200 characters']);
    const empty = await send(env(), a.auth, '/api/v1/documents', sale, '');
    expect([empty.status, empty.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(await amount(env(), a, p)).toEqual([1, 0]);
  });

  it("keys are per account and per token: another token never replays an answer holding a webhook's secret", async () => {
    const a = await env().newAccount();
    const b = await env().newAccount();
    const hook = { url: 'http://127.0.0.1:9/hook', secret: 'whsec_dGhpcyBpcyBhIHRlc3Qgc2VjcmV0IG9mIDMyIGJ5dGVz' };
    const mine = await send(env(), a.auth, '/api/v1/webhooks', hook, 'hook-1');
    expect([mine.status, mine.body.secret]).toEqual([201, hook.secret]);
    const again = await send(env(), a.auth, '/api/v1/webhooks', hook, 'hook-1');
    expect([again.status, again.headers['idempotent-replayed'], again.body.id]).toEqual([201, 'true', mine.body.id]);

    // An application installed in the same account: its own token, the same key and body.
    const appId = (await send(env(), { authorization: `Bearer ${env().adminToken}` }, '/api/v1/applications', { name: 'ERP' })).body.id;
    const appToken = (await call(env(), a, 'POST', `/api/v1/applications/${appId}/install`, undefined, 201)).body.accessToken as string;
    const theirs = await send(env(), { authorization: `Bearer ${appToken}` }, '/api/v1/webhooks', { url: 'http://127.0.0.1:9/other' }, 'hook-1');
    expect([theirs.status, theirs.headers['idempotent-replayed']]).toEqual([201, undefined]);
    expect(theirs.body.id).not.toBe(mine.body.id);
    expect(theirs.raw).not.toContain(hook.secret);
    // Another account, same key and body: its own webhook.
    const other = await send(env(), b.auth, '/api/v1/webhooks', hook, 'hook-1');
    expect([other.status, other.headers['idempotent-replayed']]).toEqual([201, undefined]);
    expect(other.body.id).not.toBe(mine.body.id);
    expect(await count(env(), 'webhooks', a)).toBe(2);

    // The stored answers are sealed with the caller's token: the database holds no secret in clear.
    const rows = await env().store.db.selectFrom('idempotency_requests').selectAll().where('key', '=', 'hook-1').execute();
    expect(rows).toHaveLength(3);
    expect(new Set(rows.map((r) => r.principal)).size).toBe(3);
    expect(JSON.stringify(rows)).not.toContain(hook.secret);
    expect(JSON.stringify(rows)).not.toContain(mine.body.id);
  });

  it("the administrator's account creation is idempotent and its stored answer holds no token in clear", async () => {
    const admin = { authorization: `Bearer ${env().adminToken}` };
    const first = await send(env(), admin, '/api/v1/accounts', { name: 'Retried shop' }, 'acct-1');
    const again = await send(env(), admin, '/api/v1/accounts', { name: 'Retried shop' }, 'acct-1');
    expect([first.status, again.status, again.headers['idempotent-replayed'], again.raw]).toEqual([201, 201, 'true', first.raw]);
    const named = await env().store.db.selectFrom('accounts').select('id').where('name', '=', 'Retried shop').execute();
    expect(named.map((r) => r.id)).toEqual([first.body.id]);
    const rows = await env().store.db.selectFrom('idempotency_requests').selectAll().where('key', '=', 'acct-1').execute();
    expect(rows.map((r) => [r.account_id, r.status_code])).toEqual([['', 201]]);
    expect(JSON.stringify(rows)).not.toContain(first.body.token);
  });
});

describeEachDb(
  'Idempotency-Key expiry',
  (env) => {
    it('a key older than the TTL applies again, and pruning deletes exactly the expired keys', async () => {
      const { a, w, p } = await stocked(env(), 0);
      const receipt = { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] };
      expect((await send(env(), a.auth, '/api/v1/documents', receipt, 'old')).status).toBe(201);
      clock.ms += 30_000;
      expect((await send(env(), a.auth, '/api/v1/documents', receipt, 'young')).status).toBe(201);
      clock.ms += 30_001; // 'old' is now 60.001 s old, past the 60 s TTL; 'young' is 30.001 s old
      const oldAgain = await send(env(), a.auth, '/api/v1/documents', receipt, 'old');
      const youngAgain = await send(env(), a.auth, '/api/v1/documents', receipt, 'young');
      expect([oldAgain.status, oldAgain.headers['idempotent-replayed']]).toEqual([201, undefined]);
      expect([youngAgain.status, youngAgain.headers['idempotent-replayed']]).toEqual([201, 'true']);
      expect(await amount(env(), a, p)).toEqual([3, 0]);

      // 'old' was claimed afresh at the current time; only 'young' (and the setup's keyless writes: none) expire next.
      clock.ms += 30_000;
      const keys = async () => (await env().store.db.selectFrom('idempotency_requests').select('key').where('account_id', '=', a.id).orderBy('key').execute()).map((r) => r.key);
      expect(await keys()).toEqual(['old', 'young']);
      expect(await pruneExpiredKeys(env().ctx, TTL)).toBe(1);
      expect(await keys()).toEqual(['old']);
      expect(await pruneExpiredKeys(env().ctx, TTL)).toBe(0);
      clock.ms += 30_001;
      expect(await pruneExpiredKeys(env().ctx, TTL)).toBe(1);
      expect(await keys()).toEqual([]);
    });
  },
  { now: () => clock.ms, idempotencyTtlMs: 60_000 },
);

const TTL = 60_000;
const clock = { ms: Date.parse('2026-12-01T10:00:00Z') };
