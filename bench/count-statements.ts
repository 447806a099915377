/**
 * Counts the SQLite statements one one-line receipt runs (with two native subscriptions, no
 * dispatcher), by wrapping better-sqlite3's prepare: what a change to the write path's statements
 * buys, counted rather than timed.
 *
 * (i) posts without an Idempotency-Key; `--key` sends one, as a careful client would.
 *
 *   npx tsx bench/count-statements.ts [--docs 20] [--print] [--key]
 */
import { parseArgs } from 'node:util';
import SQLite from 'better-sqlite3';
import { inProcessAccount } from './lib/in-process.js';

const { values: args } = parseArgs({ options: { docs: { type: 'string', default: '20' }, print: { type: 'boolean', default: false }, key: { type: 'boolean', default: false } } });
const docs = Number(args.docs);

let counting = false;
const seen: string[] = [];
const proto = SQLite.prototype as unknown as { prepare: (sql: string) => SQLite.Statement; exec: (sql: string) => unknown };
const prepare = proto.prepare;
const wrapped = new WeakSet<object>();
proto.prepare = function (this: SQLite.Database, sql: string) {
  const stmt = prepare.call(this, sql);
  const p = Object.getPrototypeOf(stmt) as Record<string, (...a: unknown[]) => unknown>;
  if (!wrapped.has(p)) {
    wrapped.add(p);
    for (const m of ['run', 'all', 'get', 'iterate']) {
      const f = p[m]!;
      p[m] = function (this: SQLite.Statement, ...a: unknown[]) {
        if (counting) seen.push(this.source);
        return f.apply(this, a);
      };
    }
  }
  return stmt;
};
const exec = proto.exec;
proto.exec = function (this: SQLite.Database, sql: string) {
  if (counting) seen.push(sql);
  return exec.call(this, sql);
};

const bench = await inProcessAccount(null, { products: 5 });
const { app, auth, warehouseId, products } = bench;
try {
  const post = async (i: number) => {
    const body = { type: 'receipt', warehouseId, reference: `R-${i}`, lines: [{ productId: products[i % products.length], quantity: 1 }] };
    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/documents',
      headers: { authorization: auth, 'content-type': 'application/json', ...(args.key && { 'idempotency-key': `k-${i}` }) },
      payload: JSON.stringify(body),
    });
    if (r.statusCode !== 201) throw new Error(`document refused: ${r.statusCode} ${r.body}`);
  };
  for (let i = 0; i < 10; i++) await post(i); // warm: caches filled, every key exists
  counting = true;
  for (let i = 10; i < 10 + docs; i++) await post(i);
  counting = false;
  const per = new Map<string, number>();
  for (const s of seen) per.set(s, (per.get(s) ?? 0) + 1);
  console.log(`statements per one-line receipt, one in flight: ${(seen.length / docs).toFixed(2)} (${seen.length} over ${docs})`);
  if (args.print) for (const [s, n] of per) console.log(`${(n / docs).toFixed(2)}  ${s.replace(/\s+/g, ' ').slice(0, 220)}`);
} finally {
  await bench.close();
}
