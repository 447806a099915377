/**
 * The SQLite work of one one-line receipt alone: the statements the write path runs (as
 * bench/count-statements.ts lists them), prepared once and run straight on better-sqlite3 over the
 * schema the migrations build, 32 documents per transaction as a commit group runs them. Shows what
 * rows and indexes cost apart from Kysely, HTTP and the event loop.
 *
 *   npx tsx bench/sql-micro.ts [--docs 40000] [--drop index,index]
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import SQLite from 'better-sqlite3';
import { openStore } from '../src/storage/database.js';
import { timeOrderedId } from '../src/storage/time-ordered-id.js';
import { freshDatabase } from './lib/db.js';

const { values: args } = parseArgs({ options: { docs: { type: 'string', default: '40000' }, drop: { type: 'string', default: '' } } });
const docs = Number(args.docs);
const fresh = await freshDatabase(null);
const store = await openStore(fresh.url);
await store.close();
const db = new SQLite(fresh.url);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
for (const i of args.drop.split(',').filter(Boolean)) db.exec(`drop index ${i}`);
const now = Date.now();
db.prepare(`insert into accounts (id, number, slug, name, plan, created_ms) values ('acc', 1, 'a', 'A', 'paid', ?)`).run(now);
db.prepare(`insert into warehouses (account_id, code, name, active, created_ms, updated_ms) values ('acc', 'M', 'Main', 1, ?, ?)`).run(now, now);
for (let i = 0; i < 50; i++) {
  db.prepare(`insert into products (account_id, code, sku, title, unit, price, sizes, created_ms, updated_ms) values ('acc', ?, ?, ?, 'pcs', 0, '[]', ?, ?)`).run(`${i}`, `S${i}`, `T${i}`, now, now);
}
const s = {
  validate: db.prepare(`select w.id, w.active, p.id as product_id, p.sizes from warehouses w left join products p on p.account_id = ? and p.id = ? and p.deleted = 0 where w.account_id = ? and w.id = ?`),
  doc: db.prepare(`insert into documents (account_id, type, warehouse_id, reference, status, created_ms) values (?, 'receipt', 1, ?, 'posted', ?) returning *`),
  line: db.prepare(`insert into document_lines (account_id, document_id, line_no, product_id, size, lot, expiry, serial, location, quantity) values (?, ?, 1, ?, '', '', '', '', '', 1) returning *`),
  level: db.prepare(
    `insert into stock_levels (account_id, warehouse_id, product_id, size, lot, expiry, serial, location, amount, reserved, version, updated_ms) values (?, 1, ?, '', '', '', '', '', 1, 0, 1, ?)
     on conflict (account_id, product_id, warehouse_id, size, lot, expiry, serial, location) do update set amount = amount + excluded.amount, version = version + 1, updated_ms = excluded.updated_ms returning *`,
  ),
  move: db.prepare(`insert into movements (account_id, document_id, stock_level_id, amount_delta, reserved_delta, created_ms) values (?, ?, ?, 1, 0, ?)`),
  seq: db.prepare(`update accounts set event_seq = event_seq + 2 where id = ? returning event_seq, subscribers_version`),
  events: db.prepare(`insert into events (id, account_id, seq, type, object, object_id, action, occurred_ms, data) values (?, ?, ?, 'document.posted', 'document', ?, 'posted', ?, ?), (?, ?, ?, 'stock.changed', 'stock', ?, 'changed', ?, ?)`),
  deliveries: db.prepare(
    `insert into deliveries (id, account_id, webhook_id, event_id, event_type, status, attempts, next_attempt_ms, lease_owner, coalesce_key, url, headers, body, created_ms)
     values (?, ?, 'w1', ?, 'stock.changed', 'pending', 0, ?, 'owner', null, 'http://127.0.0.1:9/a', ?, ?, ?), (?, ?, 'w2', ?, 'stock.changed', 'pending', 0, ?, 'owner', null, 'http://127.0.0.1:9/b', ?, ?, ?)`,
  ),
};
const headers = JSON.stringify({ 'content-type': 'application/json', 'user-agent': 'stockhook/1.0', 'webhook-id': timeOrderedId() });
const body = 'x'.repeat(424);
const data = JSON.stringify({ documentId: 1, lines: [{ productId: 1, quantity: 1 }], reference: 'R-1', warehouseId: 1, type: 'receipt' });
let n = 0;
const one = () => {
  const t = now + n;
  s.validate.get('acc', (n % 50) + 1, 'acc', 1);
  const d = s.doc.get('acc', `R-${n}`, t) as { id: number };
  s.line.get('acc', d.id, (n % 50) + 1);
  const l = s.level.get('acc', (n % 50) + 1, t) as { id: number };
  s.move.run('acc', d.id, l.id, t);
  const q = s.seq.get('acc') as { event_seq: number };
  const e1 = timeOrderedId();
  const e2 = timeOrderedId();
  s.events.run(e1, 'acc', q.event_seq - 1, String(d.id), t, data, e2, 'acc', q.event_seq, String(l.id), t, data);
  s.deliveries.run(timeOrderedId(), 'acc', e2, t + 30_000, headers, body, t, timeOrderedId(), 'acc', e2, t + 30_000, headers, body, t);
  n++;
};
const group = db.transaction((k: number) => {
  for (let i = 0; i < k; i++) one();
});
for (let i = 0; i < 3000 / 32; i++) group(32);
const c0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < docs / 32; i++) group(32);
const ms = performance.now() - t0;
const c = process.cpuUsage(c0);
const cpuMs = (c.user + c.system) / 1000;
console.log(`sql alone: CPU ${((cpuMs * 1000) / docs).toFixed(1)} µs, wall ${((ms * 1000) / docs).toFixed(1)} µs per one-line receipt (${docs} docs, 32 per transaction)${args.drop ? `, without ${args.drop}` : ''}`);
db.close();
await fresh.drop();
