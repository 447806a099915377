import pg from 'pg';
import { expect, it } from 'vitest';
import { describeEachDb, type TestAccount, type TestEnv } from '../support/env.js';
import { call, events, product, warehouse } from '../support/fixtures.js';
import { eventually, sleep } from '../support/wait.js';

/**
 * docs/api/requests.md: "number order is commit order and paging never skips an event that committed late".
 * A reader pages with after=<last number seen> while one write is held open after it has written
 * its events and other writes of the same account try to commit around it. Whatever mechanism hands
 * out the numbers (today the account row's lock; the scale-out work changes that on PostgreSQL), the
 * pages read during the write, put end to end, must be the account's whole event list, in order.
 *
 * PostgreSQL: the held write is a real stall. A trigger on `events` makes the transaction that
 * inserts the marked event wait for an advisory lock the test holds, so it stops after its events
 * are written and before it commits, for as long as the test wants. (If the events table or its
 * `data` column change, move the trigger to wherever the event rows are written.)
 * SQLite: one transaction runs at a time (single writer, one connection), so commit order is number
 * order by construction; the slow write is a large document, and the pages run between writes.
 */

const MARK = 'stall-me-6b1f';
const LOCK = 424242;
const OTHERS = 6;

interface Page {
  seqs: number[];
  ids: string[];
}

/** Pages with after=<last seen> until stopped; every page and the events in the order read. */
function pager(env: TestEnv, a: TestAccount) {
  const pages: Page[] = [];
  let after = 0;
  let running = true;
  const seen: Array<{ id: string; seq: number }> = [];
  const done = (async () => {
    while (running) {
      const body = (await call(env, a, 'GET', `/api/v1/events?after=${after}&limit=1000`, undefined, 200)).body;
      pages.push({ seqs: body.data.map((e: any) => e.seq), ids: body.data.map((e: any) => e.id) });
      for (const e of body.data) seen.push({ id: e.id, seq: e.seq });
      after = body.nextAfter;
      await sleep(5);
    }
  })();
  return {
    pages,
    seen,
    /** The last number read. */
    after: () => after,
    async stop() {
      running = false;
      await done;
    },
  };
}

/** The other writes of the account, of several kinds, none touching the held write's stock key. */
function otherWrites(env: TestEnv, a: TestAccount, w: number, q: number, p: number) {
  return Array.from({ length: OTHERS }, (_, i) => {
    if (i % 3 === 0) return call(env, a, 'POST', '/api/v1/documents', { type: 'receipt', warehouseId: w, lines: [{ productId: q, quantity: 1 }] }, 201);
    if (i % 3 === 1) return call(env, a, 'PATCH', `/api/v1/products/${p}`, { price: i }, 200);
    return call(env, a, 'POST', '/api/v1/warehouses', { name: `W${i}` }, 201);
  });
}

async function expectNothingSkipped(env: TestEnv, a: TestAccount, reader: ReturnType<typeof pager>, total: number) {
  // Everything has committed: keep paging until the reader has read past the last number.
  const all = await events(env, a);
  expect(all).toHaveLength(total);
  const last = all[all.length - 1].seq as number;
  await eventually(() => reader.after() >= last, 10_000, 10, 'the reader read to the end');
  await reader.stop();
  // Numbers only grow, and the pages end to end are the whole list: nothing skipped, nothing twice.
  const seqs = reader.seen.map((e) => e.seq);
  expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
  expect(new Set(seqs).size).toBe(seqs.length);
  expect(reader.seen.map((e) => e.id)).toEqual(all.map((e) => e.id));
  expect(seqs).toEqual(all.map((e) => e.seq));
}

