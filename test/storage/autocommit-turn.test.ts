import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureAdminToken } from '../../src/accounts/tokens.js';
import { EndpointBreakers } from '../../src/delivery/breaker/index.js';
import { cancelClaim, claimDue, extendLeases, pushBackPending, releaseClaims } from '../../src/delivery/claim.js';
import { finishReplay } from '../../src/delivery/replay.js';
import { createDomain } from '../../src/domain.js';
import { deleteStockItem } from '../../src/inventory/stock-items.js';
import { migrate, openStore, type Store } from '../../src/storage/database.js';
import { TEST_PUBLIC_URL } from '../support/env.js';
import { insertAccount, insertDeliveries, insertWebhook, leases } from '../support/store-rows.js';
import { OtherThread } from '../support/write-turn.js';

/*
 * Every write that runs outside a transaction goes through Store.autocommit, which on SQLite takes
 * the write turn the process's threads share. For each of them: with the turn held by the other
 * thread, the write waits (its ticket drawn), this thread's reads still answer and find nothing
 * written, and the write lands once the turn is given back.
 */

const NOW = 1_800_000_000_000;
const DONE = { order: ['read', 'released', 'written'], before: false, after: true };

describe('writes outside a transaction take the write turn (SQLite)', () => {
  let dir: string;
  let store: Store;
  let other: OtherThread;
  let accountId: string;
  let webhookId: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stockhook-autocommit-'));
    other = new OtherThread(new SharedArrayBuffer(8));
    store = await openStore(join(dir, 'a.db'), { writeTurn: other.buffer });
    accountId = await insertAccount(store);
    webhookId = await insertWebhook(store, accountId);
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await store.autocommit((db) => db.deleteFrom('deliveries').execute());
  });

  const pending = (due: number, owner: string | null = null) => insertDeliveries(store, [{ accountId, webhookId, due, owner }]);
  const lease = async (id: string) => (await leases(store, [id]))[0];

  it('claimDue', async () => {
    const [id] = await pending(NOW - 1);
    const claim = () => claimDue(store, { owner: 'w', limit: 10, now: NOW, leaseMs: 1000, subscriptions: [], accounts: [] });
    expect(await other.holdWhile(claim, async () => (await lease(id))?.owner === 'w')).toEqual(DONE);
  });

  it('extendLeases', async () => {
    const [id] = await pending(NOW + 1000, 'w');
    const extend = () => extendLeases(store, 'w', NOW + 5000);
    expect(await other.holdWhile(extend, async () => (await lease(id))?.due === NOW + 5000)).toEqual(DONE);
  });

  it('releaseClaims', async () => {
    const [id] = await pending(NOW + 1000, 'w');
    const release = () => releaseClaims(store, 'w', [id], NOW);
    expect(await other.holdWhile(release, async () => (await lease(id))?.owner === null)).toEqual(DONE);
  });

  it('pushBackPending', async () => {
    const [id] = await pending(NOW);
    const push = () => pushBackPending(store, webhookId, NOW + 9000);
    expect(await other.holdWhile(push, async () => (await lease(id))?.due === NOW + 9000)).toEqual(DONE);
  });

  it('cancelClaim', async () => {
    const [id] = await pending(NOW, 'w');
    const cancel = () => cancelClaim(store, 'w', id, 'refused by its format', NOW);
    expect(await other.holdWhile(cancel, async () => (await lease(id))?.status === 'cancelled')).toEqual(DONE);
  });

  it('the shared breaker: a pause opened, a pause lifted, a probe taken', async () => {
    const pause = async () =>
      (await store.db.selectFrom('webhooks').select(['paused_until_ms', 'probe_owner']).where('id', '=', webhookId).executeTakeFirstOrThrow());
    const shared = new EndpointBreakers(store, {
      owner: 'w',
      leaseMs: 1000,
      breaker: { threshold: 1, cooldownMs: 1000, maxCooldownMs: 2000 },
      log: (msg, err) => {
        throw new Error(`${msg}: ${String(err)}`);
      },
    });
    expect(await other.holdWhile(() => shared.recorded(webhookId, false, NOW, true), async () => (await pause()).paused_until_ms === NOW + 1000)).toEqual(DONE);
    expect(await other.holdWhile(() => shared.recorded(webhookId, true, NOW + 1, true), async () => (await pause()).paused_until_ms === null)).toEqual(DONE);
    // Another worker's pause, over by now: this worker takes the probe.
    await store.autocommit((db) => db.updateTable('webhooks').set({ paused_until_ms: NOW - 1, pause_cooldown_ms: 1000 }).where('id', '=', webhookId).execute());
    expect(await other.holdWhile(() => shared.blocked(NOW), async () => (await pause()).probe_owner === 'w')).toEqual(DONE);
    await store.autocommit((db) => db.updateTable('webhooks').set({ paused_until_ms: null, pause_cooldown_ms: null, probe_owner: null, probe_until_ms: null }).where('id', '=', webhookId).execute());
  });

  it('a replay’s end', async () => {
    const row = { id: 'replay-1', account_id: accountId, webhook_id: webhookId, since_ms: 0, status: 'running' as const, events_total: 1, events_done: 0, deliveries: 0 };
    await store.autocommit((db) => db.insertInto('replays').values({ ...row, error: null, started_ms: NOW, heartbeat_ms: NOW, finished_ms: null }).execute());
    const status = async () => (await store.db.selectFrom('replays').select('status').where('id', '=', row.id).executeTakeFirstOrThrow()).status;
    const finish = () => finishReplay(store, row.id, { status: 'done', events_done: 1, deliveries: 0 }, NOW);
    expect(await other.holdWhile(finish, async () => (await status()) === 'done')).toEqual(DONE);
  });

  it('a stock item’s delete', async () => {
    const { ctx } = createDomain(store, { allowPrivateTargets: true, publicUrl: TEST_PUBLIC_URL }, () => NOW);
    const { id } = await store.autocommit((db) =>
      db.insertInto('stock_items').values({ account_id: accountId, attributes: '{}', released: 0, deleted: 0, created_ms: 0, updated_ms: 0 }).returning('id').executeTakeFirstOrThrow(),
    );
    const deleted = async () => (await store.db.selectFrom('stock_items').select('deleted').where('id', '=', id).executeTakeFirstOrThrow()).deleted === 1;
    expect(await other.holdWhile(() => deleteStockItem(ctx, accountId, id), deleted)).toEqual(DONE);
  });

  it('the administrator token made on the first start', async () => {
    const stored = async () => (await store.db.selectFrom('settings').select('value').where('key', '=', 'admin_token_hash').executeTakeFirst()) !== undefined;
    expect(await other.holdWhile(() => ensureAdminToken(store, undefined), stored)).toEqual(DONE);
  });

  it('migrations, run on open and by migrate()', async () => {
    const fresh = await openStore(join(dir, 'm.db'), { writeTurn: other.buffer, migrate: false });
    try {
      const migrated = async () => (await sql<{ n: number }>`select count(*) as n from sqlite_master where name = 'stockhook_migrations'`.execute(fresh.db)).rows[0].n === 1;
      expect(await other.holdWhile(() => migrate(fresh), migrated)).toEqual(DONE);
    } finally {
      await fresh.close();
    }
    // Opening a store migrates it inside the turn too: the open waits for it.
    let opened: Store | undefined;
    try {
      const open = async () => {
        opened = await openStore(join(dir, 'o.db'), { writeTurn: other.buffer });
      };
      const order = await other.holdWhile(open, async () => opened !== undefined);
      expect(order).toEqual(DONE);
    } finally {
      await opened?.close();
    }
  });
});

