import { describe, expect, it } from 'vitest';
import { DEFAULT_FETCH_RETRY, nextFetch, type FetchRetryPolicy } from '../../src/sources/fetch-retry.js';

/*
 * When a Kladana report whose fetch failed is fetched again: a pure function of the policy, the
 * tries made, when the notification came and the (injected) clock.
 */

const T0 = Date.UTC(2026, 11, 7, 2, 0, 0);
const SMALL: FetchRetryPolicy = { firstDelayMs: 1000, maxDelayMs: 8000, maxAttempts: 6, maxAgeMs: 60_000 };

describe('nextFetch', () => {
  const table: Array<[string, FetchRetryPolicy, number, number, { retry: true; delayMs: number } | { retry: false }]> = [
    ['the first failure waits the first delay', SMALL, 1, T0, { retry: true, delayMs: 1000 }],
    ['each later failure doubles it', SMALL, 2, T0 + 1000, { retry: true, delayMs: 2000 }],
    ['… and again', SMALL, 3, T0 + 3000, { retry: true, delayMs: 4000 }],
    ['up to the cap', SMALL, 4, T0 + 7000, { retry: true, delayMs: 8000 }],
    ['and no further', SMALL, 5, T0 + 15_000, { retry: true, delayMs: 8000 }],
    ['the last try allowed failed: give up', SMALL, 6, T0 + 23_000, { retry: false }],
    ['past the tries (a policy lowered meanwhile): give up', SMALL, 9, T0 + 23_000, { retry: false }],
    ['a next try later than maxAge after the notification: give up', SMALL, 2, T0 + 58_500, { retry: false }],
    ['a next try exactly at maxAge is still made', SMALL, 2, T0 + 58_000, { retry: true, delayMs: 2000 }],
    ['a huge try count does not overflow the cap', { ...SMALL, maxAttempts: 10_000, maxAgeMs: Infinity }, 5000, T0, { retry: true, delayMs: 8000 }],
    ['default: 1 s first', DEFAULT_FETCH_RETRY, 1, T0, { retry: true, delayMs: 1000 }],
    ['default: 256 s at the ninth failure', DEFAULT_FETCH_RETRY, 9, T0 + 511_000, { retry: true, delayMs: 256_000 }],
    ['default: capped at 5 minutes', DEFAULT_FETCH_RETRY, 10, T0 + 767_000, { retry: true, delayMs: 300_000 }],
    ['default: the twelfth failure gives up', DEFAULT_FETCH_RETRY, 12, T0 + 1_111_000, { retry: false }],
  ];
  it.each(table)('%s', (_what, policy, attempts, now, expected) => {
    const d = nextFetch(policy, attempts, T0, now);
    if (expected.retry) expect(d).toEqual({ retry: true, delayMs: expected.delayMs, atMs: now + expected.delayMs });
    else expect(d).toMatchObject({ retry: false, reason: expect.stringContaining(`${attempts} tries`) });
  });

  it('the default schedule tries for about 19 minutes, 12 tries in all, well within its hour', () => {
    let now = T0;
    let attempts = 1;
    for (;;) {
      const d = nextFetch(DEFAULT_FETCH_RETRY, attempts, T0, now);
      if (!d.retry) break;
      now = d.atMs;
      attempts += 1;
    }
    expect(attempts).toBe(12);
    expect(now - T0).toBe(1_111_000);
  });
});
