/**
 * `npx tsx bench/stock-at.ts [--db postgres://postgres@127.0.0.1:5432/test] [--reps 7]`
 *
 * The cost of GET /api/v1/stock?at=<time> (stock at a past moment, summed from the movement ledger)
 * on 100,000 movements, in two shapes: 1,000 stock keys with 100 movements each and 10,000 keys with
 * 10 each. The ledger is bulk-inserted (consistent: each level equals the sum of its movements),
 * then the API is asked through app.inject (routing, validation, query, serialisation), median of
 * --reps after one warm-up, with and without the movements_level_time index. Not part of
 * `npm run bench`: it takes about a minute and prints one table.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { hashToken, newTokenId } from '../src/accounts/tokens.js';
import { compose } from '../src/compose.js';
import { openStore, type Store } from '../src/storage/database.js';
import { freshDatabase } from './lib/db.js';
import { median } from './lib/stats.js';

const { values: args } = parseArgs({ options: { db: { type: 'string' }, reps: { type: 'string', default: '7' } } });
const pgBase = args.db && /^postgres(ql)?:\/\//.test(args.db) ? args.db : null;
const reps = Number(args.reps);
const MOVEMENTS = 100_000;
const TOKEN = 'bench-token';
const T0 = Date.parse('2026-01-01T00:00:00Z');
const STEP_MS = 60_000; // one movement a minute: 100,000 minutes ≈ 69 days of history

async function seed(store: Store, keys: number): Promise<string> {
  const db = store.db;
  const accountId = randomUUID();
  await db.insertInto('accounts').values({ id: accountId, number: 1, slug: 'bench', name: 'bench', plan: 'paid', event_seq: 0, created_ms: T0 }).execute();
  await db.insertInto('tokens').values({ token_hash: hashToken(TOKEN), id: newTokenId(), account_id: accountId, kind: 'user', name: 'bench', scope: 'write', last_used_ms: null, application_id: null, created_ms: T0 }).execute();
  const warehouses = 10;
  for (let w = 1; w <= warehouses; w++) {
    await db.insertInto('warehouses').values({ account_id: accountId, code: `W${w}`, name: `W${w}`, active: 1, deleted: 0, created_ms: T0, updated_ms: T0 }).execute();
  }
  const products = keys / warehouses;
  for (let i = 0; i < products; i += 1000) {
    const rows = Array.from({ length: Math.min(1000, products - i) }, (_, j) => ({
      account_id: accountId,
      code: String(4000000 + i + j),
      sku: `SKU-${i + j}`,
      title: `Product ${i + j}`,
      unit: 'pcs',
      price: 1,
      supplier_product_id: null,
      sizes: '[]',
      deleted: 0,
      created_ms: T0,
      updated_ms: T0,
    }));
    await db.insertInto('products').values(rows).execute();
  }
  const doc = await db
    .insertInto('documents')
    .values({ account_id: accountId, type: 'receipt', warehouse_id: 1, to_warehouse_id: null, reference: 'bench', status: 'posted', reverses_id: null, reversed_by_id: null, source: null, created_ms: T0 })
    .returning('id')
    .executeTakeFirstOrThrow();
  // Movement i goes to key i % keys: receipts of 5, every third one a sale of 3.
  const perKey = MOVEMENTS / keys;
  const delta = (i: number) => (i % 3 === 2 ? -3 : 5);
  const levelRows = Array.from({ length: keys }, (_, k) => {
    let amount = 0;
    for (let n = 0; n < perKey; n++) amount += delta(n * keys + k);
    return {
      account_id: accountId,
      warehouse_id: (k % warehouses) + 1,
      product_id: Math.floor(k / warehouses) + 1,
      size: '',
      lot: '',
      expiry: '',
      serial: '',
      location: '',
      amount,
      reserved: 0,
      version: perKey,
      updated_ms: T0 + (MOVEMENTS - keys + k) * STEP_MS,
    };
  });
  const levelIds: number[] = [];
  await store.write(async (tx) => {
    for (let i = 0; i < keys; i += 1000) {
      const ids = await tx.insertInto('stock_levels').values(levelRows.slice(i, i + 1000)).returning('id').execute();
      levelIds.push(...ids.map((r) => r.id));
    }
    for (let i = 0; i < MOVEMENTS; i += 2000) {
      const rows = Array.from({ length: Math.min(2000, MOVEMENTS - i) }, (_, j) => ({
        account_id: accountId,
        document_id: doc.id,
        stock_level_id: levelIds[(i + j) % keys],
        amount_delta: delta(i + j),
        reserved_delta: 0,
        created_ms: T0 + (i + j) * STEP_MS,
      }));
      await tx.insertInto('movements').values(rows).execute();
    }
  });
  return accountId;
}

async function measure(store: Store, label: string, keys: number): Promise<Array<[string, number, number]>> {
  const stack = await compose(store, { settings: { allowPrivateTargets: false, publicUrl: 'http://bench' }, dispatcher: false, http: { adminTokenHash: hashToken('admin') } });
  const app = stack.app as NonNullable<typeof stack.app>;
  const mid = new Date(T0 + (MOVEMENTS / 2) * STEP_MS).toISOString();
  const cases: Array<[string, string]> = [
    [`current stock, all ${keys} keys`, '/api/v1/stock'],
    [`at= mid-history, all ${keys} keys`, `/api/v1/stock?at=${mid}`],
    ['at= mid-history, first page of 50', `/api/v1/stock?at=${mid}&limit=50`],
    ['at= mid-history, one product', `/api/v1/stock?at=${mid}&productId=7`],
  ];
  const out: Array<[string, number, number]> = [];
  for (const [name, url] of cases) {
    const times: number[] = [];
    let rows = 0;
    for (let r = 0; r <= reps; r++) {
      const t = performance.now();
      const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${TOKEN}` } });
      const ms = performance.now() - t;
      if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
      rows = (res.json() as { data: unknown[] }).data.length;
      if (r > 0) times.push(ms);
    }
    out.push([`${label}: ${name}`, median(times), rows]);
  }
  await app.close();
  return out;
}

async function main(): Promise<void> {
  const results: Array<[string, number, number]> = [];
  for (const keys of [1_000, 10_000]) {
    const fresh = await freshDatabase(pgBase);
    const store = await openStore(fresh.url);
    try {
      const t = performance.now();
      await seed(store, keys);
      // As PostgreSQL's autovacuum would after a load; stockhook never runs ANALYZE on SQLite (there
      // the statistics would turn on a bloom filter over products that makes a page 5-8x slower).
      if (pgBase) await sql`analyze`.execute(store.db);
      console.error(`seeded ${MOVEMENTS} movements over ${keys} keys in ${Math.round(performance.now() - t)} ms`);
      results.push(...(await measure(store, `${keys} keys, with index`, keys)));
      // "Without": only a plain (account, level) index, as the ledger had before movements_level_time
      // (migration 017 dropped that one, whose columns begin movements_level_time's).
      await store.db.schema.dropIndex('movements_level_time').execute();
      await store.db.schema.createIndex('movements_level').on('movements').columns(['account_id', 'stock_level_id']).execute();
      results.push(...(await measure(store, `${keys} keys, without index`, keys)));
    } finally {
      await store.close();
      await fresh.drop();
    }
  }
  console.log(`\nGET /api/v1/stock on ${MOVEMENTS.toLocaleString('en')} movements, ${pgBase ? 'PostgreSQL' : 'SQLite'}, median of ${reps}\n`);
  console.log('| case | ms | keys answered |\n| --- | ---: | ---: |');
  for (const [name, ms, rows] of results) console.log(`| ${name} | ${ms.toFixed(1)} | ${rows} |`);
}

await main();
