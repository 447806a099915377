import { beforeEach, expect, it } from 'vitest';
import { days, DEFAULT_RETENTION } from '../../../src/retention/policy.js';
import { pruneExpired } from '../../../src/retention/prune.js';
import type { Store } from '../../../src/storage/database.js';
import type { DeliveryStatus } from '../../../src/storage/schema.js';
import { timeOrderedId } from '../../../src/storage/time-ordered-id.js';
import { describeEachDb } from '../../support/env.js';
import { insertAccount, insertAttempt, insertDeliveries, insertWebhook } from '../../support/store-rows.js';

/*
 * Store conformance: retention (retention/prune.ts) at an injected `now`, with the default policy
 * (events 90 days, deliveries and attempts 30). A finished delivery's age counts from when it
 * finished (completed_ms), never from when it was made: an old delivery that finished yesterday is
 * kept, and so is a pending one however old. Failed deliveries wait for a retry by hand as long
 * as events are kept. Attempt logs go at 30 days, or with their delivery. Events go at 90 days,
 * recording per account how far its history now starts, only ever forward.
 */

const NOW = 1_800_000_000_000;
const ago = (n: number) => NOW - days(n);

async function insertEvent(store: Store, accountId: string, seq: number, occurredMs: number): Promise<string> {
  const id = timeOrderedId();
  await store.db
    .insertInto('events')
    .values({ id, account_id: accountId, seq, type: 'warehouse.created', object: 'warehouse', object_id: String(seq), action: 'created', occurred_ms: occurredMs, data: '{}' })
    .execute();
  return id;
}

describeEachDb('store conformance: retention', (env) => {
  beforeEach(async () => {
    const { db } = env().store;
    for (const table of ['deliveries', 'attempts', 'events', 'history_horizons'] as const) await db.deleteFrom(table).execute();
  });

  /** The ids left in the table, sorted (compare with sorted()). */
  const kept = async (table: 'deliveries' | 'events') => (await env().store.db.selectFrom(table).select('id').execute()).map((r) => r.id).sort();
  const sorted = (ids: string[]) => [...ids].sort();

  it('prunes finished deliveries by when they finished, failed ones with the events, and keeps everything else', async () => {
    const accountId = await insertAccount(env().store);
    const e = { accountId, webhookId: await insertWebhook(env().store, accountId) };
    const rows: Array<[string, DeliveryStatus, number, number | null, boolean]> = [
      // name, status, created, completed, pruned?
      ['succeeded 40 days ago', 'succeeded', ago(100), ago(40), true],
      ['made 100 days ago, succeeded yesterday', 'succeeded', ago(100), ago(1), false],
      ['made 100 days ago, still pending', 'pending', ago(100), null, false],
      ['dropped 31 days ago', 'dropped', ago(31), ago(31), true],
      ['cancelled 31 days ago', 'cancelled', ago(31), ago(31), true],
      ['failed 40 days ago (events kept 90)', 'failed', ago(40), ago(40), false],
      ['failed 91 days ago', 'failed', ago(91), ago(91), true],
      ['succeeded exactly 30 days ago', 'succeeded', ago(30), ago(30), false],
      ['held, made 100 days ago', 'held', ago(100), null, false],
      ['made today, succeeded 31 days ago (clock moved)', 'succeeded', NOW, ago(31), true],
    ];
    const ids = await insertDeliveries(
      env().store,
      rows.map(([, status, created, completed]) => ({ ...e, status, due: created, createdMs: created, completedMs: completed })),
    );
    const of = (i: number) => ({ ...e, id: ids[i] });
    const expiredLog = await insertAttempt(env().store, of(1), ago(31));
    const youngLog = await insertAttempt(env().store, of(1), ago(29));
    await insertAttempt(env().store, of(0), ago(1)); // goes with its delivery, however young
    const counts = await pruneExpired(env().store, NOW, DEFAULT_RETENTION, 2);
    expect(counts).toEqual({ deliveries: 5, attempts: 2, events: 0, source_requests: 0, source_deliveries: 0 });
    expect(await kept('deliveries')).toEqual(sorted(ids.filter((_, i) => !rows[i][4])));
    const logs = await env().store.db.selectFrom('attempts').select('id').execute();
    expect(logs.map((x) => Number(x.id))).toEqual([youngLog]);
    expect(logs.map((x) => Number(x.id))).not.toContain(expiredLog);
  });

  it('prunes events older than 90 days, account by account, and records, per account, how far its history now starts, only ever forward', async () => {
    const [a, b] = [await insertAccount(env().store), await insertAccount(env().store)];
    const ea = [await insertEvent(env().store, a, 1, ago(120)), await insertEvent(env().store, a, 2, ago(91)), await insertEvent(env().store, a, 3, ago(90)), await insertEvent(env().store, a, 4, ago(1))];
    await insertEvent(env().store, b, 1, ago(95));
    await insertEvent(env().store, b, 2, ago(95));
    // c has nothing expired: it is left alone and gets no horizon.
    const c = await insertAccount(env().store);
    const ec = await insertEvent(env().store, c, 1, ago(1));
    // b's history was already pruned further by another process's pruner: it stays where it was.
    await env().store.db.insertInto('history_horizons').values({ account_id: b, events_pruned_seq: 7, events_pruned_ms: ago(92) }).execute();
    const counts = await pruneExpired(env().store, NOW, DEFAULT_RETENTION, 2);
    expect(counts).toEqual({ deliveries: 0, attempts: 0, events: 4, source_requests: 0, source_deliveries: 0 });
    expect(await kept('events')).toEqual(sorted([ea[2], ea[3], ec]));
    const horizons = await env().store.db.selectFrom('history_horizons').selectAll().orderBy('account_id').execute();
    expect(horizons.map((h) => [h.account_id, Number(h.events_pruned_seq), Number(h.events_pruned_ms)]).sort()).toEqual(
      [
        [a, 2, ago(91)],
        [b, 7, ago(92)],
      ].sort(),
    );
  });

  it('a zero in the policy keeps that table forever', async () => {
    const accountId = await insertAccount(env().store);
    const e = { accountId, webhookId: await insertWebhook(env().store, accountId) };
    const [id] = await insertDeliveries(env().store, [{ ...e, status: 'succeeded', due: ago(400), createdMs: ago(400), completedMs: ago(400) }]);
    await insertAttempt(env().store, { ...e, id }, ago(400));
    const ev = await insertEvent(env().store, accountId, 1, ago(400));
    expect(await pruneExpired(env().store, NOW, { eventsMs: 0, deliveriesMs: 0, attemptsMs: 0 })).toEqual({ deliveries: 0, attempts: 0, events: 0, source_requests: 0, source_deliveries: 0 });
    expect([await kept('deliveries'), await kept('events')]).toEqual([[id], [ev]]);
  });
});
