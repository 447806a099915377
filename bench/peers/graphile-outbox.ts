/**
 * (h)'s peer: what a Node team would write for stockhook's core job on PostgreSQL, standalone (it
 * imports nothing of stockhook). Fastify takes receipts at POST /documents (a fixed bearer token);
 * each is one transaction: per line upsert the stock level, insert a movement and
 * `graphile_worker.add_job` a delivery per subscriber. A graphile-worker runner in the same process
 * (32 jobs at once, a local queue of 500, batched completion) signs each body as Standard Webhooks
 * does and POSTs it through an undici Pool per subscriber; a non-2xx fails the job, which retries.
 *
 *   tsx bench/peers/graphile-outbox.ts <postgres URL> <subscriber URL>...   (PEER_TOKEN: the bearer token)
 * Prints `listening on http://127.0.0.1:<port>` once it listens.
 */
import { createHmac, randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import { Logger, run } from 'graphile-worker';
import pg from 'pg';
import { Pool } from 'undici';

const [dbUrl, ...urls] = process.argv.slice(2);
if (!dbUrl || urls.length === 0) throw new Error('usage: graphile-outbox.ts <postgres URL> <subscriber URL>...');
const TOKEN = `Bearer ${process.env.PEER_TOKEN ?? 'peer-token'}`;
const subscribers = urls.map((u) => ({ url: new URL(u), secret: randomBytes(24), pool: new Pool(new URL(u).origin, { connections: 32 }) }));

// graphile-worker's advice for the pool it shares: its concurrency + 2.
const db = new pg.Pool({ connectionString: dbUrl, max: 34 });
db.on('error', (e) => console.error(`pg pool: ${e.message}`));
await db.query(`
  create table if not exists levels (warehouse_id int, product_id int, amount numeric not null, version int not null,
    primary key (warehouse_id, product_id));
  create table if not exists movements (id bigserial primary key, warehouse_id int not null, product_id int not null,
    delta numeric not null, reference text, at timestamptz not null)`);

/** Standard Webhooks: base64(HMAC-SHA256(secret, `${id}.${timestamp}.${body}`)), fresh timestamp per attempt. */
async function deliver(payload: unknown, helpers: { job: { id: string } }): Promise<void> {
  const { subscriber, body } = payload as { subscriber: number; body: string };
  const s = subscribers[subscriber];
  const id = `msg_${helpers.job.id}`;
  const timestamp = Math.floor(Date.now() / 1000).toString();
  const signature = createHmac('sha256', s.secret).update(`${id}.${timestamp}.${body}`).digest('base64');
  const headers = { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
  const res = await s.pool.request({ method: 'POST', path: s.url.pathname + s.url.search, headers, body, headersTimeout: 15_000, bodyTimeout: 15_000 });
  await res.body.dump();
  if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`HTTP ${res.statusCode}`);
}

// Its default logger writes a line per completed job: warnings and errors only, as a service would run it.
const logger = new Logger(() => (level, message) => {
  if (['error', 'warning'].includes(level)) console.error(`graphile-worker ${level}: ${message}`);
});
// The runner installs graphile-worker's schema, which add_job below needs, before the API listens.
const runner = await run({
  pgPool: db,
  logger,
  noHandleSignals: true,
  taskList: { deliver },
  preset: { worker: { concurrentJobs: 32, localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
});

type Receipt = { type: 'receipt'; warehouseId: number; reference?: string; lines: { productId: number; quantity: number }[] };
const line = { type: 'object', required: ['productId', 'quantity'], additionalProperties: false,
  properties: { productId: { type: 'integer', minimum: 1 }, quantity: { type: 'number', exclusiveMinimum: 0 } } };
const schema = { body: { type: 'object', required: ['type', 'warehouseId', 'lines'], additionalProperties: false, properties: {
  type: { const: 'receipt' }, warehouseId: { type: 'integer', minimum: 1 }, reference: { type: 'string', maxLength: 200 },
  lines: { type: 'array', minItems: 1, maxItems: 1000, items: line } } } };
const app = Fastify();
app.addHook('onRequest', async (req, reply) => {
  if (req.headers.authorization !== TOKEN) return reply.code(401).send({ error: 'unauthorized' });
});
app.post<{ Body: Receipt }>('/documents', { schema }, async (req, reply) => {
  const doc = req.body;
  const at = new Date().toISOString();
  const movements: string[] = [];
  const client = await db.connect();
  try {
    await client.query('begin');
    for (const { productId, quantity } of doc.lines) {
      const level = (await client.query(`insert into levels values ($1, $2, $3, 1) on conflict (warehouse_id, product_id) do update
        set amount = levels.amount + excluded.amount, version = levels.version + 1 returning amount, version`, [doc.warehouseId, productId, quantity])).rows[0];
      const { id } = (await client.query('insert into movements (warehouse_id, product_id, delta, reference, at) values ($1, $2, $3, $4, $5) returning id',
        [doc.warehouseId, productId, quantity, doc.reference ?? null, at])).rows[0];
      movements.push(id);
      const data = { warehouseId: doc.warehouseId, productId, amount: Number(level.amount), amountDelta: quantity, version: level.version, reference: doc.reference ?? null };
      const body = JSON.stringify({ id: `mov_${id}`, type: 'stock.changed', timestamp: at, account_id: 1, data });
      for (let s = 0; s < subscribers.length; s++) await client.query('select graphile_worker.add_job($1::text, $2::json)', ['deliver', { subscriber: s, body }]);
    }
    await client.query('commit');
  } catch (e) {
    await client.query('rollback');
    throw e;
  } finally {
    client.release();
  }
  return reply.code(201).send({ movements });
});

process.once('SIGTERM', async () => {
  await app.close();
  await runner.stop();
  await db.end();
  process.exit(0);
});
console.log(`listening on ${await app.listen({ host: '127.0.0.1', port: 0 })}`);
