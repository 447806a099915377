/**
 * The write path alone: one-line receipts posted through `app.inject` (routing, validation,
 * authentication, the transaction, the fan-out's two deliveries; no sockets, no dispatcher), 32 in
 * flight, in this process. Prints documents/s, this process's CPU per document, and on PostgreSQL
 * the server's CPU per document (summed from /proc over the postgres processes that live through
 * the run; this machine's own PostgreSQL only). It isolates what a change to the write path buys
 * from HTTP and delivery, which (a) and (h) include.
 *
 * It also counts the statements this process sent to PostgreSQL per document (every query a pg
 * client was given, BEGIN, SAVEPOINT and COMMIT included: each is one round trip).
 *
 *   npx tsx bench/write-path.ts [--db postgres://postgres@127.0.0.1:5432/test] [--docs 10000]
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { sql } from 'kysely';
import { postgresCpuSeconds, processCpuSeconds } from './lib/children.js';
import { inProcessAccount } from './lib/in-process.js';

const { values: args } = parseArgs({ options: { db: { type: 'string' }, docs: { type: 'string', default: '10000' } } });
const docs = Number(args.docs);
const inFlight = 32;

let statements = 0;
const query = pg.Client.prototype.query as (...a: unknown[]) => unknown;
pg.Client.prototype.query = function (this: pg.Client, ...a: unknown[]) {
  statements++;
  return query.apply(this, a);
} as typeof pg.Client.prototype.query;

const bench = await inProcessAccount(args.db ?? null, { products: 50 });
const { app, store, auth, warehouseId, products } = bench;
try {
  let next = 0;
  const post = async (count: number) => {
    const worker = async () => {
      while (next < count) {
        const i = next++;
        const body = { type: 'receipt', warehouseId, reference: `R-${i}`, lines: [{ productId: products[i % products.length], quantity: 1 }] };
        const r = await app.inject({ method: 'POST', url: '/api/v1/documents', headers: { authorization: auth, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
        if (r.statusCode !== 201) throw new Error(`document refused: ${r.statusCode} ${r.body}`);
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
  };
  await post(2000); // warm-up
  next = 0;
  const pg0 = args.db ? postgresCpuSeconds() : null;
  // This database's backends alone: the server's other databases (other clients of a shared
  // PostgreSQL) would count in postgresCpuSeconds. A backend that starts during the run counts whole.
  const backends = async () =>
    (await sql<{ pid: number }>`select pid from pg_stat_activity where datname = current_database()`.execute(store.db)).rows.map((r) => r.pid);
  const own0 = args.db ? processCpuSeconds(await backends()) : null;
  const statements0 = statements;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await post(docs);
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const pg1 = args.db ? postgresCpuSeconds() : null;
  const sent = statements - statements0;
  const own1 = args.db ? processCpuSeconds(await backends()) : null;
  const ownSecs = own0 && own1 ? [...own1].reduce((sum, [pid, secs]) => sum + secs - (own0.get(pid) ?? 0), 0) : null;
  const perDoc = (ms: number) => `${(ms / docs).toFixed(2)} ms`;
  console.log(`${store.name}: ${docs} one-line documents, ${inFlight} in flight: ${(docs / secs).toFixed(0)} documents/s`);
  console.log(`  this process's CPU per document: ${perDoc((cpu.user + cpu.system) / 1000)}`);
  if (pg0 !== null && pg1 !== null) console.log(`  PostgreSQL's CPU per document (every postgres process on this machine): ${perDoc((pg1 - pg0) * 1000)}`);
  if (ownSecs !== null) console.log(`  this database's PostgreSQL backends' CPU per document: ${perDoc(ownSecs * 1000)}`);
  if (args.db) console.log(`  statements sent per document: ${(sent / docs).toFixed(2)}`);
} finally {
  await bench.close();
}