/**
 * A write straight on the store's db (`store.db.updateTable(...)`, however it is spread over lines)
 * would take no turn. What the statement says is not read: only where it is built.
 */
const WRITE_ON_DB = /\bstore\s*\.\s*db\s*\.\s*(insertInto|updateTable|deleteFrom|replaceInto|mergeInto)\b|\.execute\(\s*(ctx\.|this\.)?store\.db\s*\)/g;

describe('no write outside src/storage runs on the store’s db', () => {
  const SRC = join(import.meta.dirname, '../../src');
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));

  it('every one goes through a transaction, a write or autocommit', () => {
    const found = files(SRC)
      .filter((f) => !f.startsWith(join(SRC, 'storage')))
      .flatMap((f) => [...readFileSync(f, 'utf8').matchAll(WRITE_ON_DB)].map((m) => `${relative(SRC, f)}: ${m[0]}`));
    // Reads by raw SQL (health and readiness probes) are the only raw statements run on it.
    expect(found.filter((f) => !/routes\/(health|readiness)\.ts/.test(f))).toEqual([]);
  });

  it('finds such a write where there is one', () => {
    const sample = 'await ctx.store.db\n  .updateTable("x").set({}).execute();\nawait sql`update x`.execute(ctx.store.db);\nawait ctx.store.db.selectFrom("x")';
    expect([...sample.matchAll(WRITE_ON_DB)].map((m) => m[0].replace(/\s+/g, ' '))).toEqual(['store.db .updateTable', '.execute(ctx.store.db)']);
  });
});
