/**
 * `npm run soak [-- --seconds 180] [--db postgres://...]`: a bounded soak test, not part of `npm test`.
 * One `--role api` and one `--role worker` stockhook process on a fresh database; mixed document
 * traffic with reads from 4 clients (~70 documents/s); three receivers (healthy; failing 3 requests in
 * 10, never twice in a row, so what is tested is the retries, not the circuit breaker, which pauses
 * an endpoint after 5 failures in a row and has tests of its own; slow, 100 ms per answer);
 * halfway through, the worker is killed with SIGKILL and started again. At the end: every committed
 * event was delivered to the healthy receiver and, after retries, to the failing one and the slow
 * one; stock levels equal the sum of their movements; each process's RSS curve is printed and must
 * stay flat; their logs hold no error but the expected ones. Exits 1 when a check fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freshDatabase } from './lib/db.js';
import { sleep, until } from './lib/stats.js';

const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '180' }, db: { type: 'string' } } });
const SECONDS = Number(args.seconds);
const pgBase = args.db ?? null;
const ADMIN = 'soak-admin-token-0123456789abcdef0123456789';
const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

interface Proc {
  name: string;
  proc: ChildProcess;
  log: string[];
}

function start(name: string, role: string, dbUrl: string, port: number): Promise<Proc> {
  const proc = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', '--role', role, '--db', dbUrl, '--port', String(port)], {
    env: { ...process.env, STOCKHOOK_ADMIN_TOKEN: ADMIN, STOCKHOOK_ALLOW_PRIVATE_TARGETS: '1', STOCKHOOK_LOG_LEVEL: 'warn', STOCKHOOK_LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const p: Proc = { name, proc, log: [] };
  const onData = (d: Buffer) => p.log.push(...d.toString().split('\n').filter(Boolean));
  proc.stdout?.on('data', onData);
  proc.stderr?.on('data', onData);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start: ${p.log.join('\n')}`)), 60_000);
    const check = () => {
      if (p.log.some((l) => /stockhook (api|worker|all)/.test(l))) {
        clearTimeout(timer);
        resolve(p);
      }
    };
    proc.stdout?.on('data', check);
    proc.stderr?.on('data', check);
  });
}

function rssMb(pid: number | undefined): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** A receiver that records the event ids it accepted; `behave` decides each answer. */
async function receiver(behave: () => { status: number; delayMs: number }): Promise<{ server: Server; url: string; accepted: Set<string>; requests: number }> {
  const r = { accepted: new Set<string>(), requests: 0 } as { server: Server; url: string; accepted: Set<string>; requests: number };
  r.server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      r.requests++;
      const { status, delayMs } = behave();
      setTimeout(() => {
        if (status === 200) r.accepted.add((JSON.parse(Buffer.concat(chunks).toString()) as { id: string }).id);
        res.writeHead(status).end(status === 200 ? '{"ok":true}' : 'no');
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => r.server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(r.server.address() as AddressInfo).port}`;
  return r;
}

async function call<T>(base: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

const failures: string[] = [];
const check = (ok: boolean, what: string) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
};

const db = await freshDatabase(pgBase);
const healthy = await receiver(() => ({ status: 200, delayMs: 0 }));
let failingSeen = 0;
const failing = await receiver(() => ({ status: [0, 3, 6].includes(failingSeen++ % 10) ? 500 : 200, delayMs: 0 }));
const slow = await receiver(() => ({ status: 200, delayMs: 100 }));
const apiPort = 20000 + Math.floor(Math.random() * 20000);
const api = await start('api', 'api', db.url, apiPort);
let worker = await start('worker', 'worker', db.url, 0);
const base = `http://127.0.0.1:${apiPort}`;
const rss: Array<{ t: number; api: number; worker: number }> = [];
try {
  const account = (await call<{ token: string }>(base, ADMIN, 'POST', '/api/v1/accounts', { name: 'Soak', plan: 'paid' })).body;
  const tok = account.token;
  const warehouses = [(await call<{ id: number }>(base, tok, 'POST', '/api/v1/warehouses', { name: 'A' })).body.id, (await call<{ id: number }>(base, tok, 'POST', '/api/v1/warehouses', { name: 'B' })).body.id];
  const products: number[] = [];
  for (let i = 0; i < 20; i++) products.push((await call<{ id: number }>(base, tok, 'POST', '/api/v1/products', { title: `Soak ${i}`, sku: `S-${i}`, code: `${i}`, unit: 'pcs' })).body.id);
  // Short retries, so the failing receiver gets everything within the soak.
  const sub = { format: 'native', retrySchedule: [1, 1, 2, 2, 5, 5, 10, 10] };
  for (const r of [healthy, failing, slow]) await call(base, tok, 'POST', '/api/v1/webhooks', { url: `${r.url}/hook`, ...sub, maxInFlight: 32 });
  // Events from before the subscriptions (the products, the warehouses) are sent to nobody.
  const firstAfter = (await call<{ nextAfter: number }>(base, tok, 'GET', '/api/v1/events?last=1')).body.nextAfter;

  const t0 = Date.now();
  const sampler = setInterval(() => rss.push({ t: Math.round((Date.now() - t0) / 1000), api: rssMb(api.proc.pid), worker: rssMb(worker.proc.pid) }), 5000);
  let docs = 0;
  let refused = 0;
  let reads = 0;
  let killed = false;
  const end = t0 + SECONDS * 1000;
  const client = async () => {
    while (Date.now() < end) {
      const roll = Math.random();
      const w = warehouses[Math.floor(Math.random() * 2)];
      const p = products[Math.floor(Math.random() * products.length)];
      if (roll < 0.15) {
        reads++;
        await call(base, tok, 'GET', `/api/v1/stock?warehouseId=${w}`);
        await sleep(50);
        continue;
      }
      const type = roll < 0.6 ? 'receipt' : roll < 0.85 ? 'sale' : 'transfer';
      const doc = type === 'transfer' ? { type, warehouseId: w, toWarehouseId: warehouses.find((x) => x !== w), lines: [{ productId: p, quantity: 1 }] } : { type, warehouseId: w, lines: [{ productId: p, quantity: 1 + Math.floor(Math.random() * 3) }] };
      const res = await call(base, tok, 'POST', '/api/v1/documents', doc);
      await sleep(50);
      if (res.status === 201) docs++;
      else if (res.status === 422) refused++; // not enough stock: expected for sales and transfers
      else throw new Error(`POST /documents answered ${res.status}: ${JSON.stringify(res.body)}`);
    }
  };
  const killer = (async () => {
    await sleep((SECONDS * 1000) / 2);
    worker.proc.kill('SIGKILL');
    killed = true;
    console.log(`worker SIGKILLed at ${Math.round((Date.now() - t0) / 1000)} s`);
    await sleep(2000);
    worker = await start('worker', 'worker', db.url, 0);
    console.log(`worker restarted at ${Math.round((Date.now() - t0) / 1000)} s`);
  })();
  await Promise.all([...Array.from({ length: 4 }, client), killer]);
  console.log(`traffic: ${docs} documents committed, ${refused} refused for stock (expected), ${reads} reads in ${SECONDS} s; worker killed: ${killed}`);

  // Every committed event, read through the pull API.
  const events: string[] = [];
  for (let after = firstAfter; ; ) {
    const page = (await call<{ data: Array<{ id: string }>; nextAfter: number }>(base, tok, 'GET', `/api/v1/events?after=${after}&limit=1000`)).body;
    events.push(...page.data.map((e) => e.id));
    if (page.data.length < 1000) break;
    after = page.nextAfter;
  }
  const all = (r: { accepted: Set<string> }) => events.every((id) => r.accepted.has(id));
  const drained = Date.now();
  await until(() => all(healthy) && all(failing) && all(slow), 300_000, 500);
  clearInterval(sampler);
  console.log(`every receiver had every event ${((Date.now() - drained) / 1000).toFixed(0)} s after the traffic stopped (at most 300 s)`);
  check(all(healthy), `healthy receiver got all ${events.length} events (${healthy.accepted.size} accepted, ${healthy.requests} requests)`);
  check(all(failing), `failing receiver (3 requests in 10 answered 500) got all of them after retries (${failing.accepted.size} accepted, ${failing.requests} requests)`);
  check(all(slow), `slow receiver (100 ms) got all of them (${slow.accepted.size} accepted)`);

  // Levels equal the sum of their movements, through the API: every key's movements, newest first.
  const stock = (await call<{ data: Array<{ warehouseId: number; productId: number; amount: number }> }>(base, tok, 'GET', '/api/v1/stock')).body.data;
  let mismatched = 0;
  for (const key of stock) {
    let sum = 0;
    for (let cursor: string | null = null; ; ) {
      const q: string = `/api/v1/movements?productId=${key.productId}&warehouseId=${key.warehouseId}&limit=500${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await call<{ data: Array<{ amountDelta: number }>; nextCursor: string | null }>(base, tok, 'GET', q)).body;
      sum += page.data.reduce((n, m) => n + m.amountDelta, 0);
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    if (Math.abs(sum - key.amount) > 1e-9) mismatched++;
  }
  check(mismatched === 0, `levels equal the sum of their movements (${stock.length} keys, ${mismatched} mismatched)`);

  console.log('RSS (MB) every 5 s:');
  for (const s of rss) console.log(`  ${String(s.t).padStart(4)} s  api ${s.api.toFixed(0).padStart(4)}  worker ${Number.isNaN(s.worker) ? '   -' : s.worker.toFixed(0).padStart(4)}`);
  const flat = (xs: number[]) => {
    const v = xs.filter((x) => !Number.isNaN(x));
    if (v.length < 8) return true;
    const q = Math.floor(v.length / 4);
    const first = v.slice(q, 2 * q).reduce((a, b) => a + b, 0) / q;
    const last = v.slice(-q).reduce((a, b) => a + b, 0) / q;
    return last <= first * 1.3 + 20;
  };
  check(flat(rss.map((s) => s.api)), 'API RSS flat (last quarter within 30 % + 20 MB of the second quarter)');
  check(flat(rss.filter((s) => s.t > SECONDS / 2 + 10).map((s) => s.worker)), 'worker RSS flat after its restart');

  const errors = [...api.log, ...worker.log].filter((l) => /"level":(50|60)/.test(l));
  check(errors.length === 0, `no error in the logs (${errors.length})${errors.length ? `: ${errors.slice(0, 3).join(' | ')}` : ''}`);
} finally {
  api.proc.kill('SIGTERM');
  worker.proc.kill('SIGTERM');
  await sleep(1000);
  for (const r of [healthy, failing, slow]) r.server.close();
  await db.drop();
}
console.log(failures.length === 0 ? 'soak: passed' : `soak: FAILED (${failures.length})`);
process.exit(failures.length === 0 ? 0 : 1);
