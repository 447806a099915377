import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { NewEvent } from '../../../src/events/catalog.js';
import { listEvents } from '../../../src/events/list.js';
import { Outbox } from '../../../src/events/outbox.js';
import type { Store } from '../../../src/storage/database.js';
import { createEnv, describeEachDb, type DbName } from '../../support/env.js';
import { finishesOrWaits, heldTransaction, insertAccount } from '../../support/store-rows.js';

/*
 * Store conformance: event order (events/outbox.ts, events/list.ts, storage/postgres/event-sequencer.ts).
 * Each account's events are numbered 1, 2, 3… in commit order; a reader paging with
 * after=<last number seen> reads each exactly once and sees every event committed before it
 * asked. SQLite numbers them in the writing transaction (one writer); PostgreSQL after commit, so
 * an event whose transaction commits late is numbered after everything a reader has already seen,
 * never below it, and no write of an account waits for another's commit.
 */

const NOW = 1_800_000_000_000;

const named = (name: string): NewEvent => ({ type: 'warehouse.created', object: 'warehouse', objectId: name, action: 'created', data: { name } });

/** Commits one write of the account's events, named; resolves after the commit. */
const write = (store: Store, outbox: Outbox, accountId: string, names: string[]) =>
  store.write((tx) => outbox.write(tx, accountId, names.map(named), NOW));

/** Every event of the account, paging `limit` at a time with after=<last seen>: [seq, name] in the order read. */
async function readAll(store: Store, accountId: string, limit: number, after = 0): Promise<Array<[number, string]>> {
  const out: Array<[number, string]> = [];
  // Bounded: a reader that never reaches an empty page (after= not moving on) fails instead of hanging.
  for (let pages = 0; pages < 50; pages++) {
    const page = await listEvents(store, accountId, { after, limit });
    out.push(...page.data.map((e): [number, string] => [e.seq, String(e.data.name)]));
    if (page.data.length === 0) {
      expect(page.nextAfter).toBe(after);
      return out;
    }
    expect(page.nextAfter).toBe(page.data[page.data.length - 1].seq);
    after = page.nextAfter;
  }
  throw new Error(`paging never reached the end; read ${JSON.stringify(out.slice(0, 10))}…`);
}

describeEachDb('store conformance: event order', (env) => {
  it('numbers each account’s events 1, 2, 3… in commit order; paging reads each once; `last` is the newest, still in order', async () => {
    const store = env().store;
    const outbox = new Outbox(store.events);
    const [a, b] = [await insertAccount(store), await insertAccount(store)];
    await write(store, outbox, a, ['a1', 'a2']);
    await write(store, outbox, b, ['b1']);
    await write(store, outbox, a, ['a3']);
    await write(store, outbox, b, ['b2', 'b3']);
    await write(store, outbox, a, ['a4', 'a5', 'a6']);
    // Read at once after the commits: the reader sees every event committed before it asked.
    expect(await readAll(store, a, 2)).toEqual([
      [1, 'a1'],
      [2, 'a2'],
      [3, 'a3'],
      [4, 'a4'],
      [5, 'a5'],
      [6, 'a6'],
    ]);
    expect(await readAll(store, b, 1)).toEqual([
      [1, 'b1'],
      [2, 'b2'],
      [3, 'b3'],
    ]);
    expect(await readAll(store, a, 4, 3)).toEqual([
      [4, 'a4'],
      [5, 'a5'],
      [6, 'a6'],
    ]);
    const newest = await listEvents(store, a, { after: 0, limit: 100, last: 2 });
    expect([newest.data.map((e) => e.seq), newest.nextAfter]).toEqual([[5, 6], 6]);
  });

});

// PostgreSQL only: SQLite has one writer on one connection, so a write cannot be held open while
// another commits, and commit order is write order by construction (the test above).
if ((inject('databases') as DbName[]).includes('postgres')) {
  describe('store conformance: event order [postgres]', () => {
    let env: Awaited<ReturnType<typeof createEnv>> | undefined;
    beforeAll(async () => {
      env = await createEnv('postgres');
    });
    afterAll(async () => env?.close());

    it('an event whose write commits late is numbered after those committed before it, and a reader paging meanwhile does not skip it', async () => {
      const store = (env as NonNullable<typeof env>).store;
      const outbox = new Outbox(store.events);
      const a = await insertAccount(store);
      await write(store, outbox, a, ['first']);
      // The late write inserts its event first and holds its transaction open.
      const late = await heldTransaction(store, (_held, tx) => outbox.write(tx, a, [named('late')], NOW));
      let early: string;
      try {
        // Another write of the same account commits meanwhile, without waiting for the held one.
        early = await finishesOrWaits(store, write(store, outbox, a, ['early']));
        if (early === 'finished') expect(await readAll(store, a, 10)).toEqual([
          [1, 'first'],
          [2, 'early'],
        ]);
      } finally {
        await late.commit();
      }
      expect(early).toBe('finished');
      // The reader that had read to 2 goes on from there and finds the late event.
      expect(await readAll(store, a, 10, 2)).toEqual([[3, 'late']]);
      expect(await readAll(store, a, 10)).toEqual([
        [1, 'first'],
        [2, 'early'],
        [3, 'late'],
      ]);
    });
  });
}
