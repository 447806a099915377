import { beforeEach, expect, it } from 'vitest';
import { deliveryStats, MAX_STATS_BUCKETS, MAX_STATS_RANGE_MS } from '../../src/delivery/stats.js';
import { AppError } from '../../src/errors.js';
import type { SubscriptionOwner } from '../../src/webhooks/subscription-row.js';
import { describeEachDb } from '../support/env.js';
import { insertAccount, insertAttempt, insertWebhook } from '../support/store-rows.js';

/*
 * The dashboard's delivery statistics (delivery/stats.ts) at an injected `now`, on attempt rows
 * written straight into the store: buckets aligned to their size, attempts counted in the bucket
 * their start falls in (integer division on both databases), succeeded and failed, p50 and p95 by
 * nearest rank, nothing from before the first bucket, after the last, or another account; the
 * webhook and application filters; and each refused query with its field.
 */

const MIN = 60_000;
const NOW = 1_800_000_000_000; // a whole minute and a whole hour
const ALL = { since: NOW - 3 * MIN + 10_000, bucketSeconds: 60 };

const empty = (at: number) => ({ at: new Date(at).toISOString(), attempts: 0, succeeded: 0, failed: 0, p50Ms: null, p95Ms: null });

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string; details: unknown }> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AppError);
  const { code, message, details } = e as AppError;
  return { code, message, details };
}

