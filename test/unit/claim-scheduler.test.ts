import { describe, expect, it } from 'vitest';
import {
  BACKOFF_MS,
  initialState,
  step,
  type ClaimTurn,
  type Decision,
  type Dry,
  type Mode,
  type SchedulerEvent,
  type SchedulerState,
} from '../../src/delivery/claim-scheduler.js';

/**
 * The claim scheduler (claim-scheduler.ts): one row per (state, event) -> (state, decision), exact
 * values. The dispatcher's tests (test/webhooks) prove the loop does what it decides against real
 * databases and sockets; these prove what it decides.
 */
const POLL = 2_000;
const T = 1_700_000_000_000;
const base = initialState(POLL);
const st = (over: Partial<SchedulerState> = {}): SchedulerState => ({ ...base, ...over });

/** Subscriptions s1, s2 belong to account A, s3 to B. */
const ACCOUNTS: Record<string, string> = { s1: 'A', s2: 'A', s3: 'B' };
const accountOf = (id: string): string | undefined => ACCOUNTS[id];
const excluded = (subscriptions: string[], accounts: string[]): SchedulerEvent => ({ type: 'excluded', subscriptions, accounts, accountOf });

const EXCLUDING: Mode = { name: 'EXCLUDING', now: T, limit: 100 };
const claimTurn = (over: Partial<ClaimTurn> = {}): ClaimTurn => ({ limit: 100, keys: ['s1'], unknownWork: false, fresh: [], priorDry: null, ...over });
const CLAIMING = (over: Partial<ClaimTurn> = {}): Mode => ({ name: 'CLAIMING', claim: claimTurn(over) });
const NEXT_DUE = (over: Partial<ClaimTurn> = {}): Mode => ({ name: 'NEXT_DUE', claim: claimTurn(over) });
const DRY_S1: Dry = { exclude: ['s1'], until: T + 1_500 };

const READY: Mode = { name: 'READY' };
const FULL: Mode = { name: 'FULL' };
const DRY: Mode = { name: 'DRY' };
const BACKOFF: Mode = { name: 'BACKOFF' };
const STOPPED: Mode = { name: 'STOPPED' };

const NONE: Decision = { kind: 'none' };
const WAKE: Decision = { kind: 'wake' };
const TURN: Decision = { kind: 'turn' };
const STOP: Decision = { kind: 'stop' };
const rest = (until: number): Decision => ({ kind: 'rest', until });
const claim = (subscriptions: string[], accounts: string[], limit = 100): Decision => ({ kind: 'claim', limit, now: T, subscriptions, accounts });

interface Row {
  name: string;
  from: SchedulerState;
  event: SchedulerEvent;
  to: SchedulerState;
  decision: Decision;
}

