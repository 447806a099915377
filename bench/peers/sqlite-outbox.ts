/**
 * (i)'s peer: what a Node team would write for stockhook's core job on SQLite, standalone (it
 * imports nothing of stockhook). Fastify takes receipts at POST /documents (a fixed bearer token);
 * each is one synchronous better-sqlite3 transaction of prepared statements (WAL,
 * synchronous=NORMAL): per line upsert the stock level, insert a movement, insert one outbox row per
 * subscriber. An in-process loop reads the oldest outbox rows, signs each as Standard Webhooks does,
 * POSTs it through an undici Pool per subscriber and deletes the delivered rows in one transaction.
 *
 *   tsx bench/peers/sqlite-outbox.ts <database file> <subscriber URL>...   (PEER_TOKEN: the bearer token)
 * Prints `listening on http://127.0.0.1:<port>` once it listens.
 */
import { createHmac, randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { Pool } from 'undici';

const [file, ...urls] = process.argv.slice(2);
if (!file || urls.length === 0) throw new Error('usage: sqlite-outbox.ts <database file> <subscriber URL>...');
const TOKEN = `Bearer ${process.env.PEER_TOKEN ?? 'peer-token'}`;
const BATCH = 256;
// 32 connections per subscriber: stockhook's maxInFlight for each bench subscription.
const subscribers = urls.map((u) => ({ url: new URL(u), secret: randomBytes(24), pool: new Pool(new URL(u).origin, { connections: 32 }) }));

const db = new Database(file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec(`
  create table if not exists levels (warehouse_id integer, product_id integer, amount real not null, version integer not null,
    primary key (warehouse_id, product_id));
  create table if not exists movements (id integer primary key, warehouse_id integer not null, product_id integer not null,
    delta real not null, reference text, at text not null);
  create table if not exists outbox (id integer primary key, subscriber integer not null, body text not null);`);
const upsertLevel = db.prepare(`insert into levels values (?, ?, ?, 1) on conflict do update
  set amount = amount + excluded.amount, version = version + 1 returning amount, version`);
const insertMovement = db.prepare('insert into movements (warehouse_id, product_id, delta, reference, at) values (?, ?, ?, ?, ?)');
const enqueue = db.prepare('insert into outbox (subscriber, body) values (?, ?)');
const oldest = db.prepare('select id, subscriber, body from outbox order by id limit ?');
const remove = db.prepare('delete from outbox where id = ?');

interface Receipt {
  type: 'receipt';
  warehouseId: number;
  reference?: string;
  lines: { productId: number; quantity: number }[];
}

const post = db.transaction((doc: Receipt) => {
  const at = new Date().toISOString();
  const movements: number[] = [];
  for (const { productId, quantity } of doc.lines) {
    const level = upsertLevel.get(doc.warehouseId, productId, quantity) as { amount: number; version: number };
    const id = Number(insertMovement.run(doc.warehouseId, productId, quantity, doc.reference ?? null, at).lastInsertRowid);
    movements.push(id);
    const data = { warehouseId: doc.warehouseId, productId, amount: level.amount, amountDelta: quantity, version: level.version, reference: doc.reference ?? null };
    const body = JSON.stringify({ id: `mov_${id}`, type: 'stock.changed', timestamp: at, data });
    for (let s = 0; s < subscribers.length; s++) enqueue.run(s, body);
  }
  return movements;
});
const removeAll = db.transaction((ids: number[]) => ids.forEach((id) => remove.run(id)));

let wake: (() => void) | null = null;
const app = Fastify();
app.addHook('onRequest', async (req, reply) => {
  if (req.headers.authorization !== TOKEN) return reply.code(401).send({ error: 'unauthorized' });
});
const line = { type: 'object', required: ['productId', 'quantity'], additionalProperties: false,
  properties: { productId: { type: 'integer', minimum: 1 }, quantity: { type: 'number', exclusiveMinimum: 0 } } };
const schema = { body: { type: 'object', required: ['type', 'warehouseId', 'lines'], additionalProperties: false, properties: {
  type: { const: 'receipt' }, warehouseId: { type: 'integer', minimum: 1 }, reference: { type: 'string', maxLength: 200 },
  lines: { type: 'array', minItems: 1, maxItems: 1000, items: line } } } };
app.post<{ Body: Receipt }>('/documents', { schema }, async (req, reply) => {
  const movements = post(req.body);
  wake?.();
  return reply.code(201).send({ movements });
});

/** Standard Webhooks: base64(HMAC-SHA256(secret, `${id}.${timestamp}.${body}`)), fresh timestamp per attempt. */
async function send(row: { id: number; subscriber: number; body: string }): Promise<boolean> {
  const s = subscribers[row.subscriber];
  const id = `msg_${row.id}`;
  const timestamp = Math.floor(Date.now() / 1000).toString();
  const signature = createHmac('sha256', s.secret).update(`${id}.${timestamp}.${row.body}`).digest('base64');
  const headers = { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
  try {
    const res = await s.pool.request({ method: 'POST', path: s.url.pathname + s.url.search, headers, body: row.body, headersTimeout: 15_000, bodyTimeout: 15_000 });
    await res.body.dump();
    return res.statusCode >= 200 && res.statusCode < 300;
  } catch {
    return false;
  }
}

// At least once: a row is deleted only after its 2xx; a failed one stays and is retried after a pause.
async function deliverForever(): Promise<never> {
  for (;;) {
    const rows = oldest.all(BATCH) as { id: number; subscriber: number; body: string }[];
    if (rows.length === 0) {
      await new Promise<void>((resolve) => ((wake = resolve), setTimeout(resolve, 1_000)));
      wake = null;
      continue;
    }
    const ok = await Promise.all(rows.map(send));
    removeAll(rows.filter((_, i) => ok[i]).map((r) => r.id));
    if (ok.includes(false)) await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

console.log(`listening on ${await app.listen({ host: '127.0.0.1', port: 0 })}`);
void deliverForever();