describeEachDb('event order', (env) => {
  it('paging with after= while a write is held open never skips an event that commits late', { timeout: 60_000 }, async () => {
    const e = env();
    const a = await e.newAccount();
    const w = await warehouse(e, a);
    const p = await product(e, a, { sku: 'HELD' });
    const q = await product(e, a, { sku: 'OTHER' });
    const before = (await events(e, a)).length;

    if (e.db === 'postgres') {
      const admin = new pg.Client({ connectionString: e.url });
      const holder = new pg.Client({ connectionString: e.url });
      await admin.connect();
      await holder.connect();
      let stopReader = async () => {};
      try {
        await admin.query(`
          create or replace function stockhook_test_hold() returns trigger language plpgsql as $$
          begin
            if position('${MARK}' in new.data) > 0 then perform pg_advisory_xact_lock_shared(${LOCK}); end if;
            return new;
          end $$`);
        await admin.query('create trigger stockhook_test_hold after insert on events for each row execute function stockhook_test_hold()');
        await holder.query('select pg_advisory_lock($1)', [LOCK]);
        const waiting = async (event: string) =>
          Number(
            (
              await admin.query(
                `select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and wait_event = $1`,
                [event],
              )
            ).rows[0].n,
          );

        const reader = pager(e, a);
        stopReader = reader.stop;
        let released = false;
        // The held write: a receipt whose events carry the mark; it stops before committing.
        const held = call(e, a, 'POST', '/api/v1/documents', { type: 'receipt', warehouseId: w, reference: MARK, lines: [{ productId: p, quantity: 5 }] }).then((r) => ({
          ...r,
          released,
        }));
        await eventually(async () => (await waiting('advisory')) === 1, 20_000, 20, 'the marked write held after writing its events');
        // The others, while it is held. Each either commits or waits on a lock; wait until all have
        // done one or the other, so the reader pages past every point where one could commit.
        let finished = 0;
        const others = otherWrites(e, a, w, q, p).map((x) => x.then((r) => (finished++, r)));
        await eventually(async () => finished + (await waiting('transactionid')) + (await waiting('tuple')) === OTHERS, 20_000, 20, 'the other writes settled');
        // No per-account lock: every other write of the account committed and answered while the
        // held one was still open (they touch other stock rows; events are numbered after commit).
        expect(finished).toBe(OTHERS);
        const pagesBefore = reader.pages.length;
        await eventually(() => reader.pages.length >= pagesBefore + 3, 10_000, 5, 'pages read while held');
        expect(await waiting('advisory')).toBe(1);

        released = true;
        await holder.query('select pg_advisory_unlock($1)', [LOCK]);
        const heldRes = await held;
        expect(heldRes.status).toBe(201);
        expect(heldRes.released).toBe(true);
        await Promise.all(others);
        // receipt: document.posted + stock.changed; patch: product.updated; warehouse: warehouse.created.
        const total = before + 2 + (OTHERS / 3) * (2 + 1 + 1);
        await expectNothingSkipped(e, a, reader, total);
        const marked = (await events(e, a)).filter((x) => JSON.stringify(x.data).includes(MARK));
        expect(marked.map((x) => x.type).sort()).toEqual(['document.posted', 'stock.changed']);
      } finally {
        await holder.query('select pg_advisory_unlock_all()').catch(() => {});
        await stopReader();
        await admin.query('drop trigger if exists stockhook_test_hold on events').catch(() => {});
        await admin.end();
        await holder.end();
      }
      return;
    }

    // SQLite: a slow write (a receipt of 1,000 lines, the most a document takes: one event per line)
    // among the others.
    const reader = pager(e, a);
    try {
      const lines = Array.from({ length: 1000 }, (_, i) => ({ productId: p, quantity: 1, lot: `L${i}` }));
      await Promise.all([
        call(e, a, 'POST', '/api/v1/documents', { type: 'receipt', warehouseId: w, reference: MARK, lines }, 201),
        ...otherWrites(e, a, w, q, p),
      ]);
      await expectNothingSkipped(e, a, reader, before + 1 + 1000 + (OTHERS / 3) * (2 + 1 + 1));
    } finally {
      await reader.stop();
    }
  });
});
