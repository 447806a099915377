import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openStore } from '../../src/storage/database.js';
import type { Store } from '../../src/storage/store.js';
import { freshDatabase, type DbName } from '../support/env.js';

/**
 * PostgreSQL lets writers of different rows run at once, so two writes that lock the same rows in
 * opposite orders deadlock; the server aborts one of them (40P01) and the store runs that write
 * again, so both commit. Each write waits for the other to hold its first row before it asks for
 * its second, so the deadlock happens every run, whatever the machine's load.
 *
 * The writes come from two stores on one database, as from two processes.
 */
if ((inject('databases') as DbName[]).includes('postgres')) {
  describe('PostgreSQL: a deadlocked write is run again', () => {
    let fresh: Awaited<ReturnType<typeof freshDatabase>>;
    let one: Store;
    let two: Store;
    beforeAll(async () => {
      fresh = await freshDatabase('postgres');
      one = await openStore(fresh.url);
      two = await openStore(fresh.url);
      await sql`create table locks (id integer primary key, n integer not null)`.execute(one.db);
      await sql`insert into locks values (1, 0), (2, 0)`.execute(one.db);
    });
    afterAll(async () => {
      await one.close();
      await two.close();
      await fresh.drop();
    });

    const signal = () => {
      let done!: () => void;
      const happened = new Promise<void>((r) => (done = r));
      return { done, happened };
    };
    const rows = async () => (await sql<{ id: number; n: number }>`select id, n from locks order by id`.execute(one.db)).rows;

    it('two writes locking two rows in opposite orders both commit, one of them after running again', async () => {
      const runs = { a: 0, b: 0 };
      const aHolds = signal();
      const bHolds = signal();
      const write = (store: Store, name: 'a' | 'b', first: number, second: number, held: () => void, other: Promise<void>) =>
        store.write(async (tx) => {
          runs[name]++;
          await sql`update locks set n = n + 1 where id = ${first}`.execute(tx);
          held();
          await other;
          await sql`update locks set n = n + 1 where id = ${second}`.execute(tx);
          return name;
        });
      const results = await Promise.allSettled([write(one, 'a', 1, 2, aHolds.done, bHolds.happened), write(two, 'b', 2, 1, bHolds.done, aHolds.happened)]);
      expect(results).toEqual([
        { status: 'fulfilled', value: 'a' },
        { status: 'fulfilled', value: 'b' },
      ]);
      // One was aborted by the deadlock and ran twice; the other ran once.
      expect([runs.a, runs.b].sort()).toEqual([1, 2]);
      expect(await rows()).toEqual([
        { id: 1, n: 2 },
        { id: 2, n: 2 },
      ]);
    });
  });
}
