import { expect, it } from 'vitest';
import { DISABLE_AFTER_MS, disableLongFailing } from '../../src/delivery/auto-disable.js';
import { describeEachDb } from '../support/env.js';
import { failingStore } from '../support/failing-store.js';
import { recordingLogger } from '../support/log-records.js';
import { attemptResult, claimed, insertAccount, insertWebhook } from '../support/store-rows.js';

/*
 * The 5-day auto-disable (auto-disable.ts), called as the result batcher calls it after a write, with
 * its clock given: which subscriptions of a batch it disables, and what it tells the operator's log.
 * The end-to-end test (endpoint-isolation) shows one disable happens; this one shows which do not.
 */

const NOW = 1_800_000_000_000;

describeEachDb('auto-disable after 5 days of failures', (env) => {
  it('disables a failing stockhook-format endpoint from exactly 5 days on; not a younger failure, a vendor format, nor one whose result succeeded', async () => {
    const store = env().store;
    const accountId = await insertAccount(store);
    const endpoint = (format: string, failingSinceMs: number) => insertWebhook(store, accountId, { format, failing_since_ms: failingSinceMs, url: `http://127.0.0.1:9/${format}-${failingSinceMs}` });
    const due = await endpoint('native', NOW - DISABLE_AFTER_MS);
    const younger = await endpoint('native', NOW - DISABLE_AFTER_MS + 1);
    const vendor = await endpoint('metakocka', NOW - 2 * DISABLE_AFTER_MS);
    const answered = await endpoint('native', NOW - 2 * DISABLE_AFTER_MS);
    const result = (webhookId: string, ok: boolean) => attemptResult(claimed(`d-${webhookId}`, accountId, webhookId), ok, NOW);
    const rec = recordingLogger();
    const failures: string[] = [];
    await disableLongFailing(env().ctx, [result(due, false), result(due, false), result(younger, false), result(vendor, false), result(answered, true)], NOW, (msg) => failures.push(msg), rec.logger);
    const rows = await store.db.selectFrom('webhooks').select(['id', 'enabled', 'disabled_reason']).where('account_id', '=', accountId).execute();
    const state = Object.fromEntries(rows.map((r) => [r.id, [r.enabled, r.disabled_reason]]));
    expect(state).toEqual({
      [due]: [0, 'the endpoint has been failing for 5 days'],
      [younger]: [1, null],
      [vendor]: [1, null],
      [answered]: [1, null],
    });
    // One webhook.disabled event and one warn record, though the batch held two of its failures.
    const events = await store.db.selectFrom('events').select(['type', 'object_id']).where('account_id', '=', accountId).execute();
    expect(events).toEqual([{ type: 'webhook.disabled', object_id: due }]);
    expect(rec.withCode('subscription.auto_disabled').map((r) => [r.subscription, r.account, r.reason])).toEqual([[due, accountId, 'the endpoint has been failing for 5 days']]);
    expect(failures).toEqual([]);
  });

  it('a disable whose write fails is logged as such: the subscription stays enabled and no disable is reported', async () => {
    const store = env().store;
    const accountId = await insertAccount(store);
    const webhookId = await insertWebhook(store, accountId, { failing_since_ms: NOW - DISABLE_AFTER_MS });
    // The read of stale subscriptions works; the disable's write transaction does not.
    const failingWrites = failingStore(store, 'write');
    const rec = recordingLogger();
    const failures: [string, unknown][] = [];
    await disableLongFailing({ ...env().ctx, store: failingWrites }, [attemptResult(claimed('d-away', accountId, webhookId), false, NOW)], NOW, (msg, err) => failures.push([msg, (err as Error)?.message]), rec.logger);
    expect(failures).toEqual([['disable failed', 'database away']]);
    expect(rec.withCode('subscription.auto_disabled')).toEqual([]);
    const row = await store.db.selectFrom('webhooks').select('enabled').where('id', '=', webhookId).executeTakeFirstOrThrow();
    expect(row.enabled).toBe(1);
  });

  it('a batch without a failure reads nothing and disables nothing (an empty list is no query on PostgreSQL)', async () => {
    const store = env().store;
    const accountId = await insertAccount(store);
    const webhookId = await insertWebhook(store, accountId, { failing_since_ms: NOW - 2 * DISABLE_AFTER_MS });
    const failures: string[] = [];
    await disableLongFailing(env().ctx, [attemptResult(claimed('d-ok', accountId, webhookId), true, NOW)], NOW, (msg) => failures.push(msg));
    const row = await store.db.selectFrom('webhooks').select('enabled').where('id', '=', webhookId).executeTakeFirstOrThrow();
    expect([row.enabled, failures]).toEqual([1, []]);
  });
});
