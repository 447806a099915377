import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openStore, type Store } from '../../src/storage/database.js';
import { POOLED_POLL_MS } from '../../src/storage/postgres/open.js';
import { prepared } from '../../src/storage/prepared.js';
import { freshDatabase } from '../support/env.js';
import { eventually } from '../support/wait.js';

const hasPostgres = (inject('databases') as string[]).includes('postgres');

/*
 * What a PostgreSQL store does with its options (postgres/open.ts): behind a pooler in transaction
 * mode it names no statement and does not LISTEN through the pooled URL, so its workers poll; and a
 * connection that fails, idle in the pool or in use, is logged and never crashes the process.
 * The PgBouncer suites check the same end to end, in a child process.
 */
(hasPostgres ? describe : describe.skip)('a PostgreSQL store’s options (PostgreSQL)', () => {
  let fresh: { url: string; drop(): Promise<void> };
  let admin: Store;

  beforeAll(async () => {
    fresh = await freshDatabase('postgres');
    admin = await openStore(fresh.url);
  });
  afterAll(async () => {
    await admin.close();
    await fresh.drop();
  });

  const account = prepared<{ id: string }>()((db, v) => db.selectFrom('accounts').select('id').where('id', '=', v.id));
  /** Runs one of the hot path's statements (prepared.ts) and counts the statements its connection holds by name. */
  const preparedCount = async (store: Store): Promise<number> => {
    expect((await account(store.db, { id: 'nobody' })).rows).toEqual([]);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_prepared_statements`.execute(store.db);
    return rows[0].n;
  };

  it('directly connected, it names its statements and listens: no polling pace of its own', async () => {
    const direct = await openStore(fresh.url, { poolSize: 1, migrate: false });
    try {
      expect(direct.wakeupPollMs).toBeUndefined();
      expect(await preparedCount(direct)).toBeGreaterThan(0);
    } finally {
      await direct.close();
    }
  });

  it('behind a pooler in transaction mode it names nothing and, without a listen URL, its workers poll', async () => {
    const pooled = await openStore(fresh.url, { poolSize: 1, migrate: false, pooler: 'transaction' });
    try {
      expect(pooled.wakeupPollMs).toBe(POOLED_POLL_MS);
      expect(await preparedCount(pooled)).toBe(0);
    } finally {
      await pooled.close();
    }
    const listening = await openStore(fresh.url, { poolSize: 1, migrate: false, pooler: 'transaction', listenUrl: fresh.url });
    try {
      expect(listening.wakeupPollMs).toBeUndefined();
      expect(await preparedCount(listening)).toBe(0);
    } finally {
      await listening.close();
    }
  });

  it('a connection terminated while idle in the pool, or while in use, is logged, and the next query gets a new one', async () => {
    const lines: string[] = [];
    const store = await openStore(fresh.url, { poolSize: 1, migrate: false, log: (msg) => lines.push(msg) });
    try {
      const pid = async (): Promise<number> => (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(store.db)).rows[0].pid;
      const idle = await pid();
      await sql`select pg_terminate_backend(${idle})`.execute(admin.db);
      await eventually(() => lines.includes('PostgreSQL pool: an idle connection failed'), 10_000, 25, 'the idle connection’s failure logged');

      const inUse = store.db.transaction().execute(async (tx) => {
        const mine = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(tx)).rows[0].pid;
        await sql`select pg_terminate_backend(${mine})`.execute(admin.db);
        await sql`select 1`.execute(tx);
      });
      await expect(inUse).rejects.toThrow();
      await eventually(() => lines.includes('PostgreSQL: a connection in use was lost'), 10_000, 25, 'the lost connection logged');
      expect(await pid()).not.toBe(idle);
    } finally {
      await store.close();
    }
  });
});
