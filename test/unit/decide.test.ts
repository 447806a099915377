import { describe, expect, it } from 'vitest';
import { decide, latestRetry, retryAfterMs, RETRY_AFTER_MAX_MS } from '../../src/delivery/decide.js';
import type { SendOutcome } from '../../src/delivery/sender.js';
import { FORMATS } from '../../src/webhooks/formats/registry.js';

const NOW = 1_700_000_000_000;
const status = (code: number, headers: Record<string, string> = {}, body = ''): SendOutcome => ({ ok: true, status: code, headers, body });
const mid = () => 0.5;

describe('decide: what follows an attempt (pure)', () => {
  it('success ends the delivery and tells the breaker the endpoint works', () => {
    expect(decide(FORMATS.native, null, 1, status(204), NOW, mid)).toEqual({
      outcome: 'succeeded', nextAttemptMs: null, errorKind: null, errorMessage: null, endpointOk: true,
    });
  });

  it('follows the native schedule: attempt n waits schedule[n-1] seconds, ±10% jitter from random()', () => {
    expect(decide(FORMATS.native, null, 1, status(500), NOW, mid)).toMatchObject({ outcome: 'retry', nextAttemptMs: NOW + 5_000, errorKind: 'bad_status', errorMessage: 'HTTP 500', endpointOk: false });
    expect(decide(FORMATS.native, null, 2, status(500), NOW, mid).nextAttemptMs).toBe(NOW + 300_000);
    // random() = 0 gives the earliest (-10%), random() → 1 the latest (+10%).
    expect(decide(FORMATS.native, null, 2, status(500), NOW, () => 0).nextAttemptMs).toBe(NOW + 270_000);
    expect(decide(FORMATS.native, null, 2, status(500), NOW, () => 0.999_999).nextAttemptMs).toBe(NOW + 330_000);
  });

  it('formats without jitter keep their vendor spacing exactly (MetaKocka 60 s, Kladana immediately)', () => {
    expect(decide(FORMATS.metakocka, null, 1, status(500), NOW, () => 0).nextAttemptMs).toBe(NOW + 60_000);
    expect(decide(FORMATS.metakocka, null, 2, status(200, {}, '{"status":"error"}'), NOW, () => 1).nextAttemptMs).toBe(NOW + 60_000);
    expect(decide(FORMATS.kladana, null, 3, status(500), NOW, () => 0.9).nextAttemptMs).toBe(NOW);
  });

  it('runs out after the last scheduled retry: failed, or dropped for Kladana', () => {
    expect(decide(FORMATS.native, null, 8, status(500), NOW, mid)).toMatchObject({ outcome: 'failed', nextAttemptMs: null });
    expect(decide(FORMATS.metakocka, null, 3, status(500), NOW, mid)).toMatchObject({ outcome: 'failed' });
    expect(decide(FORMATS.kladana, null, 4, status(500), NOW, mid)).toMatchObject({ outcome: 'dropped' });
    expect(decide(FORMATS.poster, null, 16, status(500), NOW, mid)).toMatchObject({ outcome: 'failed' });
    expect(decide(FORMATS.poster, null, 15, status(500), NOW, mid)).toMatchObject({ outcome: 'retry' });
  });

  it("a subscription's override replaces the format's schedule, its length included", () => {
    expect(decide(FORMATS.native, [2, 4], 2, status(500), NOW, mid).nextAttemptMs).toBe(NOW + 4_000);
    expect(decide(FORMATS.native, [2, 4], 3, status(500), NOW, mid).outcome).toBe('failed');
  });

  it('410 is gone for formats that say so; bad bodies and transport errors keep their kind', () => {
    expect(decide(FORMATS.native, null, 1, status(410), NOW, mid)).toMatchObject({ outcome: 'gone', nextAttemptMs: null, errorKind: 'bad_status' });
    expect(decide(FORMATS.metakocka, null, 1, status(200, {}, '<html>'), NOW, mid)).toMatchObject({ outcome: 'retry', errorKind: 'bad_body' });
    expect(decide(FORMATS.native, null, 1, { ok: false, kind: 'refused', message: 'ECONNREFUSED' }, NOW, mid)).toMatchObject({
      outcome: 'retry', errorKind: 'refused', errorMessage: 'ECONNREFUSED', endpointOk: false,
    });
  });

  it('Retry-After on 429 and on 503 sets the next attempt, without jitter, for formats that honour it', () => {
    for (const code of [429, 503]) {
      expect(decide(FORMATS.native, null, 1, status(code, { 'retry-after': '120' }), NOW, () => 0).nextAttemptMs).toBe(NOW + 120_000);
      expect(decide(FORMATS.poster, null, 1, status(code, { 'retry-after': '7' }), NOW, () => 0).nextAttemptMs).toBe(NOW + 7_000);
    }
    // Not on other statuses, and not for formats whose vendor promises a fixed spacing.
    expect(decide(FORMATS.native, null, 1, status(500, { 'retry-after': '120' }), NOW, mid).nextAttemptMs).toBe(NOW + 5_000);
    expect(decide(FORMATS.metakocka, null, 1, status(503, { 'retry-after': '5' }), NOW, mid).nextAttemptMs).toBe(NOW + 60_000);
    // An unreadable Retry-After falls back to the schedule.
    expect(decide(FORMATS.native, null, 1, status(503, { 'retry-after': 'soon' }), NOW, mid).nextAttemptMs).toBe(NOW + 5_000);
  });
});

