import { afterAll, beforeAll, expect, it } from 'vitest';
import { attempt, retriesAtOnce, type Attempt } from '../../src/delivery/attempt.js';
import { LOGGED_BODY_BYTES } from '../../src/delivery/finish.js';
import { Sender } from '../../src/delivery/sender.js';
import { toSubscription, type Subscription } from '../../src/webhooks/subscription-row.js';
import type { WebhookTable } from '../../src/storage/schema.js';
import type { Insertable } from 'kysely';
import { describeEachDb } from '../support/env.js';
import { Receiver } from '../support/receiver.js';
import { claimed, deliveryRows, insertAccount, insertDeliveries, insertWebhook } from '../support/store-rows.js';

/*
 * One attempt (attempt.ts), against a real endpoint and a real store, with the dispatcher's clock
 * given: what the result records, when the subscription being removed goes with it, and the two
 * ways nothing reaches the endpoint (the format refuses the send; the format fails).
 */

const T = 1_800_000_000_000;
const OWNER = 'attempt-test';

describeEachDb('one delivery attempt', (env) => {
  let rx: Receiver;
  let sender: Sender;
  beforeAll(async () => {
    rx = await Receiver.start((r) => (r.path === '/big' ? { status: 200, body: 'b'.repeat(LOGGED_BODY_BYTES + 100) } : r.path === '/fail' ? { status: 500 } : { status: 200, body: 'ok' }));
    sender = new Sender({ allowPrivateTargets: true, connectionsPerPool: 2 });
  });
  afterAll(async () => {
    await sender.close();
    await rx.close();
  });

  /** A subscription row of a fresh account, and a delivery of it leased to OWNER. */
  async function leased(path: string, extra: Partial<Insertable<WebhookTable>> = {}, eventType = 'stock.changed', body = '{"row":0}') {
    const accountId = await insertAccount(env().store);
    const webhookId = await insertWebhook(env().store, accountId, { url: rx.url(path), ...extra });
    const [id] = await insertDeliveries(env().store, [{ accountId, webhookId, due: T, owner: OWNER, attempts: 2 }]);
    const row = await env().store.db.selectFrom('webhooks').selectAll().where('id', '=', webhookId).executeTakeFirstOrThrow();
    const sub: Subscription = toSubscription(row);
    return { sub, d: { ...claimed(id, accountId, webhookId, 2), url: rx.url(path), eventType, body } };
  }
  const opts = (clock: number) => ({ clock: () => clock, random: () => 0.5 });

  it('records the try as the dispatcher clock saw it: its number, its start, the answer, the logged body cut at 8 KiB, credentials masked', async () => {
    const { sub, d } = await leased('/big', { bearer_token: 'secret-token' });
    const made = await attempt(env().ctx, sender, OWNER, opts(T + 5), d, sub);
    expect(made?.now).toBe(T + 5);
    expect(made?.result).toMatchObject({ attemptNo: 3, startedMs: T + 5, responseStatus: 200, outcome: 'succeeded', nextAttemptMs: null, errorKind: null, endsSubscription: false });
    expect(made?.result.responseBody).toBe('b'.repeat(LOGGED_BODY_BYTES));
    expect(made?.result.requestHeaders.authorization).toBe('Bearer ***');
    expect(rx.on('/big').at(-1)?.headers.authorization).toBe('Bearer secret-token');
  });

  it("the last hook of a subscription being removed ends it once that hook is over; not while it retries, nor another event's", async () => {
    const removing = { removing_ms: T - 1000, retry_schedule: JSON.stringify([60, 60, 60, 60]) };
    const ends = async (path: string, eventType: string, extra: Partial<Insertable<WebhookTable>> = removing) => {
      const { sub, d } = await leased(path, extra, eventType);
      return (await attempt(env().ctx, sender, OWNER, opts(T), d, sub))?.result;
    };
    expect(await ends('/ok', 'application.uninstalled')).toMatchObject({ outcome: 'succeeded', endsSubscription: true });
    expect(await ends('/fail', 'application.uninstalled')).toMatchObject({ outcome: 'retry', endsSubscription: false });
    expect(await ends('/ok', 'stock.changed')).toMatchObject({ outcome: 'succeeded', endsSubscription: false });
    // An uninstall's hook to a subscription not being removed ends nothing.
    expect(await ends('/ok', 'application.uninstalled', {})).toMatchObject({ outcome: 'succeeded', endsSubscription: false });
  });

  it('a send the format refuses is not made: no attempt, the delivery is cancelled with the reason at the clock’s time', async () => {
    // A Poster hook carrying an application's token, to a subscription that application did not create.
    const body = JSON.stringify({ account: 'a', account_number: '1', object: 'application', object_id: 7, action: 'added', data: '{}' });
    const { sub, d } = await leased('/refused', { format: 'poster', author_application_id: 8 }, 'application.installed', body);
    expect(await attempt(env().ctx, sender, OWNER, opts(T + 7), d, sub)).toBeNull();
    const [row] = await deliveryRows(env().store, [d.id]);
    expect([row?.status, row?.last_error, Number(row?.completed_ms), row?.lease_owner]).toEqual(['cancelled', 'application 7 is not installed any more: its access token is gone', T + 7, null]);
    expect(rx.on('/refused')).toEqual([]);
  });

  it('a format that fails while preparing the request still ends in a logged failed try, never in an exception', async () => {
    const { sub, d } = await leased('/broken', { format: 'poster' }, 'document.posted', 'not json');
    const made = await attempt(env().ctx, sender, OWNER, opts(T), d, sub);
    expect(made?.result).toMatchObject({ attemptNo: 3, errorKind: 'other', responseStatus: null, responseBody: null });
    expect(made?.result.errorMessage).toMatch(/JSON/);
    expect(rx.on('/broken')).toEqual([]);
  });
});

it('a retry is made at once only when its delay is zero: due at the decision, not a millisecond later', () => {
  const made = (outcome: 'retry' | 'failed', nextAttemptMs: number | null): Attempt =>
    ({ now: T, decision: { outcome, nextAttemptMs, errorKind: null, errorMessage: null, endpointOk: false } }) as unknown as Attempt;
  expect(retriesAtOnce(made('retry', T))).toBe(true);
  expect(retriesAtOnce(made('retry', T + 1))).toBe(false);
  expect(retriesAtOnce(made('failed', null))).toBe(false);
  // Only a retry is retried: an outcome that ends the delivery never is, whatever time it carries.
  expect(retriesAtOnce(made('failed', T))).toBe(false);
  // A retry without a time is not due at once (null would compare as 0 and look long due).
  expect(retriesAtOnce(made('retry', null))).toBe(false);
});
