/**
 * Issue 26's first high finding, as a repeatable check: `stockhook serve` on PostgreSQL, six clients
 * posting one-line receipts, and every backend of its database terminated twice in the middle of the
 * burst. Reports whether the process survived, what the clients were answered, and whether every
 * committed document's stock change reached the receiver exactly once.
 *
 *   npx tsx bench/chaos/terminate-backends.ts [postgres://postgres@127.0.0.1:5432/test]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { Pool } from 'undici';
import { ADMIN_TOKEN, setUpOverHttp } from '../lib/api.js';
import { startServe } from '../lib/children.js';
import { freshDatabase } from '../lib/db.js';

const base = process.argv[2] ?? 'postgres://postgres@127.0.0.1:5432/test';
const CLIENTS = 6;
const BURST_MS = 6_000;

const received = new Map<string, number>();
const sink = createServer((req, res) => {
  const id = String(req.headers['webhook-id']);
  req.resume().on('end', () => {
    received.set(id, (received.get(id) ?? 0) + 1);
    res.end('ok');
  });
});
await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/hook`;

const db = await freshDatabase(base);
const serve = await startServe(db.url, ADMIN_TOKEN);
const alive = () => {
  try {
    process.kill(serve.pid, 0);
    return true;
  } catch {
    return false;
  }
};
const f = await setUpOverHttp(serve.url, [sinkUrl], 10);
const dbName = new URL(db.url).pathname.slice(1);

async function terminate(): Promise<number> {
  const c = new pg.Client({ connectionString: base });
  await c.connect();
  try {
    const r = await c.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [dbName]);
    return r.rowCount ?? 0;
  } finally {
    await c.end();
  }
}

const answers = new Map<string, number>();
const count = (k: string) => answers.set(k, (answers.get(k) ?? 0) + 1);
const http = new Pool(serve.url, { connections: CLIENTS });
const end = Date.now() + BURST_MS;
let n = 0;
const client = async () => {
  while (Date.now() < end && alive()) {
    const i = n++;
    try {
      const res = await http.request({
        method: 'POST',
        path: '/api/v1/documents',
        headers: { authorization: f.auth, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'receipt', warehouseId: f.warehouseId, reference: `R-${i}`, lines: [{ productId: f.productIds[i % f.productIds.length], quantity: 1 }] }),
      });
      await res.body.dump();
      count(String(res.statusCode) + (res.headers['retry-after'] ? ' (Retry-After)' : ''));
    } catch (err) {
      count(`socket error ${(err as Error).message}`);
    }
  }
};
const clients = Array.from({ length: CLIENTS }, client);
const kills: number[] = [];
const timers = [2_000, 4_000].map((ms) => setTimeout(() => void terminate().then((k) => kills.push(k)), ms));
await Promise.all(clients);
for (const t of timers) clearTimeout(t);
const survived = alive();

// What was committed, read straight from the database: the receipts and their stock.changed events.
const c = new pg.Client({ connectionString: db.url });
c.on('error', () => {});
await c.connect();
const docs = Number((await c.query("select count(*) from documents")).rows[0].count);
const level = Number((await c.query('select coalesce(sum(amount), 0) as s from stock_levels')).rows[0].s);
const moved = Number((await c.query('select coalesce(sum(amount_delta), 0) as s from movements')).rows[0].s);
let delivered = 0;
const deadline = Date.now() + 60_000;
let expected = 0;
while (Date.now() < deadline) {
  expected = Number((await c.query("select count(*) from deliveries")).rows[0].count);
  delivered = received.size;
  if (!survived || delivered >= expected) break;
  await new Promise((r) => setTimeout(r, 250));
}
await c.end();
const dupes = [...received.values()].filter((v) => v > 1).length;
console.log(
  JSON.stringify(
    {
      survived,
      backendsTerminated: kills,
      answers: Object.fromEntries(answers),
      created201: answers.get('201') ?? 0,
      documentsCommitted: docs,
      levelsEqualMovements: level === moved,
      deliveriesCommitted: expected,
      deliveriesReceived: delivered,
      receivedTwice: dupes,
    },
    null,
    2,
  ),
);
await http.close();
await serve.close();
sink.close();
await db.drop();