describe('decide: the edges of its answers', () => {
  it('only 2xx statuses are bad bodies; 1xx and 3xx a format rejects are bad statuses', () => {
    expect(decide(FORMATS.native, null, 1, status(199), NOW, mid)).toMatchObject({ errorKind: 'bad_status', errorMessage: 'HTTP 199' });
    expect(decide(FORMATS.native, null, 1, status(300), NOW, mid)).toMatchObject({ errorKind: 'bad_status', errorMessage: 'HTTP 300' });
    expect(decide(FORMATS.metakocka, null, 1, status(299, {}, '<html>'), NOW, mid)).toMatchObject({ errorKind: 'bad_body' });
  });

  it('gone and a closed retry window tell the breaker the endpoint failed', () => {
    expect(decide(FORMATS.native, null, 1, status(410), NOW, mid)).toEqual({
      outcome: 'gone', nextAttemptMs: null, errorKind: 'bad_status', errorMessage: 'HTTP 410 Gone', endpointOk: false,
    });
    expect(decide(FORMATS.poster, null, 5, status(500), NOW, mid, NOW - 2 * 86_400_000)).toEqual({
      outcome: 'failed', nextAttemptMs: null, errorKind: 'bad_status', errorMessage: 'HTTP 500 (Poster counts only 200 as delivered)', endpointOk: false,
    });
  });
});

describe("Poster's two days", () => {
  const DAY = 86_400_000;
  it('a Retry-After or an override never pushes a retry past 48 h after the delivery was created', () => {
    const created = NOW - 47 * 3600_000;
    // Retry-After 24 h, one hour before the window closes with twelve retries still to come: no room
    // to put it off, so the retry keeps the schedule's time (attempt 3: 120 s).
    expect(decide(FORMATS.poster, null, 3, status(503, { 'retry-after': '86400' }), NOW, mid, created).nextAttemptMs).toBe(NOW + 120_000);
    // The last retry, 30 h in, has only itself to fit: put off to the window's end, less its request's allowance.
    const earlier = NOW - 30 * 3600_000;
    expect(decide(FORMATS.poster, null, 15, status(503, { 'retry-after': '86400' }), NOW, mid, earlier).nextAttemptMs).toBe(earlier + 2 * DAY - 75_000);
    expect(latestRetry(FORMATS.poster, FORMATS.poster.retrySchedule, 15, earlier)).toBe(earlier + 2 * DAY - 75_000);
    expect(decide(FORMATS.poster, [100_000], 1, status(500), NOW, mid, created).nextAttemptMs).toBe(created + 2 * DAY);
    // Inside the window the schedule stands.
    expect(decide(FORMATS.poster, null, 1, status(500), NOW, () => 0.5, NOW).nextAttemptMs).toBe(NOW + 30_000);
  });

  it('an attempt failing once the window has closed ends the delivery', () => {
    expect(decide(FORMATS.poster, null, 5, status(500), NOW, mid, NOW - 2 * DAY)).toMatchObject({ outcome: 'failed', nextAttemptMs: null });
    // Formats without a window are unaffected by the delivery's age.
    expect(decide(FORMATS.native, null, 5, status(500), NOW, mid, NOW - 30 * DAY).outcome).toBe('retry');
  });

  // Seed 004 (004_a1bb63d8532f2e59.txt): "попытаемся отправить его еще 15 раз в течение двух дней"
  // (we will try to send it 15 more times within two days), whatever Retry-After says.
  it('Retry-After puts a retry off only as far as the tries after it still fit: 15 retries within two days', () => {
    const created = NOW;
    let now = created;
    const tries = [now];
    for (let attemptNo = 1; ; attemptNo++) {
      // Every try answered 503 Retry-After: 24 h, after its whole 15 s timeout, +10 % jitter on every delay.
      now += 15_000;
      const d = decide(FORMATS.poster, null, attemptNo, status(503, { 'retry-after': '86400' }), now, () => 0.999_999, created);
      if (d.outcome !== 'retry') {
        expect(d.outcome).toBe('failed');
        break;
      }
      now = d.nextAttemptMs as number;
      tries.push(now);
    }
    expect(tries).toHaveLength(16);
    expect(tries[15] + 15_000).toBeLessThanOrEqual(created + 2 * DAY);
    // Honoured as far as it could be: the first retry waits hours, not the schedule's 30 s.
    expect(tries[1] - tries[0]).toBeGreaterThan(4 * 3600_000);
    // A Retry-After shorter than the schedule is honoured as it is.
    expect(decide(FORMATS.poster, null, 2, status(429, { 'retry-after': '5' }), NOW, mid, NOW).nextAttemptMs).toBe(NOW + 5_000);
  });

  it('the default schedule fits in the window even at +10 % jitter', () => {
    const total = FORMATS.poster.retrySchedule.reduce((a, b) => a + b, 0) * 1.1 * 1000;
    expect(total).toBeLessThan(2 * DAY);
  });
});

describe('retryAfterMs', () => {
  it.each([
    ['120', 120_000],
    [' 3 ', 3_000],
    ['0', 1_000], // clamped up to 1 s
    ['999999999', RETRY_AFTER_MAX_MS], // clamped down to 24 h
    [new Date(NOW + 90_000).toUTCString(), 90_000],
    [new Date(NOW - 90_000).toUTCString(), 1_000],
    [new Date(NOW + 3 * 86_400_000).toUTCString(), RETRY_AFTER_MAX_MS],
  ])('%s → %d ms', (value, ms) => {
    expect(retryAfterMs(value, NOW)).toBe(ms);
  });

  it.each([undefined, '', 'soon', '-5', '1.5', 'soon GMT', 'Sun, 06 Dec 2026 21:00:00 GMT+0200'])('%s is unreadable', (value) => {
    expect(retryAfterMs(value, NOW)).toBeUndefined();
  });

  it('takes the first of repeated headers', () => {
    expect(retryAfterMs(['10', '20'], NOW)).toBe(10_000);
  });
});
