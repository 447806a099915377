import { describe, expect, it } from 'vitest';
import { admission, afterAttempt, liftedElsewhere, pauseMeans, readPause, type PauseRow } from '../../src/delivery/breaker/decisions.js';
import { Breakers } from '../../src/delivery/breaker/local.js';

/**
 * The endpoint breaker's decisions (delivery/breaker/decisions.ts), one row each, exact values. The
 * shared-pause tests (test/webhooks/shared-breaker.test.ts) prove the module acts on them against
 * real databases and several workers; these prove what it decides.
 */
const T = 1_700_000_000_000;
const row = (over: Partial<PauseRow> = {}): PauseRow => ({ id: 'e', until: T, cooldownMs: 600, probeOwner: null, probeUntil: null, ...over });

describe('reading a pause row', () => {
  const rows: [string, PauseRow, number, ReturnType<typeof readPause>][] = [
    ['before its end', row(), T - 1, 'paused'],
    ['before its end, even with this worker named as prober', row({ probeOwner: 'me', probeUntil: T + 5_000 }), T - 1, 'paused'],
    ['at its end, no prober', row(), T, 'probe open'],
    ['over, this worker holds the probe with a live lease', row({ probeOwner: 'me', probeUntil: T + 5_000 }), T + 4_999, 'probe mine'],
    ['over, this worker’s probe lease ran out', row({ probeOwner: 'me', probeUntil: T + 5_000 }), T + 5_000, 'probe open'],
    ['over, another worker holds the probe', row({ probeOwner: 'other', probeUntil: T + 5_000 }), T + 1, 'probe open'],
    ['over, a prober named without a lease', row({ probeOwner: 'me', probeUntil: null }), T + 1, 'probe open'],
  ];
  it.each(rows)('%s', (_name, r, now, reading) => {
    expect(readPause(r, now, 'me')).toBe(reading);
  });
});

describe('what a pause means once the probe is settled', () => {
  const rows: [Parameters<typeof pauseMeans>[0], { hold: boolean; mirror: boolean }][] = [
    ['paused', { hold: true, mirror: true }],
    ['probe mine', { hold: false, mirror: true }],
    ['probe won', { hold: false, mirror: true }],
    ['probe lost', { hold: true, mirror: false }],
  ];
  it.each(rows)('%s', (reading, means) => {
    expect(pauseMeans(reading)).toEqual(means);
  });
});

describe('pauses lifted by another worker', () => {
  const rows: [string, string[], string[], string[], string[]][] = [
    ['nothing paused here', [], ['a'], [], []],
    ['still recorded', ['a'], ['a'], [], []],
    ['no longer recorded: lifted', ['a', 'b'], ['b'], [], ['a']],
    ['no longer recorded but this worker is writing it', ['a'], [], ['a'], []],
    ['several', ['a', 'b', 'c'], ['b'], ['c'], ['a']],
  ];
  it.each(rows)('%s', (_name, paused, recorded, publishing, lifted) => {
    expect(liftedElsewhere(paused, new Set(recorded), new Set(publishing))).toEqual(lifted);
  });
});

describe('what an attempt’s result changes', () => {
  type Row = [string, Parameters<typeof afterAttempt>[0], ReturnType<typeof afterAttempt>];
  const rows: Row[] = [
    ['a failure that opens the breaker: paused, shared', { protections: true, wasPaused: false, ok: false, reopenAt: T }, { change: 'paused', write: 'publish' }],
    ['a failed probe reopens it: paused again, shared', { protections: true, wasPaused: true, ok: false, reopenAt: T }, { change: 'paused', write: 'publish' }],
    ['a good probe: resumed, the pause lifted for all', { protections: true, wasPaused: true, ok: true, reopenAt: null }, { change: 'resumed', write: 'lift' }],
    ['a failure below the threshold: nothing', { protections: true, wasPaused: false, ok: false, reopenAt: null }, { change: null, write: null }],
    ['a failure while already open (sent before it opened): nothing', { protections: true, wasPaused: true, ok: false, reopenAt: null }, { change: null, write: null }],
    ['a success while closed: nothing', { protections: true, wasPaused: false, ok: true, reopenAt: null }, { change: null, write: null }],
    ['a vendor format’s failure: never pauses', { protections: false, wasPaused: false, ok: false, reopenAt: null }, { change: null, write: null }],
    ['a vendor format’s success on an endpoint seen paused: resumed, nothing written', { protections: false, wasPaused: true, ok: true, reopenAt: null }, { change: 'resumed', write: null }],
  ];
  it.each(rows)('%s', (_name, a, out) => {
    expect(afterAttempt(a)).toEqual(out);
  });
});

describe('whether a queued delivery may go out', () => {
  const rows: [string, boolean, number | null, number, ReturnType<typeof admission>][] = [
    ['the breaker let it through', true, null, T, { send: true }],
    ['the probe the breaker handed out', true, T, T, { send: true }],
    ['open: given back until the reopen', false, T + 100, T, { send: false, giveBackUntil: T + 100 }],
    ['half-open, the probe in flight: kept for the probe’s end', false, T, T, { send: false, giveBackUntil: null }],
    ['refused with no reopen known: kept', false, null, T, { send: false, giveBackUntil: null }],
  ];
  it.each(rows)('%s', (_name, acquired, reopenAt, now, out) => {
    expect(admission(acquired, reopenAt, now)).toEqual(out);
  });

  it('over a real breaker: closed, open, the one probe, the probe in flight', () => {
    const b = new Breakers({ threshold: 1, cooldownMs: 100, maxCooldownMs: 100 });
    const may = (now: number) => admission(b.acquire('e', now), b.reopenAt('e'), now);
    expect(may(0)).toEqual({ send: true });
    b.record('e', false, 0);
    expect([may(50), may(100), may(100)]).toEqual([{ send: false, giveBackUntil: 100 }, { send: true }, { send: false, giveBackUntil: null }]);
  });
});
