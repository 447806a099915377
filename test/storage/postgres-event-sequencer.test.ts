import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { openStore } from '../../src/storage/database.js';
import { EventSequencer } from '../../src/storage/postgres/event-sequencer.js';
import type { Database } from '../../src/storage/schema.js';
import { freshDatabase, type DbName } from '../support/env.js';
import { insertAccount } from '../support/store-rows.js';
import { eventually } from '../support/wait.js';
import { quietPool } from '../support/quiet-pool.js';

/**
 * The PostgreSQL event sequencer by itself, on a migrated database that no store's own sequencer
 * numbers: what a request numbers (past one batch of 5,000), that the poll and soon() number
 * without a reader asking, and that a closed sequencer numbers nothing.
 */
if ((inject('databases') as DbName[]).includes('postgres')) {
  describe('PostgreSQL: the event sequencer', () => {
    let fresh: Awaited<ReturnType<typeof freshDatabase>>;
    let db: Kysely<Database>;
    const accounts: string[] = [];
    const running: EventSequencer[] = [];
    const sequencer = (pollMs = 0, log: (msg: string, err?: unknown) => void = () => {}) => {
      const s = new EventSequencer(db, log, pollMs);
      running.push(s);
      return s;
    };

    beforeAll(async () => {
      fresh = await freshDatabase('postgres');
      const store = await openStore(fresh.url);
      for (let i = 0; i < 2; i++) accounts.push(await insertAccount(store));
      await store.close();
      db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: quietPool({ connectionString: fresh.url, max: 4 }) }) });
    });
    beforeEach(async () => {
      for (const s of running.splice(0)) s.close();
      await db.deleteFrom('events').execute();
      await db.updateTable('accounts').set({ event_seq: 0 }).execute();
    });
    afterAll(async () => {
      for (const s of running.splice(0)) s.close();
      await db.destroy();
      await fresh.drop();
    });

    /** Inserts `n` unnumbered events for the account, in order; their object ids are 1..n. */
    const insert = (accountId: string, n: number) =>
      sql`insert into events (id, account_id, seq, type, object, object_id, action, occurred_ms, data)
          select ${accountId} || '-' || g, ${accountId}, null, 'warehouse.created', 'warehouse', g::text, 'created', 0, '{}'
          from generate_series(1, ${n}) g`.execute(db);
    /** The account's events as [object id, seq], in insertion order. */
    const numbers = async (accountId: string) =>
      (await sql<{ object_id: string; seq: number | null }>`select object_id, seq from events where account_id = ${accountId} order by pos`.execute(db)).rows.map(
        (r) => [Number(r.object_id), r.seq === null ? null : Number(r.seq)],
      );
    const unnumbered = async () => Number((await sql<{ n: string }>`select count(*) as n from events where seq is null`.execute(db)).rows[0].n);

    it('one request numbers every committed event, past one batch, per account from 1 in insertion order', async () => {
      const [a, b] = accounts;
      await insert(a, 5_003);
      await insert(b, 4);
      await sequencer().request();
      expect(await unnumbered()).toBe(0);
      const numberedA = await numbers(a);
      expect(numberedA).toHaveLength(5_003);
      expect(numberedA.every(([objectId, seq]) => seq === objectId)).toBe(true);
      expect(await numbers(b)).toEqual([
        [1, 1],
        [2, 2],
        [3, 3],
        [4, 4],
      ]);
      const counters = await db.selectFrom('accounts').select(['id', 'event_seq']).where('id', 'in', [a, b]).orderBy('id').execute();
      expect(Object.fromEntries(counters.map((c) => [c.id, Number(c.event_seq)]))).toEqual({ [a]: 5_003, [b]: 4 });
    });

    it('the poll numbers events that no reader asked for, and only once started', async () => {
      const s = sequencer(20);
      await insert(accounts[0], 3);
      s.start();
      await eventually(async () => (await unnumbered()) === 0, 10_000, 25, 'the poll numbered the events');
      expect(await numbers(accounts[0])).toEqual([
        [1, 1],
        [2, 2],
        [3, 3],
      ]);
    });

    it('soon() numbers a commit without a reader asking', async () => {
      const s = sequencer();
      await insert(accounts[1], 2);
      s.soon();
      await eventually(async () => (await unnumbered()) === 0, 10_000, 25, 'soon() numbered the events');
      expect(await numbers(accounts[1])).toEqual([
        [1, 1],
        [2, 2],
      ]);
    });

    it('a closed sequencer numbers nothing and answers at once', async () => {
      const s = sequencer(20);
      await insert(accounts[0], 2);
      s.close();
      s.start();
      s.soon();
      await s.request();
      // A sequencer that numbers proves the closed one had its chance: the events were still waiting.
      expect(await unnumbered()).toBe(2);
      await sequencer().request();
      expect(await unnumbered()).toBe(0);
    });
  });
}
