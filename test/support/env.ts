import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { hashToken } from '../../src/accounts/tokens.js';
import type { App, AppDeps } from '../../src/app.js';
import { compose } from '../../src/compose.js';
import type { Ctx, Limits } from '../../src/context.js';
import type { Dispatcher, DispatcherOptions } from '../../src/delivery/dispatcher.js';
import { openStore, type Store, type StoreOptions } from '../../src/storage/database.js';

export type DbName = 'sqlite' | 'postgres';

export interface TestAccount {
  id: string;
  number: number;
  slug: string;
  token: string;
  auth: { authorization: string };
}

export interface TestEnv {
  db: DbName;
  /** A running dispatcher when the env was created with one. */
  dispatcher: Dispatcher | null;
  /** The database URL (SQLite file path or postgres:// URL), for child processes. */
  url: string;
  store: Store;
  ctx: Ctx;
  app: App;
  adminToken: string;
  newAccount(plan?: 'free' | 'paid'): Promise<TestAccount>;
}

export const ADMIN_TOKEN = 'test-admin-token';

/** The public URL test servers report (Kladana's reportUrl starts with it). */
export const TEST_PUBLIC_URL = 'http://stockhook.test';

/** A fresh, migrated database: a temp SQLite file, or a new PostgreSQL database dropped afterwards. */
export async function freshDatabase(db: DbName): Promise<{ url: string; drop(): Promise<void> }> {
  if (db === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'stockhook-test-'));
    return { url: join(dir, 'test.db'), drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const admin = inject('pgUrl');
  const name = `stockhook_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export interface EnvOptions {
  /** Start a dispatcher with these options (webhook tests). */
  dispatcher?: DispatcherOptions;
  /** Defaults to true: test receivers live on 127.0.0.1. */
  allowPrivateTargets?: boolean;
  /** Per-account limits other than the defaults. */
  limits?: Partial<Limits>;
  /** The domain's clock (ctx.now), for tests that move time. */
  now?: () => number;
  /** Idempotency-Key lifetime other than the default 24 h. */
  idempotencyTtlMs?: number;
  /** Per-token request limits (off when not given, as in production by default). */
  rateLimit?: { max: number; windowMs: number };
  /** Background retention (off when not given). */
  retention?: AppDeps['retention'];
  /** How the store is opened (SQLite's checkpoints, for a WAL the main file is behind). */
  store?: Pick<StoreOptions, 'checkpoints'>;
  /** The app's logger (none when not given); tests of the log records pass a recording one. */
  logger?: AppDeps['logger'];
  /** The app's slow-request threshold (http/request-log.ts). */
  slowRequestMs?: number;
  /** How Kladana reports are fetched again (sources/report-fetcher.ts): tests give short waits. */
  reportFetches?: AppDeps['reportFetches'];
}

export async function createEnv(db: DbName, opts: EnvOptions = {}): Promise<TestEnv & { close(): Promise<void> }> {
  const fresh = await freshDatabase(db);
  const env = await openEnv(db, fresh.url, opts);
  return {
    ...env,
    async close() {
      await env.close();
      await fresh.drop();
    },
  };
}

/**
 * An app (and, when asked, a dispatcher) on a database that exists already: a second process on
 * the same database, or the same process started again. `close` stops it and closes its store.
 */
export async function openEnv(db: DbName, url: string, opts: EnvOptions = {}): Promise<TestEnv & { close(): Promise<void> }> {
  // STOCKHOOK_TEST_REHEARSE_WRITES=1: every SQLite write runs twice, the first time rolled back (Store.write);
  // tests that count statements (subscriber-cache) then count the rehearsal's too.
  const store = await openStore(url, { rehearseWrites: process.env.STOCKHOOK_TEST_REHEARSE_WRITES === '1', ...opts.store });
  const stack = await compose(store, {
    settings: { allowPrivateTargets: opts.allowPrivateTargets ?? true, publicUrl: TEST_PUBLIC_URL, limits: opts.limits },
    now: opts.now,
    dispatcher: opts.dispatcher ?? false,
    http: { adminTokenHash: hashToken(ADMIN_TOKEN), idempotency: opts.idempotencyTtlMs ? { ttlMs: opts.idempotencyTtlMs } : undefined,
      rateLimit: opts.rateLimit,
      retention: opts.retention,
      logger: opts.logger,
      slowRequestMs: opts.slowRequestMs,
      reportFetches: opts.reportFetches,
    },
  });
  const { ctx, dispatcher } = stack;
  const app = stack.app as App;
  return {
    db,
    dispatcher,
    url,
    store,
    ctx,
    app,
    adminToken: ADMIN_TOKEN,
    async newAccount(plan = 'paid') {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/accounts',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        payload: { name: `Test ${randomBytes(3).toString('hex')}`, plan },
      });
      if (res.statusCode !== 201) throw new Error(`account creation failed: ${res.body}`);
      const a = res.json() as { id: string; number: number; slug: string; token: string };
      return { ...a, auth: { authorization: `Bearer ${a.token}` } };
    },
    async close() {
      await dispatcher?.stop(1000);
      await app.close();
      await store.close();
    },
  };
}

/**
 * Runs the same suite once per configured database (kysely's test-setup habit). The env is created
 * in beforeAll, so read it inside tests through the getter.
 */
export function describeEachDb(name: string, body: (env: () => TestEnv, db: DbName) => void, opts: EnvOptions = {}): void {
  for (const db of inject('databases') as DbName[]) {
    describe(`${name} [${db}]`, () => {
      let env: (TestEnv & { close(): Promise<void> }) | undefined;
      beforeAll(async () => {
        env = await createEnv(db, opts);
      });
      afterAll(async () => {
        await env?.close();
      });
      body(() => {
        if (!env) throw new Error('test env not ready');
        return env;
      }, db);
    });
  }
}
