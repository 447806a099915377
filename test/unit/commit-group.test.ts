import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/storage/database.js';

describe('group commit on SQLite (a real file, WAL)', () => {
  let dir: string;
  let store: Store;
  let observer: Database.Database;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stockhook-group-'));
    store = await openStore(join(dir, 'g.db'));
    await sql`create table t (n integer primary key)`.execute(store.db);
    // A second connection sees only what is committed.
    observer = new Database(join(dir, 'g.db'), { readonly: true });
  });
  afterAll(async () => {
    observer.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const committedRows = () => (observer.prepare('select n from t order by n').all() as Array<{ n: number }>).map((r) => r.n);

  it('concurrent writes share one transaction; a throwing one rolls back alone and settles after the commit', async () => {
    const seenByObserverDuringLast: number[][] = [];
    const settled: string[] = [];
    const writes = Array.from({ length: 10 }, (_, i) =>
      store
        .write(async (tx) => {
          await sql`insert into t (n) values (${i})`.execute(tx);
          if (i === 4) throw new Error('refused');
          if (i === 9) seenByObserverDuringLast.push(committedRows());
          return i;
        })
        .then(
          (v) => settled.push(`ok ${v}`),
          (e: Error) => settled.push(`err ${e.message}`),
        ),
    );
    await Promise.all(writes);
    // While the tenth write ran, none of the first nine was committed yet: one transaction.
    expect(seenByObserverDuringLast).toEqual([[]]);
    expect(committedRows()).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9]);
    expect(settled.sort()).toEqual(['err refused', 'ok 0', 'ok 1', 'ok 2', 'ok 3', 'ok 5', 'ok 6', 'ok 7', 'ok 8', 'ok 9']);
  });

  it('a write that fails at the database (constraint) does not undo its neighbours', async () => {
    const r = await Promise.allSettled([
      store.write((tx) => sql`insert into t (n) values (100)`.execute(tx)),
      store.write((tx) => sql`insert into t (n) values (100)`.execute(tx)),
      store.write((tx) => sql`insert into t (n) values (101)`.execute(tx)),
    ]);
    expect(r.map((x) => x.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(committedRows().filter((n) => n >= 100)).toEqual([100, 101]);
  });
});
