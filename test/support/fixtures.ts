import { eventually } from './wait.js';
import type { TestAccount, TestEnv } from './env.js';

/** Small helpers over app.inject() that fail loudly on an unexpected status. */
export async function call<T = any>(
  env: TestEnv,
  account: TestAccount | null,
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  url: string,
  payload?: unknown,
  expectStatus?: number,
): Promise<{ status: number; body: T; headers: Record<string, unknown> }> {
  const res = await env.app.inject({
    method,
    url,
    headers: account ? account.auth : {},
    ...(payload !== undefined && { payload: payload as object }),
  });
  const body = (res.body ? safeJson(res.body) : undefined) as T;
  if (expectStatus !== undefined && res.statusCode !== expectStatus) {
    throw new Error(`${method} ${url}: expected ${expectStatus}, got ${res.statusCode}: ${res.body}`);
  }
  return { status: res.statusCode, body, headers: res.headers };
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

export async function warehouse(env: TestEnv, a: TestAccount, name = 'Main', extra: object = {}): Promise<number> {
  return (await call(env, a, 'POST', '/api/v1/warehouses', { name, ...extra }, 201)).body.id;
}

export async function product(env: TestEnv, a: TestAccount, extra: object = {}): Promise<number> {
  return (await call(env, a, 'POST', '/api/v1/products', { title: 'Widget', sku: 'W-1', code: '100', unit: 'pcs', ...extra }, 201)).body.id;
}

export async function post(env: TestEnv, a: TestAccount, doc: object, expectStatus = 201) {
  return call(env, a, 'POST', '/api/v1/documents', doc, expectStatus);
}

export async function levels(env: TestEnv, a: TestAccount, query = ''): Promise<any[]> {
  return (await call(env, a, 'GET', `/api/v1/stock${query}`, undefined, 200)).body.data;
}

export async function events(env: TestEnv, a: TestAccount, after = 0): Promise<any[]> {
  const out: any[] = [];
  for (;;) {
    const page = (await call(env, a, 'GET', `/api/v1/events?after=${after}&limit=1000`, undefined, 200)).body;
    out.push(...page.data);
    if (page.data.length < 1000) return out;
    after = page.nextAfter;
  }
}

/**
 * The subscription's log once its n deliveries all succeeded. The rows are written with each change,
 * in its transaction, so a log of n means nothing else will be sent; and each was answered before it
 * read succeeded, so the receiver has them all.
 */
export async function allSucceeded(env: TestEnv, a: TestAccount, webhookId: string, n: number): Promise<any[]> {
  return eventually(async () => {
    const d = (await call(env, a, 'GET', `/api/v1/webhooks/${webhookId}/deliveries?limit=100`, undefined, 200)).body.data as any[];
    if (d.length > n) throw new Error(`expected ${n} deliveries, the log has ${d.length}`);
    return d.length === n && d.every((x) => x.status === 'succeeded') && d;
  });
}

/**
 * A paid account with a warehouse, a product and one native `stock.changed` webhook per URL path on
 * `rx` (maxInFlight 8 unless `webhook` says otherwise), and a one-line receipt to post.
 */
export async function accountWithWebhooks(env: TestEnv, rx: { url(path: string): string }, paths: string[], webhook: Record<string, unknown> = { maxInFlight: 8 }) {
  const acc = await env.newAccount();
  const warehouseId = await warehouse(env, acc);
  const productId = await product(env, acc);
  const webhookIds: string[] = [];
  for (const path of paths) {
    const res = await call(env, acc, 'POST', '/api/v1/webhooks', { url: rx.url(path), format: 'native', events: ['stock.changed'], ...webhook }, 201);
    webhookIds.push(res.body.id);
  }
  const doc = () => post(env, acc, { type: 'receipt', warehouseId, lines: [{ productId, quantity: 1 }] });
  return { acc, warehouseId, productId, webhookIds, doc };
}