describeEachDb('delivery statistics', (env) => {
  let account: string;
  let hook: string;
  let other: string;
  let byApp: string;
  const at = (webhookId: string, startedMs: number, durationMs: number, outcome = 'succeeded', accountId = account) =>
    insertAttempt(env().store, { id: `d-${startedMs}-${durationMs}`, accountId, webhookId }, startedMs, { durationMs, outcome });

  beforeEach(async () => {
    const { store } = env();
    await store.db.deleteFrom('attempts').execute();
    account = await insertAccount(store);
    hook = await insertWebhook(store, account);
    other = await insertWebhook(store, account);
    byApp = await insertWebhook(store, account, { token_kind: 'application', author_application_id: 7 });
  });

  it('counts attempts per aligned bucket, with p50 and p95 by nearest rank, only inside the range and the account', async () => {
    const start = NOW - 3 * MIN;
    // First bucket: five attempts, one failed; p50 is the 3rd, p95 the 5th.
    for (const [i, d] of [30, 10, 50, 20, 40].entries()) await at(hook, start + i * 1000, d, i === 2 ? 'retry' : 'succeeded');
    // Third bucket: one attempt, its duration rounded to hundredths.
    await at(other, start + 2 * MIN + MIN - 1, 7.456);
    // Last bucket (the one now is in, half a minute on): twenty attempts 1..20 ms, five failed; p50 the 10th, p95 the 19th.
    for (let d = 1; d <= 20; d++) await at(d % 4 === 0 ? other : hook, NOW + d * 1000, d, d <= 5 ? 'failed' : 'succeeded');
    // Outside: just before the first bucket, at the end of the last, and another account's in range.
    await at(hook, start - 1, 999);
    await at(hook, NOW + MIN, 999);
    const stranger = await insertAccount(env().store);
    await at(await insertWebhook(env().store, stranger), start + 1, 999, 'succeeded', stranger);

    expect(await deliveryStats(env().store.db, account, ALL, NOW + 30_000)).toEqual({
      since: new Date(start).toISOString(),
      until: new Date(NOW + MIN).toISOString(),
      bucketSeconds: 60,
      buckets: [
        { at: new Date(start).toISOString(), attempts: 5, succeeded: 4, failed: 1, p50Ms: 30, p95Ms: 50 },
        empty(start + MIN),
        { at: new Date(start + 2 * MIN).toISOString(), attempts: 1, succeeded: 1, failed: 0, p50Ms: 7.46, p95Ms: 7.46 },
        { at: new Date(NOW).toISOString(), attempts: 20, succeeded: 15, failed: 5, p50Ms: 10, p95Ms: 19 },
      ],
    });
  });

  it('two attempts in a bucket: p50 is the shorter, p95 the longer; a bucket not a whole number of minutes divides as integers', async () => {
    // 90 s buckets from a since 100 s after an aligned time: the first bucket starts at the aligned 90 s.
    const since = NOW - 270_000 + 100;
    const start = NOW - 270_000;
    await at(hook, start + 89_999, 12);
    await at(hook, start + 90_000, 3);
    await at(hook, start + 179_999, 4);
    const stats = await deliveryStats(env().store.db, account, { since, bucketSeconds: 90 }, NOW);
    expect(stats.since).toBe(new Date(start).toISOString());
    expect(stats.buckets.map((b) => [b.attempts, b.p50Ms, b.p95Ms])).toEqual([
      [1, 12, 12],
      [2, 3, 4],
      [0, null, null],
      [0, null, null],
    ]);
  });

  it('a webhook filter counts that subscription alone; an application counts only the subscriptions it created', async () => {
    await at(hook, NOW - 10, 1);
    await at(other, NOW - 9, 2);
    await at(byApp, NOW - 8, 3);
    const total = async (owner: SubscriptionOwner, webhookId?: string) =>
      (await deliveryStats(env().store.db, owner, { ...ALL, ...(webhookId && { webhookId }) }, NOW)).buckets.reduce((n, b) => n + b.attempts, 0);
    expect(await total(account)).toBe(3);
    expect(await total(account, other)).toBe(1);
    const app = { accountId: account, tokenKind: 'application' as const, applicationId: 7 };
    expect(await total(app)).toBe(1);
    expect(await total({ ...app, applicationId: 8 })).toBe(0);
    // An application token with no application id matches nothing, not everything.
    expect(await total({ ...app, applicationId: null })).toBe(0);
    // A user token of the account sees all three, like the account.
    expect(await total({ accountId: account, tokenKind: 'user', applicationId: null })).toBe(3);
    // Another account's subscription, or one the application did not create: not found.
    const stranger = await insertAccount(env().store);
    const theirs = await insertWebhook(env().store, stranger);
    expect((await refusal(deliveryStats(env().store.db, account, { ...ALL, webhookId: theirs }, NOW))).code).toBe('NOT_FOUND');
    expect((await refusal(deliveryStats(env().store.db, app, { ...ALL, webhookId: hook }, NOW))).code).toBe('NOT_FOUND');
  });

  it('refuses a since that is not a date, more than 7 days back or not in the past, and more than 500 buckets; the bounds themselves pass', async () => {
    const ask = (since: number, bucketSeconds: number) => deliveryStats(env().store.db, account, { since, bucketSeconds }, NOW);
    expect(await refusal(ask(Number.NaN, 60))).toEqual({ code: 'VALIDATION_FAILED', message: 'since must be an ISO date-time', details: { field: 'since' } });
    expect(await refusal(ask(NOW - MAX_STATS_RANGE_MS - 1, 3600))).toEqual({ code: 'VALIDATION_FAILED', message: 'since may be at most 7 days back', details: { field: 'since' } });
    expect(await refusal(ask(NOW, 60))).toEqual({ code: 'VALIDATION_FAILED', message: 'since must be in the past', details: { field: 'since' } });
    expect(await refusal(ask(NOW - MAX_STATS_BUCKETS * MIN, 60))).toEqual({
      code: 'VALIDATION_FAILED',
      message: 'at most 500 buckets: use a larger bucketSeconds or a later since',
      details: { field: 'bucketSeconds' },
    });
    expect((await ask(NOW - MAX_STATS_RANGE_MS, 3600)).buckets).toHaveLength(169);
    expect((await ask(NOW - 1, 60)).buckets).toHaveLength(2);
    expect((await ask(NOW - (MAX_STATS_BUCKETS - 1) * MIN, 60)).buckets).toHaveLength(MAX_STATS_BUCKETS);
    // Half-second buckets: the size is kept as given.
    expect((await ask(NOW - 1000, 0.5)).bucketSeconds).toBe(0.5);
  });
});
