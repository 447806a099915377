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
 */
if ((inject('databases') as DbName[]).includes('postgres')) {
  describe('PostgreSQL: a deadlocked write is run again', () => {
    let fresh: Awaited<ReturnType<typeof freshDatabase>>;
    let store: Store;
    beforeAll(async () => {
      fresh = await freshDatabase('postgres');
      store = await openStore(fresh.url);
      await sql`create table locks (id integer primary key, n integer not null)`.execute(store.db);
      await sql`insert into locks values (1, 0), (2, 0)`.execute(store.db);
    });
    afterAll(async () => {
      await store.close();
      await fresh.drop();
    });

    it('two writes locking two rows in opposite orders both commit, one of them after running again', async () => {
      const runs = { a: 0, b: 0 };
      let holdA!: () => void;
      let holdB!: () => void;
      const aHolds = new Promise<void>((r) => (holdA = r));
      const bHolds = new Promise<void>((r) => (holdB = r));
      const write = (name: 'a' | 'b', first: number, second: number, held: () => void, other: Promise<void>) =>
        store.write(async (tx) => {
          runs[name]++;
          await sql`update locks set n = n + 1 where id = ${first}`.execute(tx);
          held();
          await other;
          await sql`update locks set n = n + 1 where id = ${second}`.execute(tx);
          return name;
        });
      const results = await Promise.allSettled([write('a', 1, 2, holdA, bHolds), write('b', 2, 1, holdB, aHolds)]);
      expect(results).toEqual([
        { status: 'fulfilled', value: 'a' },
        { status: 'fulfilled', value: 'b' },
      ]);
      // One was aborted by the deadlock and ran twice; the other ran once.
      expect([runs.a, runs.b].sort()).toEqual([1, 2]);
      const rows = await sql<{ id: number; n: number }>`select id, n from locks order by id`.execute(store.db);
      expect(rows.rows).toEqual([
        { id: 1, n: 2 },
        { id: 2, n: 2 },
      ]);
    });
  });
}
