/**
 * (i)'s bound: the outbox peer's design (bench/peers/sqlite-outbox.ts) writing stockhook's rows. It
 * answers the question issue 28 asks before any rebuild: how fast could stockhook be on SQLite if
 * its store were the simplest one, each write one synchronous better-sqlite3 transaction of
 * statements prepared once, with no commit group, no write turn and no async layer?
 *
 * It serves `POST /api/v1/documents` on a database file that `stockhook serve` set up (migrated
 * schema, account, token, warehouse, products, subscriptions), and per one-line receipt writes in
 * one transaction what stockhook writes (bench/count-statements.ts): the token read (before the
 * transaction, as stockhook's authentication), the warehouse and product check, the document and
 * its line, the stock level upsert, the movement, the account's event numbers, the two events and
 * one rendered `native` delivery per subscription, leased to this process. The receipts that arrive
 * in one turn of the event loop share one transaction, each in a savepoint of its own, so the commit
 * (which writes every page the documents dirtied) is paid once per group, as stockhook's commit group
 * does; one transaction per receipt measured slower than stockhook itself. After the commit the
 * deliveries go to a sender thread (as stockhook's handoff does) that signs each as Standard
 * Webhooks does and POSTs it through an undici Pool per subscription; its results come back, and
 * this thread writes them as stockhook does (an attempt row and the delivery's final state, one
 * transaction per batch), so SQLite keeps a single writer. The sender thread also copies the log
 * back into the database every 200 ms (a passive checkpoint on its own connection, as stockhook's
 * delivery thread does), so no commit on this thread pays for a checkpoint.
 *
 * Not a product: it skips what a bound need not have (idempotency keys, retries of failed sends,
 * other document types, rate limits, the delivery log's API). Any non-2xx answer stops the process,
 * so a figure it prints is one where every delivery succeeded.
 *
 *   tsx bench/peers/sqlite-bound.ts <database file>
 * Prints `listening on http://127.0.0.1:<port>` once it listens.
 */
import { createHash, createHmac, randomFillSync } from 'node:crypto';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { Pool } from 'undici';

interface Outgoing {
  id: string;
  accountId: string;
  webhookId: string;
  url: string;
  secret: string;
  body: string;
}
interface Result {
  d: Outgoing;
  startedMs: number;
  durationMs: number;
  requestHeaders: string;
  status: number;
  responseHeaders: string;
  responseBody: string;
}

if (isMainThread) await serve();
else sendForever();

