/**
 * Issue 26's second high finding, as a repeatable check: two accounts whose webhooks point at one
 * receiver host. Account A's 50 webhooks hit paths that never answer while A keeps posting; account
 * B's one webhook hits a path that answers at once. Reports B's delivery latency (receiver arrival
 * minus the event's timestamp) and how many of B's deliveries were still pending at the end.
 *
 *   npx tsx bench/chaos/shared-host.ts [sqlite | postgres://postgres@127.0.0.1:5432/test] [seconds]
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { ADMIN_TOKEN } from '../lib/api.js';
import { startServe } from '../lib/children.js';
import { freshDatabase } from '../lib/db.js';
import { median, percentile } from '../lib/stats.js';

const target = process.argv[2] ?? 'sqlite';
const SECONDS = Number(process.argv[3] ?? 20);

const hanging: ServerResponse[] = [];
const latencies: number[] = [];
const sink = createServer((req, res) => {
  if (req.url?.startsWith('/hang/')) {
    hanging.push(res);
    req.resume();
    return;
  }
  let body = '';
  req.on('data', (d: Buffer) => (body += d.toString()));
  req.on('end', () => {
    const ts = Date.parse((JSON.parse(body) as { timestamp: string }).timestamp);
    latencies.push(Date.now() - ts);
    res.end('ok');
  });
});
await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;

const db = await freshDatabase(target === 'sqlite' ? null : target);
const serve = await startServe(db.url, ADMIN_TOKEN);
const http = new Pool(serve.url, { connections: 8 });
async function call<T>(method: string, path: string, auth: string, body?: unknown): Promise<T> {
  const res = await http.request({ method: method as 'POST', path, headers: { authorization: auth, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${text}`);
  return JSON.parse(text) as T;
}
async function account(name: string, urls: string[]) {
  const a = await call<{ token: string }>('POST', '/api/v1/accounts', `Bearer ${ADMIN_TOKEN}`, { name, plan: 'paid' });
  const auth = `Bearer ${a.token}`;
  const w = await call<{ id: number }>('POST', '/api/v1/warehouses', auth, { name: 'Main' });
  const p = await call<{ id: number }>('POST', '/api/v1/products', auth, { title: 'Widget', sku: 'W', code: '1', unit: 'pcs' });
  const hooks: string[] = [];
  for (const url of urls) hooks.push((await call<{ id: string }>('POST', '/api/v1/webhooks', auth, { url, format: 'native', events: ['stock.changed'] })).id);
  return { auth, hooks, post: () => call('POST', '/api/v1/documents', auth, { type: 'receipt', warehouseId: w.id, lines: [{ productId: p.id, quantity: 1 }] }) };
}
const a = await account('A', Array.from({ length: 50 }, (_, i) => `${origin}/hang/${i}`));
const b = await account('B', [`${origin}/ok`]);

const end = Date.now() + SECONDS * 1000;
let bPosted = 0;
let aPosted = 0;
await Promise.all([
  (async () => {
    while (Date.now() < end) {
      await a.post();
      aPosted++;
      await new Promise((r) => setTimeout(r, 50));
    }
  })(),
  (async () => {
    while (Date.now() < end) {
      await b.post();
      bPosted++;
      await new Promise((r) => setTimeout(r, 100));
    }
  })(),
]);
// Five seconds for the last of B's to arrive (its normal latency is milliseconds).
await new Promise((r) => setTimeout(r, 5_000));
const pending = await call<{ data: unknown[] }>('GET', `/api/v1/webhooks/${b.hooks[0]}/deliveries?status=pending&limit=500`, b.auth);
console.log(
  JSON.stringify(
    {
      database: target === 'sqlite' ? 'sqlite' : 'postgres',
      seconds: SECONDS,
      aPosted,
      aRequestsHanging: hanging.length,
      bPosted,
      bReceived: latencies.length,
      bPendingAfter5s: pending.data.length,
      bLatencyMs: { p50: median(latencies), p95: percentile(latencies, 95), max: Math.max(...latencies) },
    },
    null,
    2,
  ),
);
for (const r of hanging) r.destroy();
await http.close();
await serve.close();
sink.close();
await db.drop();