const rows: Row[] = [
  // Wakes: what was committed, and whether it ends the rest.
  { name: 'wake for unknown work: claim', from: st({ mode: DRY }), event: { type: 'wake', atShare: [] }, to: st({ mode: DRY, unknownWork: true, woken: true }), decision: WAKE },
  { name: 'wake with no accounts is unknown work', from: st({ mode: DRY }), event: { type: 'wake', accounts: [], atShare: [] }, to: st({ mode: DRY, unknownWork: true, woken: true }), decision: WAKE },
  { name: 'wake for an account below its share: claim', from: st({ mode: DRY }), event: { type: 'wake', accounts: ['A'], atShare: [] }, to: st({ mode: DRY, newWorkOf: new Set(['A']), woken: true }), decision: WAKE },
  { name: 'wake for an account at its share: remembered, no claim', from: st({ mode: DRY }), event: { type: 'wake', accounts: ['A'], atShare: ['A'] }, to: st({ mode: DRY, newWorkOf: new Set(['A']) }), decision: NONE },
  { name: 'wake for one account at its share and one below: claim', from: st({ mode: DRY, newWorkOf: new Set(['A']) }), event: { type: 'wake', accounts: ['A', 'B'], atShare: ['A'] }, to: st({ mode: DRY, newWorkOf: new Set(['A', 'B']), woken: true }), decision: WAKE },
  // Completions: a claim is worth running only if the completion made room a claim can fill.
  { name: 'completion when full: claim', from: st({ mode: FULL }), event: { type: 'completed', wasFull: true, wasAtShare: true, atShare: true, subscriptionAtLimit: true }, to: st({ mode: FULL, woken: true }), decision: WAKE },
  { name: 'completion brings the account below its share: claim', from: st({ mode: DRY }), event: { type: 'completed', wasFull: false, wasAtShare: true, atShare: false, subscriptionAtLimit: true }, to: st({ mode: DRY, woken: true }), decision: WAKE },
  { name: 'completion leaves its subscription below its limit, account below share: claim', from: st({ mode: DRY }), event: { type: 'completed', wasFull: false, wasAtShare: false, atShare: false, subscriptionAtLimit: false }, to: st({ mode: DRY, woken: true }), decision: WAKE },
  { name: 'completion with the account still at its share: no claim', from: st({ mode: DRY }), event: { type: 'completed', wasFull: false, wasAtShare: true, atShare: true, subscriptionAtLimit: false }, to: st({ mode: DRY }), decision: NONE },
  { name: 'completion with the subscription still at its limit: no claim', from: st({ mode: DRY }), event: { type: 'completed', wasFull: false, wasAtShare: false, atShare: false, subscriptionAtLimit: true }, to: st({ mode: DRY }), decision: NONE },
  { name: 'queued deliveries given back: claim', from: st({ mode: FULL }), event: { type: 'gaveBack' }, to: st({ mode: FULL, woken: true }), decision: WAKE },
  // Retries: no commit announces them.
  { name: 'a retry earlier than any scheduled: remembered, ends the rest', from: st({ mode: DRY, dry: DRY_S1 }), event: { type: 'retryScheduled', at: T + 500 }, to: st({ mode: DRY, dry: DRY_S1, retryDue: T + 500, woken: true }), decision: WAKE },
  { name: 'a retry later than one scheduled: nothing', from: st({ mode: DRY, retryDue: T + 500 }), event: { type: 'retryScheduled', at: T + 900 }, to: st({ mode: DRY, retryDue: T + 500 }), decision: NONE },
  { name: 'a retry at the same time as one scheduled: nothing', from: st({ mode: DRY, retryDue: T + 500 }), event: { type: 'retryScheduled', at: T + 500 }, to: st({ mode: DRY, retryDue: T + 500 }), decision: NONE },
  // Ticks: the start of a turn.
  { name: 'tick with room: read the exclusions', from: st(), event: { type: 'tick', now: T, limit: 100 }, to: st({ mode: EXCLUDING }), decision: { kind: 'exclude', now: T } },
  { name: 'tick with no room: rest until the poll', from: st(), event: { type: 'tick', now: T, limit: 0 }, to: st({ mode: FULL }), decision: rest(T + POLL) },
  { name: 'tick with no room, woken: the wake is cleared and the loop rests (livelock guard)', from: st({ mode: FULL, woken: true, unknownWork: true }), event: { type: 'tick', now: T, limit: 0 }, to: st({ mode: FULL, unknownWork: true }), decision: rest(T + POLL) },
  { name: 'tick after a dry rest', from: st({ mode: DRY, dry: DRY_S1 }), event: { type: 'tick', now: T, limit: 100 }, to: st({ mode: EXCLUDING, dry: DRY_S1 }), decision: { kind: 'exclude', now: T } },
  { name: 'tick after a backoff', from: st({ mode: BACKOFF, woken: true }), event: { type: 'tick', now: T, limit: 100 }, to: st({ mode: EXCLUDING, woken: true }), decision: { kind: 'exclude', now: T } },
  { name: 'tick after a full rest, room now', from: st({ mode: FULL }), event: { type: 'tick', now: T, limit: 100 }, to: st({ mode: EXCLUDING }), decision: { kind: 'exclude', now: T } },
  // Exclusions read: claim, or trust the last dry answer.
  {
    name: 'no dry answer: claim outside the exclusions',
    from: st({ mode: EXCLUDING, woken: true }),
    event: excluded(['s1'], ['B']),
    to: st({ mode: CLAIMING({ keys: ['s1', 'account:B'] }) }),
    decision: claim(['s1'], ['B']),
  },
  {
    name: 'dry, nothing new, same exclusions: rest until the dry answer ends',
    from: st({ mode: EXCLUDING, dry: DRY_S1, woken: true }),
    event: excluded(['s1'], []),
    to: st({ mode: DRY, dry: DRY_S1 }),
    decision: rest(DRY_S1.until),
  },
  {
    name: 'dry, a subscription excluded then is covered by its account now: rest',
    from: st({ mode: EXCLUDING, dry: DRY_S1 }),
    event: excluded([], ['A']),
    to: st({ mode: DRY, dry: DRY_S1 }),
    decision: rest(DRY_S1.until),
  },
  {
    name: 'dry, a retry due before the answer ends: rest until the retry',
    from: st({ mode: EXCLUDING, dry: DRY_S1, retryDue: T + 700 }),
    event: excluded(['s1'], []),
    to: st({ mode: DRY, dry: DRY_S1, retryDue: T + 700 }),
    decision: rest(T + 700),
  },
  {
    name: 'dry, but a retry is due: claim whatever the dry answer said',
    from: st({ mode: EXCLUDING, dry: DRY_S1, retryDue: T }),
    event: excluded(['s1'], []),
    to: st({ mode: CLAIMING({ priorDry: DRY_S1 }), dry: DRY_S1 }),
    decision: claim(['s1'], []),
  },
  {
    name: 'dry, but the answer has ended: claim',
    from: st({ mode: EXCLUDING, dry: { exclude: ['s1'], until: T } }),
    event: excluded(['s1'], []),
    to: st({ mode: CLAIMING({ priorDry: { exclude: ['s1'], until: T } }), dry: { exclude: ['s1'], until: T } }),
    decision: claim(['s1'], []),
  },
  {
    name: 'dry, but a subscription left the exclusions: claim',
    from: st({ mode: EXCLUDING, dry: { exclude: ['s1', 's3'], until: T + 1_500 } }),
    event: excluded(['s1'], []),
    to: st({ mode: CLAIMING({ priorDry: { exclude: ['s1', 's3'], until: T + 1_500 } }), dry: { exclude: ['s1', 's3'], until: T + 1_500 } }),
    decision: claim(['s1'], []),
  },
  {
    name: 'dry, but unknown work came: claim, the dry answer is stale',
    from: st({ mode: EXCLUDING, dry: DRY_S1, unknownWork: true }),
    event: excluded(['s1'], []),
    to: st({ mode: CLAIMING({ unknownWork: true, priorDry: DRY_S1 }) }),
    decision: claim(['s1'], []),
  },
  {
    name: 'dry, new work of an account below its share: claim for it, the dry answer is stale',
    from: st({ mode: EXCLUDING, dry: DRY_S1, newWorkOf: new Set(['B']) }),
    event: excluded(['s1'], []),
    to: st({ mode: CLAIMING({ fresh: ['B'], priorDry: DRY_S1 }), newWorkOf: new Set() }),
    decision: claim(['s1'], []),
  },
  {
    name: 'dry, new work only of an account at its share: it waits, the loop rests',
    from: st({ mode: EXCLUDING, dry: DRY_S1, newWorkOf: new Set(['A']) }),
    event: excluded(['s1'], ['A']),
    to: st({ mode: DRY, dry: DRY_S1, newWorkOf: new Set(['A']) }),
    decision: rest(DRY_S1.until),
  },
  {
    name: 'new work of one account at its share and one below: claim for the one below, the other waits',
    from: st({ mode: EXCLUDING, newWorkOf: new Set(['A', 'B']) }),
    event: excluded([], ['A']),
    to: st({ mode: CLAIMING({ keys: ['account:A'], fresh: ['B'] }), newWorkOf: new Set(['A']) }),
    decision: claim([], ['A']),
  },
  // A claim's result.
  { name: 'short claim: read the next due time', from: st({ mode: CLAIMING() }), event: { type: 'claimed', count: 3 }, to: st({ mode: NEXT_DUE() }), decision: { kind: 'nextDue' } },
  { name: 'empty claim: read the next due time', from: st({ mode: CLAIMING() }), event: { type: 'claimed', count: 0 }, to: st({ mode: NEXT_DUE() }), decision: { kind: 'nextDue' } },
  { name: 'full claim: the next turn at once', from: st({ mode: CLAIMING(), woken: true }), event: { type: 'claimed', count: 100 }, to: st({ mode: READY, woken: true }), decision: TURN },
  {
    name: 'full claim for an account’s new work: the dry answer holds outside that account too',
    from: st({ mode: CLAIMING({ fresh: ['B'], priorDry: DRY_S1 }) }),
    event: { type: 'claimed', count: 100 },
    to: st({ mode: READY, dry: { exclude: ['s1', 'account:B'], until: DRY_S1.until } }),
    decision: TURN,
  },
  {
    name: 'full claim after unknown work: no dry answer',
    from: st({ mode: CLAIMING({ fresh: ['B'], unknownWork: true, priorDry: DRY_S1 }) }),
    event: { type: 'claimed', count: 100 },
    to: st({ mode: READY }),
    decision: TURN,
  },
  {
    name: 'full claim with the dry answer kept (no new work): it still holds',
    from: st({ mode: CLAIMING({ priorDry: DRY_S1 }), dry: DRY_S1 }),
    event: { type: 'claimed', count: 100 },
    to: st({ mode: READY, dry: DRY_S1 }),
    decision: TURN,
  },
  // The next due time after a short claim.
  { name: 'nothing pending: dry until the poll', from: st({ mode: NEXT_DUE() }), event: { type: 'nextDue', now: T, at: null }, to: st({ mode: DRY, dry: { exclude: ['s1'], until: T + POLL } }), decision: rest(T + POLL) },
  { name: 'a row due before the poll: dry until it', from: st({ mode: NEXT_DUE() }), event: { type: 'nextDue', now: T, at: T + 300 }, to: st({ mode: DRY, dry: { exclude: ['s1'], until: T + 300 } }), decision: rest(T + 300) },
  { name: 'a row due after the poll: dry until the poll', from: st({ mode: NEXT_DUE() }), event: { type: 'nextDue', now: T, at: T + 9_000 }, to: st({ mode: DRY, dry: { exclude: ['s1'], until: T + POLL } }), decision: rest(T + POLL) },
  { name: 'rows due already (excluded ones): dry until the poll', from: st({ mode: NEXT_DUE() }), event: { type: 'nextDue', now: T, at: T }, to: st({ mode: DRY, dry: { exclude: ['s1'], until: T + POLL } }), decision: rest(T + POLL) },
  { name: 'a retry scheduled before the due time: rest until the retry', from: st({ mode: NEXT_DUE(), retryDue: T + 100 }), event: { type: 'nextDue', now: T, at: T + 300 }, to: st({ mode: DRY, dry: { exclude: ['s1'], until: T + 300 }, retryDue: T + 100 }), decision: rest(T + 100) },
  { name: 'woken during the turn: the next turn at once', from: st({ mode: NEXT_DUE(), woken: true }), event: { type: 'nextDue', now: T, at: null }, to: st({ mode: READY, dry: { exclude: ['s1'], until: T + POLL }, woken: true }), decision: TURN },
  // Errors and stopping.
  { name: 'a failed turn: back off', from: st({ mode: CLAIMING() }), event: { type: 'failed', now: T }, to: st({ mode: BACKOFF }), decision: rest(T + BACKOFF_MS) },
  { name: 'a failed turn, woken meanwhile: the next turn at once', from: st({ mode: EXCLUDING, woken: true }), event: { type: 'failed', now: T }, to: st({ mode: READY, woken: true }), decision: TURN },
  { name: 'stop: ends the rest', from: st({ mode: DRY }), event: { type: 'stop' }, to: st({ mode: STOPPED, woken: true }), decision: WAKE },
  { name: 'stop during a claim', from: st({ mode: CLAIMING() }), event: { type: 'stop' }, to: st({ mode: STOPPED, woken: true }), decision: WAKE },
  { name: 'stopped: a tick stops the loop', from: st({ mode: STOPPED }), event: { type: 'tick', now: T, limit: 100 }, to: st({ mode: STOPPED }), decision: STOP },
  { name: 'stopped: exclusions read stop the loop, no claim', from: st({ mode: STOPPED }), event: excluded([], []), to: st({ mode: STOPPED }), decision: STOP },
  { name: 'stopped: a claim’s result stops the loop', from: st({ mode: STOPPED }), event: { type: 'claimed', count: 100 }, to: st({ mode: STOPPED }), decision: STOP },
  { name: 'stopped: the next due time stops the loop', from: st({ mode: STOPPED }), event: { type: 'nextDue', now: T, at: null }, to: st({ mode: STOPPED }), decision: STOP },
  { name: 'stopped: a failure stops the loop', from: st({ mode: STOPPED }), event: { type: 'failed', now: T }, to: st({ mode: STOPPED }), decision: STOP },
  { name: 'stopped: a wake is remembered, the loop still stops', from: st({ mode: STOPPED }), event: { type: 'wake', atShare: [] }, to: st({ mode: STOPPED, unknownWork: true, woken: true }), decision: WAKE },
];