async function serve(): Promise<void> {
  const file = process.argv[2];
  if (!file) throw new Error('usage: sqlite-bound.ts <database file set up by stockhook serve>');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_autocheckpoint = 0');

  const subs = db.prepare(`select id, account_id, url, secret, events from webhooks where enabled = 1 and format = 'native'`).all() as Array<{
    id: string;
    account_id: string;
    url: string;
    secret: string;
    events: string | null;
  }>;
  // The bench's subscriptions are fixed while it runs: which take stock.changed is read once.
  const takers = subs.filter((sub) => sub.events === null || (JSON.parse(sub.events) as string[]).includes('stock.changed'));

  const s = {
    token: db.prepare(
      `select a.id, a.number, a.slug, a.plan, t.kind, t.scope from tokens t join accounts a on a.id = t.account_id where t.token_hash = ?`,
    ),
    validate: db.prepare(
      `select w.id, w.active, p.id as product_id, p.sizes from warehouses w left join products p on p.account_id = ? and p.id = ? and p.deleted = 0 where w.account_id = ? and w.id = ?`,
    ),
    doc: db.prepare(
      `insert into documents (account_id, type, warehouse_id, to_warehouse_id, reference, status, reverses_id, reversed_by_id, source, author, created_ms)
       values (?, 'receipt', ?, null, ?, 'posted', null, null, null, null, ?) returning *`,
    ),
    line: db.prepare(
      `insert into document_lines (account_id, document_id, line_no, product_id, size, lot, expiry, serial, location, quantity) values (?, ?, 1, ?, '', '', '', '', '', ?) returning *`,
    ),
    level: db.prepare(
      `insert into stock_levels (account_id, warehouse_id, product_id, size, lot, expiry, serial, location, amount, reserved, version, updated_ms) values (?, ?, ?, '', '', '', '', '', ?, 0, 1, ?)
       on conflict (account_id, product_id, warehouse_id, size, lot, expiry, serial, location) do update set amount = amount + excluded.amount, version = version + 1, updated_ms = excluded.updated_ms returning *`,
    ),
    move: db.prepare(`insert into movements (account_id, document_id, stock_level_id, amount_delta, reserved_delta, created_ms) values (?, ?, ?, ?, 0, ?)`),
    seq: db.prepare(`update accounts set event_seq = event_seq + 2 where id = ? returning event_seq`),
    events: db.prepare(
      `insert into events (id, account_id, seq, type, object, object_id, action, occurred_ms, data)
       values (?, ?, ?, 'document.posted', 'document', ?, 'added', ?, ?), (?, ?, ?, 'stock.changed', 'stock', ?, 'changed', ?, ?)`,
    ),
    delivery: db.prepare(
      `insert into deliveries (id, account_id, webhook_id, event_id, event_type, status, attempts, next_attempt_ms, lease_owner, coalesce_key, url, headers, body, last_status_code, last_error, created_ms, completed_ms)
       values (?, ?, ?, ?, 'stock.changed', 'pending', 0, ?, 'bound', null, ?, '{"content-type":"application/json"}', ?, null, null, ?, null)`,
    ),
    attempt: db.prepare(
      `insert into attempts (account_id, delivery_id, webhook_id, attempt_no, started_ms, duration_ms, request_headers, response_status, response_headers, response_body, error_kind, error_message, outcome)
       values (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, null, null, 'success')`,
    ),
    succeeded: db.prepare(
      `update deliveries set status = 'succeeded', attempts = 1, last_status_code = ?, last_error = null, completed_ms = ?, lease_owner = null where id = ? and lease_owner = 'bound'`,
    ),
  };

  interface Receipt {
    type: 'receipt';
    warehouseId: number;
    reference?: string;
    lines: { productId: number; quantity: number }[];
  }
  class Refused extends Error {}

  /** Time-ordered ids as stockhook's: UUID v7 (48-bit milliseconds, then random bits from a pool). */
  const pool = Buffer.alloc(16 * 256);
  let offset = pool.length;
  const newId = (): string => {
    if (offset === pool.length) {
      randomFillSync(pool);
      offset = 0;
    }
    const b = pool.subarray(offset, (offset += 16));
    b.writeUIntBE(Date.now(), 0, 6);
    b[6] = (b[6] & 0x0f) | 0x70;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = b.toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  };

  const post = db.transaction((accountId: string, doc: Receipt): { view: unknown; out: Outgoing[] } => {
    const now = Date.now();
    const [line] = doc.lines;
    const found = s.validate.get(accountId, line.productId, accountId, doc.warehouseId) as { active: number; product_id: number | null } | undefined;
    if (!found || !found.active || found.product_id === null) throw new Refused('unknown warehouse or product');
    const d = s.doc.get(accountId, doc.warehouseId, doc.reference ?? null, now) as { id: number; created_ms: number };
    s.line.get(accountId, d.id, line.productId, line.quantity);
    const level = s.level.get(accountId, doc.warehouseId, line.productId, line.quantity, now) as { id: number; amount: number; reserved: number; version: number };
    s.move.run(accountId, d.id, level.id, line.quantity, now);
    const { event_seq: seq } = s.seq.get(accountId) as { event_seq: number };
    const view = {
      id: d.id,
      type: 'receipt',
      status: 'posted',
      warehouseId: doc.warehouseId,
      toWarehouseId: null,
      reference: doc.reference ?? null,
      reversesDocumentId: null,
      reversedByDocumentId: null,
      createdAt: new Date(now).toISOString(),
      lines: [{ productId: line.productId, size: null, lot: null, expiry: null, serial: null, location: null, quantity: line.quantity }],
    };
    const stock = {
      warehouseId: doc.warehouseId,
      productId: line.productId,
      size: null,
      lot: null,
      expiry: null,
      serial: null,
      location: null,
      amount: level.amount,
      reserved: level.reserved,
      free: level.amount - level.reserved,
      amountDelta: line.quantity,
      reservedDelta: 0,
      version: level.version,
      documentId: d.id,
      documentType: 'receipt',
      reversal: false,
      reference: doc.reference ?? null,
    };
    const posted = newId();
    const changed = newId();
    s.events.run(posted, accountId, seq - 1, String(d.id), now, JSON.stringify({ document: view }), changed, accountId, seq, String(line.productId), now, JSON.stringify(stock));
    const body = JSON.stringify({ id: changed, type: 'stock.changed', timestamp: new Date(now).toISOString(), account_id: accountId, data: stock });
    const out: Outgoing[] = [];
    for (const sub of takers) {
      if (sub.account_id !== accountId) continue;
      const id = newId();
      s.delivery.run(id, accountId, sub.id, changed, now + 30_000, sub.url, body, now);
      out.push({ id, accountId, webhookId: sub.id, url: sub.url, secret: sub.secret, body });
    }
    return { view: { ...view, author: null, source: null }, out };
  });

  const record = db.transaction((results: Result[]) => {
    for (const r of results) {
      s.attempt.run(r.d.accountId, r.d.id, r.d.webhookId, r.startedMs, r.durationMs, r.requestHeaders, r.status, r.responseHeaders, r.responseBody);
      s.succeeded.run(r.status, r.startedMs + r.durationMs, r.d.id);
    }
  });

  // tsx's loader is not inherited by a worker thread: the thread registers it, then loads this file (as delivery-thread-host.ts does).
  const self = JSON.stringify(import.meta.url);
  const sender = new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((t) => { t.register(); return import(${self}); })`, {
    eval: true,
    workerData: { file },
  });
  sender.on('message', (results: Result[]) => record(results));
  sender.on('error', (err) => {
    console.error(err);
    process.exit(1);
  });

  const app = Fastify();
  app.addHook('onRequest', async (req, reply) => {
    const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    const found = m ? (s.token.get(createHash('sha256').update(m[1]).digest('hex')) as { id: string; scope: string } | undefined) : undefined;
    if (!found || found.scope !== 'write') return reply.code(401).send({ error: { code: 'UNAUTHORIZED' } });
    (req as unknown as { accountId: string }).accountId = found.id;
  });
  const line = {
    type: 'object',
    required: ['productId', 'quantity'],
    additionalProperties: false,
    properties: { productId: { type: 'integer', minimum: 1 }, quantity: { type: 'number', exclusiveMinimum: 0 } },
  };
  const schema = {
    body: {
      type: 'object',
      required: ['type', 'warehouseId', 'lines'],
      additionalProperties: false,
      properties: {
        type: { const: 'receipt' },
        warehouseId: { type: 'integer', minimum: 1 },
        reference: { type: 'string', maxLength: 200 },
        lines: { type: 'array', minItems: 1, maxItems: 1, items: line },
      },
    },
  };
  // One transaction per turn of the event loop, a savepoint per receipt: a refused one takes nobody else with it.
  type Waiting = { accountId: string; doc: Receipt; done: (r: { view: unknown } | { refused: string }) => void; fail: (e: unknown) => void };
  let queue: Waiting[] = [];
  const group = db.transaction((ws: Waiting[]) =>
    ws.map((w) => {
      try {
        return post(w.accountId, w.doc);
      } catch (err) {
        if (err instanceof Refused) return err;
        throw err;
      }
    }),
  );
  const flush = (): void => {
    const ws = queue;
    queue = [];
    try {
      const results = group(ws);
      const out = results.flatMap((r) => (r instanceof Refused ? [] : r.out));
      if (out.length > 0) sender.postMessage(out);
      results.forEach((r, i) => ws[i].done(r instanceof Refused ? { refused: r.message } : { view: r.view }));
    } catch (err) {
      for (const w of ws) w.fail(err);
    }
  };
  const write = (accountId: string, doc: Receipt): Promise<{ view: unknown } | { refused: string }> =>
    new Promise((done, fail) => {
      if (queue.length === 0) setImmediate(flush);
      queue.push({ accountId, doc, done, fail });
    });
  app.post<{ Body: Receipt }>('/api/v1/documents', { schema }, async (req, reply) => {
    const r = await write((req as unknown as { accountId: string }).accountId, req.body);
    if ('refused' in r) return reply.code(422).send({ error: { code: 'VALIDATION_FAILED', message: r.refused } });
    return reply.code(201).send(r.view);
  });
  // A clean exit on SIGTERM, so that --cpu-prof (BENCH_PEER_NODE_ARGS) writes its profile.
  process.once('SIGTERM', () => process.exit(0));
  console.log(`listening on ${await app.listen({ host: '127.0.0.1', port: 0 })}`);
}

/** The sender thread: signs and POSTs each delivery, hands the results back in batches, and checkpoints. */
function sendForever(): void {
  const port = parentPort;
  if (!port) throw new Error('sqlite-bound: the sender runs as a worker thread');
  const checkpoints = new Database((workerData as { file: string }).file);
  setInterval(() => checkpoints.pragma('wal_checkpoint(PASSIVE)'), 200).unref();
  const pools = new Map<string, Pool>();
  let pending: Result[] = [];
  let flushing = false;
  const flush = (): void => {
    flushing = false;
    const batch = pending;
    pending = [];
    if (batch.length > 0) port.postMessage(batch);
  };
  const send = async (d: Outgoing): Promise<void> => {
    const url = new URL(d.url);
    let pool = pools.get(d.webhookId);
    // 32 connections per subscription: stockhook's maxInFlight for each bench subscription.
    if (!pool) pools.set(d.webhookId, (pool = new Pool(url.origin, { connections: 32 })));
    const startedMs = Date.now();
    const timestamp = Math.floor(startedMs / 1000).toString();
    const key = Buffer.from(d.secret.slice('whsec_'.length), 'base64');
    const signature = createHmac('sha256', key).update(`${d.id}.${timestamp}.${d.body}`).digest('base64');
    const headers = { 'content-type': 'application/json', 'webhook-id': d.id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
    const res = await pool.request({ method: 'POST', path: url.pathname + url.search, headers, body: d.body, headersTimeout: 15_000, bodyTimeout: 15_000 });
    const responseBody = await res.body.text();
    if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`sqlite-bound: ${d.url} answered ${res.statusCode}; the bound keeps no retries`);
    pending.push({
      d,
      startedMs,
      durationMs: Date.now() - startedMs,
      requestHeaders: JSON.stringify(headers),
      status: res.statusCode,
      responseHeaders: JSON.stringify(res.headers),
      responseBody,
    });
    if (!flushing) {
      flushing = true;
      setImmediate(flush);
    }
  };
  port.on('message', (batch: Outgoing[]) => {
    for (const d of batch)
      send(d).catch((err: unknown) => {
        console.error(err);
        process.exit(1);
      });
  });
}
