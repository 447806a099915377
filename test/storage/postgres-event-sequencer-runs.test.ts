import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openStore } from '../../src/storage/database.js';
import { EventSequencer } from '../../src/storage/postgres/event-sequencer.js';
import type { Database } from '../../src/storage/schema.js';
import { freshDatabase, type DbName } from '../support/env.js';
import { insertAccount } from '../support/store-rows.js';
import { eventually } from '../support/wait.js';
import { quietPool } from '../support/quiet-pool.js';

/**
 * How the PostgreSQL event sequencer (storage/postgres/event-sequencer.ts) takes turns: a request
 * made while a run is in flight may have committed after that run looked, so it is answered only by
 * a run that starts after it; and a run that fails is logged (unless the sequencer was closed
 * meanwhile) without failing the request. A run is held in flight by a row lock a second
 * connection of the test holds on the account, which the run's UPDATE of the account waits for.
 */
if ((inject('databases') as DbName[]).includes('postgres')) {
  describe('PostgreSQL: the event sequencer\'s runs', () => {
    let fresh: Awaited<ReturnType<typeof freshDatabase>>;
    let bare: Awaited<ReturnType<typeof freshDatabase>>;
    let db: Kysely<Database>;
    let holder: pg.Client;
    let account: string;

    beforeAll(async () => {
      fresh = await freshDatabase('postgres');
      const store = await openStore(fresh.url);
      account = await insertAccount(store);
      await store.close();
      db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: quietPool({ connectionString: fresh.url, max: 4 }) }) });
      holder = new pg.Client({ connectionString: fresh.url });
      await holder.connect();
      bare = await freshDatabase('postgres');
    });
    afterAll(async () => {
      await holder.end();
      await db.destroy();
      await fresh.drop();
      await bare.drop();
    });

    const insert = (id: string) =>
      sql`insert into events (id, account_id, seq, type, object, object_id, action, occurred_ms, data)
          values (${id}, ${account}, null, 'warehouse.created', 'warehouse', '1', 'created', 0, '{}')`.execute(db);
    const seqs = async () =>
      Object.fromEntries((await sql<{ id: string; seq: string | null }>`select id, seq from events`.execute(db)).rows.map((r) => [r.id, r.seq === null ? null : Number(r.seq)]));

    it('a request made while a run is in flight is answered by the run after it, which numbers what the first could not see', async () => {
      const s = new EventSequencer(db, () => {});
      try {
        for (const round of [1, 2]) {
          const [early, late] = [`r${round}-early`, `r${round}-late`];
          await insert(early);
          await holder.query('begin');
          await holder.query('select 1 from accounts where id = $1 for update', [account]);
          const first = s.request();
          // The run has read the events to number (early only) and waits for the account's row.
          await eventually(async () => {
            const { rows } = await holder.query<{ n: string }>("select count(*) as n from pg_locks where locktype = 'transactionid' and not granted");
            return Number(rows[0].n) > 0;
          }, 10_000, 10, 'the run waiting on the account row');
          await insert(late);
          const second = s.request();
          await holder.query('commit');
          await second;
          const base = (round - 1) * 2;
          expect(await seqs()).toMatchObject({ [early]: base + 1, [late]: base + 2 });
          await first;
        }
      } finally {
        s.close();
      }
    });

    it('a failed run is logged and the request still answers; once closed, a failing run logs nothing', async () => {
      const unmigrated = new Kysely<Database>({ dialect: new PostgresDialect({ pool: quietPool({ connectionString: bare.url, max: 1 }) }) });
      try {
        const logged: Array<[string, unknown]> = [];
        const log = (msg: string, err?: unknown) => logged.push([msg, (err as { code?: string }).code]);
        const open = new EventSequencer(unmigrated, log);
        await open.request();
        expect(logged).toEqual([['numbering events failed; the next run numbers them', '42P01']]);
        open.close();
        const closing = new EventSequencer(unmigrated, log);
        const run = closing.request();
        closing.close();
        await run;
        expect(logged).toHaveLength(1);
      } finally {
        await unmigrated.destroy();
      }
    });
  });
}