describe('claim scheduler: step(state, event) -> (state, decision)', () => {
  it.each(rows)('$name', ({ from, event, to, decision }) => {
    expect(step(from, event)).toEqual({ state: to, decision });
  });

  it('starts READY, with nothing known and no retry scheduled', () => {
    expect(initialState(POLL)).toEqual({ mode: READY, pollMs: POLL, woken: false, unknownWork: false, newWorkOf: new Set(), dry: null, retryDue: Infinity });
  });
});

const MODES: Mode[] = [READY, EXCLUDING, CLAIMING(), NEXT_DUE(), FULL, DRY, BACKOFF, STOPPED];
const TURN_EVENTS: SchedulerEvent[] = [
  { type: 'tick', now: T, limit: 100 },
  excluded([], []),
  { type: 'claimed', count: 1 },
  { type: 'nextDue', now: T, at: null },
];
/** Where each turn event belongs; any other mode but STOPPED is a bug in the loop. */
const VALID: Record<string, string[]> = {
  tick: ['READY', 'FULL', 'DRY', 'BACKOFF'],
  excluded: ['EXCLUDING'],
  claimed: ['CLAIMING'],
  nextDue: ['NEXT_DUE'],
};
const outOfTurn = MODES.flatMap((mode) =>
  TURN_EVENTS.filter((e) => mode.name !== 'STOPPED' && !VALID[e.type]?.includes(mode.name)).map((event) => ({ mode: mode.name, type: event.type, from: st({ mode }), event })),
);

describe('claim scheduler: an event out of its turn is refused', () => {
  it.each(outOfTurn)('$type in $mode throws', ({ from, event, mode, type }) => {
    // Caught by hand: vitest's toThrow(message) also passes when `undefined` is thrown.
    let thrown: unknown;
    try {
      step(from, event);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).message).toBe(`claim scheduler: '${type}' in mode ${mode}`);
  });
});

const ASIDE: SchedulerEvent[] = [
  { type: 'wake', atShare: [] },
  { type: 'wake', accounts: ['A'], atShare: [] },
  { type: 'completed', wasFull: true, wasAtShare: false, atShare: false, subscriptionAtLimit: false },
  { type: 'gaveBack' },
  { type: 'retryScheduled', at: T },
];

describe('claim scheduler: events from outside the loop never change its mode', () => {
  const cases = MODES.flatMap((mode) => ASIDE.map((event) => ({ mode: mode.name, type: event.type, from: st({ mode }), event })));
  it.each(cases)('$type in $mode wakes the loop and keeps the mode', ({ from, event }) => {
    const { state, decision } = step(from, event);
    expect(state.mode).toBe(from.mode);
    expect(state.woken).toBe(true);
    expect(decision).toEqual(WAKE);
  });
});
