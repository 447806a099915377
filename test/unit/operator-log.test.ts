import { describe, expect, it } from 'vitest';
import type { Attempt } from '../../src/delivery/attempt.js';
import type { ClaimedDelivery } from '../../src/delivery/claim.js';
import type { Decision } from '../../src/delivery/decide.js';
import { logAttempt, logAutoDisabled, logPaused, logResumed } from '../../src/delivery/operator-log.js';
import type { EventLog } from '../../src/log-events.js';
import { subscriptionRow } from '../support/subscription.js';

/*
 * The operator's log records of delivery (delivery/operator-log.ts), each whole: its level, its
 * fields and its message, for every outcome an attempt can have. The end-to-end test
 * (test/webhooks/delivery-logs.test.ts) reaches them through real deliveries; here each branch of
 * the message is pinned, since an operator reads the message and a log search matches on it.
 */

const T = Date.UTC(2027, 0, 15, 8, 0, 0);
const sub = subscriptionRow({ id: 'wh_1', accountId: 'acc_1', url: 'https://shop.example/hook?token=secret' });
const d: ClaimedDelivery = {
  id: 'del_1',
  accountId: 'acc_1',
  subscriptionId: 'wh_1',
  eventId: 'evt_1',
  eventType: 'stock.changed',
  attempts: 2,
  url: sub.url,
  headers: {},
  body: '{}',
  createdMs: T - 1000,
};

function recorder(): { log: EventLog; records: Array<{ level: string; fields: Record<string, unknown>; msg: string }> } {
  const records: Array<{ level: string; fields: Record<string, unknown>; msg: string }> = [];
  const at = (level: string) => (fields: Record<string, unknown>, msg: string) => void records.push({ level, fields, msg });
  return { log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } as unknown as EventLog, records };
}

const made = (decision: Partial<Decision>, status: number | null = 500): Attempt => ({
  result: {
    delivery: d,
    attemptNo: 3,
    startedMs: T,
    durationMs: 12.6,
    requestHeaders: {},
    responseStatus: status,
    responseHeaders: null,
    responseBody: null,
    errorKind: decision.errorKind ?? null,
    errorMessage: decision.errorMessage ?? null,
    outcome: decision.outcome ?? 'retry',
    nextAttemptMs: decision.nextAttemptMs ?? null,
  },
  decision: { outcome: 'retry', nextAttemptMs: null, errorKind: null, errorMessage: null, endpointOk: false, ...decision },
  now: T + 13,
});

const about = { subscription: 'wh_1', account: 'acc_1', delivery: 'del_1', eventType: 'stock.changed', format: 'native', endpoint: 'https://shop.example/hook', attempt: 3, durationMs: 13 };

describe('operator log records of delivery', () => {
  it('a success is one debug record, without the query of the URL', () => {
    const { log, records } = recorder();
    logAttempt(log, d, sub, made({ outcome: 'succeeded', endpointOk: true }, 200));
    expect(records).toEqual([
      { level: 'debug', fields: { code: 'delivery.succeeded', ...about, status: 200 }, msg: 'webhook delivered to https://shop.example/hook (attempt 3, HTTP 200)' },
    ]);
  });

  it.each([
    [
      'a retry, with its time',
      { outcome: 'retry', nextAttemptMs: T + 60_000, errorKind: 'bad_status', errorMessage: 'HTTP 500' },
      500,
      'webhook attempt 3 to https://shop.example/hook failed: HTTP 500; retry at 2027-01-15T08:01:00.000Z',
      '2027-01-15T08:01:00.000Z',
    ],
    ['gone', { outcome: 'gone', errorKind: 'bad_status', errorMessage: null }, 410, 'webhook attempt 3 to https://shop.example/hook failed: bad_status; the endpoint is gone', null],
    ['failed for good, named by its kind alone', { outcome: 'failed', errorKind: 'dns', errorMessage: null }, null, 'webhook attempt 3 to https://shop.example/hook failed: dns; no retry (failed)', null],
    ['dropped, with neither message nor kind', { outcome: 'dropped' }, 400, 'webhook attempt 3 to https://shop.example/hook failed: failed; no retry (dropped)', null],
  ] as const)('a failed attempt, %s: one warn record with the outcome and the next time', (_, decision, status, msg, nextAttemptAt) => {
    const { log, records } = recorder();
    logAttempt(log, d, sub, made(decision as Partial<Decision>, status));
    expect(records).toEqual([
      {
        level: 'warn',
        fields: {
          code: 'delivery.attempt_failed',
          ...about,
          status,
          errorKind: 'errorKind' in decision ? decision.errorKind : null,
          error: 'errorMessage' in decision ? decision.errorMessage : null,
          outcome: decision.outcome,
          nextAttemptAt,
        },
        msg,
      },
    ]);
  });

  it("the breaker's pause, its resume and a subscription stockhook disabled", () => {
    const { log, records } = recorder();
    logPaused(log, sub, T + 30_000, 30_000);
    logResumed(log, sub);
    logAutoDisabled(log, sub, 'the endpoint answered 410 Gone');
    expect(records).toEqual([
      {
        level: 'warn',
        fields: { code: 'breaker.paused', subscription: 'wh_1', account: 'acc_1', endpoint: 'https://shop.example/hook', until: '2027-01-15T08:00:30.000Z', cooldownMs: 30_000 },
        msg: 'deliveries to https://shop.example/hook paused until 2027-01-15T08:00:30.000Z after repeated failures (circuit breaker open)',
      },
      {
        level: 'info',
        fields: { code: 'breaker.resumed', subscription: 'wh_1', account: 'acc_1', endpoint: 'https://shop.example/hook' },
        msg: 'deliveries to https://shop.example/hook resumed: the probe succeeded',
      },
      {
        level: 'warn',
        fields: { code: 'subscription.auto_disabled', subscription: 'wh_1', account: 'acc_1', endpoint: 'https://shop.example/hook', reason: 'the endpoint answered 410 Gone' },
        msg: 'subscription wh_1 to https://shop.example/hook disabled: the endpoint answered 410 Gone',
      },
    ]);
  });

  it('no log given: nothing happens', () => {
    expect(() => logAttempt(undefined, d, sub, made({ outcome: 'retry' }))).not.toThrow();
  });
});
