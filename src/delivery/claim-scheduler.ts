/**
 * When the dispatcher claims, for whom, and when it rests: a state machine whose every transition is
 * the pure function step(state, event) -> { state, decision }. The dispatcher feeds it what happened
 * (a commit, a completion, a claim's result, the end of a rest) and does what it decides (read the
 * exclusions, claim, read the next due time, rest until a time, stop); it keeps no claim state of its
 * own (claim-loop.ts runs the turns).
 *
 * A turn of the loop: `tick` (is there room?) -> `excluded` (may the last dry answer be trusted?) ->
 * `claimed` (was the claim short?) -> `nextDue` (how long is it dry?) -> a rest or the next turn.
 *
 * Modes:
 *   READY      the next turn runs now (at start, after a full claim, after a wake during a turn)
 *   EXCLUDING  there is room; the dispatcher is reading what a claim must leave out
 *   CLAIMING   a claim runs, and what it brought is being queued
 *   NEXT_DUE   the claim was short; the dispatcher is reading when the next row comes due
 *   FULL       resting: no room for a claim; a completion or the poll ends it (a wake ends it too,
 *              and the turn it starts finds no room and rests again without claiming)
 *   DRY        resting: the last short claim's answer still holds; new work, a completion that made
 *              room, a retry coming due or the poll ends it, and the next turn claims only if the
 *              answer no longer holds (new work, the time, or exclusions that no longer cover it)
 *   BACKOFF    resting after an error in the turn
 *   STOPPED    the dispatcher is stopping: no turn claims any more
 */

/** What the last short claim said: nothing is due outside `exclude` until `until`. */
export interface Dry {
  /** Exclusion keys: subscription ids, and `account:<id>` for accounts at their share. */
  readonly exclude: readonly string[];
  readonly until: number;
}

/** A claim decided in the turn, and what the turn knew when it decided it. */
export interface ClaimTurn {
  readonly limit: number;
  /** The exclusion keys the claim left out. */
  readonly keys: readonly string[];
  /** A wake for unknown work came before the claim. */
  readonly unknownWork: boolean;
  /** Accounts whose new work the claim was run for. */
  readonly fresh: readonly string[];
  /** The dry answer before the claim. */
  readonly priorDry: Dry | null;
}

export type Mode =
  | { readonly name: 'READY' | 'FULL' | 'DRY' | 'BACKOFF' | 'STOPPED' }
  | { readonly name: 'EXCLUDING'; readonly now: number; readonly limit: number }
  | { readonly name: 'CLAIMING' | 'NEXT_DUE'; readonly claim: ClaimTurn };

export interface SchedulerState {
  readonly mode: Mode;
  /** The safety-net poll: the longest rest. */
  readonly pollMs: number;
  /**
   * Something happened since the loop last decided to rest that may give a claim work. The loop
   * never rests while it is set, so a wake during a turn is not missed.
   */
  readonly woken: boolean;
  /** A wake said new deliveries may exist and did not say whose (NOTIFY without accounts, a replay). */
  readonly unknownWork: boolean;
  /**
   * Accounts whose commits wrote new deliveries. Claims leave out an account at its share, so a claim
   * run for such an account's new rows can't take them and only walks the due index past its whole
   * backlog: its new work counts once it is below its share.
   */
  readonly newWorkOf: ReadonlySet<string>;
  readonly dry: Dry | null;
  /**
   * The earliest retry this dispatcher scheduled since its last claim: no commit announces it, so it
   * bounds every rest and ends a dry answer whatever that said.
   */
  readonly retryDue: number;
}

export type SchedulerEvent =
  /** New deliveries were committed: for these accounts, or (accounts undefined or empty) for unknown ones. */
  | { readonly type: 'wake'; readonly accounts?: readonly string[]; readonly atShare: readonly string[] }
  /** A send ended. The facts are the send slots' just before and after it (slots/). */
  | { readonly type: 'completed'; readonly wasFull: boolean; readonly wasAtShare: boolean; readonly atShare: boolean; readonly subscriptionAtLimit: boolean }
  /** Queued deliveries were given back (an endpoint's breaker opened): their slots are free. */
  | { readonly type: 'gaveBack' }
  /** A send's result schedules a retry at `at`. */
  | { readonly type: 'retryScheduled'; readonly at: number }
  /** The loop's turn: its rest ended (a wake or the time), or the last claim was full. */
  | { readonly type: 'tick'; readonly now: number; readonly limit: number }
  /** What a claim must leave out now; `accountOf` maps a subscription id to its account when known. */
  | {
      readonly type: 'excluded';
      readonly subscriptions: readonly string[];
      readonly accounts: readonly string[];
      readonly accountOf: (subscriptionId: string) => string | undefined;
    }
  | { readonly type: 'claimed'; readonly count: number }
  /** When the next pending row comes due after `now` (null: none). */
  | { readonly type: 'nextDue'; readonly now: number; readonly at: number | null }
  /** The turn failed (the database went away): rest a second unless woken. */
  | { readonly type: 'failed'; readonly now: number }
  | { readonly type: 'stop' };

export type Decision =
  /** Nothing to do now. */
  | { readonly kind: 'none' }
  /** End the loop's rest, if it is resting. */
  | { readonly kind: 'wake' }
  /** Read what a claim must leave out at `now`, and send `excluded`. */
  | { readonly kind: 'exclude'; readonly now: number }
  /** Claim up to `limit` rows due at `now` outside these, queue them, and send `claimed`. */
  | { readonly kind: 'claim'; readonly limit: number; readonly now: number; readonly subscriptions: readonly string[]; readonly accounts: readonly string[] }
  /** Read when the next pending row comes due, and send `nextDue`. */
  | { readonly kind: 'nextDue' }
  /** Take the next turn at once (send `tick`). */
  | { readonly kind: 'turn' }
  /** Rest until `until` or a wake, then send `tick`. */
  | { readonly kind: 'rest'; readonly until: number }
  | { readonly kind: 'stop' };

export interface Step {
  readonly state: SchedulerState;
  readonly decision: Decision;
}

/** After an error, the turn rests this long before the next (a wake ends it sooner). */
export const BACKOFF_MS = 1000;

export function initialState(pollMs: number): SchedulerState {
  return { mode: { name: 'READY' }, pollMs, woken: false, unknownWork: false, newWorkOf: new Set(), dry: null, retryDue: Infinity };
}

const NONE: Decision = { kind: 'none' };
const WAKE: Decision = { kind: 'wake' };
const TURN: Decision = { kind: 'turn' };
const STOP: Decision = { kind: 'stop' };

export function step(state: SchedulerState, event: SchedulerEvent): Step {
  switch (event.type) {
    case 'wake':
      return wake(state, event.accounts, event.atShare);
    case 'completed': {
      // Claim again only if this completion made room a claim can fill: the dispatcher was full, or
      // the subscription or its account is no longer excluded. Waking on every completion would run
      // one claim per delivery, each walking the due index past the excluded subscriptions' backlog for
      // nothing. While the account is at its share, its subscription's room is of no use to a claim.
      const room = event.wasFull || (event.wasAtShare && !event.atShare) || (!event.atShare && !event.subscriptionAtLimit);
      return room ? woken(state) : { state, decision: NONE };
    }
    case 'gaveBack':
      return woken(state);
    case 'retryScheduled':
      // The loop may be resting until the poll, or dry: it must take a turn when this retry is due.
      if (event.at >= state.retryDue) return { state, decision: NONE };
      return woken({ ...state, retryDue: event.at });
    case 'stop':
      return { state: { ...state, mode: { name: 'STOPPED' }, woken: true }, decision: WAKE };
    default:
      if (state.mode.name === 'STOPPED') return { state, decision: STOP };
      return turn(state, event);
  }
}

function wake(state: SchedulerState, accounts: readonly string[] | undefined, atShare: readonly string[]): Step {
  if (accounts === undefined || accounts.length === 0) {
    return { state: { ...state, unknownWork: true, woken: true }, decision: WAKE };
  }
  const newWorkOf = accounts.every((a) => state.newWorkOf.has(a)) ? state.newWorkOf : new Set([...state.newWorkOf, ...accounts]);
  const next = { ...state, newWorkOf };
  // New work of accounts all at their share gives a claim nothing until one is below it; the
  // completion that brings it there wakes the loop.
  return accounts.some((a) => !atShare.includes(a)) ? woken(next) : { state: next, decision: NONE };
}

function woken(state: SchedulerState): Step {
  return { state: { ...state, woken: true }, decision: WAKE };
}

/** Rests until `until` unless woken since the last rest: then the next turn runs at once. */
function rest(state: SchedulerState, mode: 'DRY' | 'BACKOFF', until: number): Step {
  if (state.woken) return { state: { ...state, mode: { name: 'READY' } }, decision: TURN };
  return { state: { ...state, mode: { name: mode } }, decision: { kind: 'rest', until } };
}

type TurnEvent = Extract<SchedulerEvent, { type: 'tick' | 'excluded' | 'claimed' | 'nextDue' | 'failed' }>;

function turn(state: SchedulerState, event: TurnEvent): Step {
  const mode = state.mode;
  if (event.type === 'failed') return rest(state, 'BACKOFF', event.now + BACKOFF_MS);
  if (event.type === 'tick') {
    if (mode.name === 'EXCLUDING' || mode.name === 'CLAIMING' || mode.name === 'NEXT_DUE') throw outOfTurn(event, mode);
    if (event.limit <= 0) {
      // Full: a completion wakes the loop when there is room. Until then a wake for new work claims
      // nothing: its turn comes back here and rests again. The rest clears `woken`, or every turn
      // would rest for no time and never yield to the I/O that completes a send (a livelock).
      return { state: { ...state, mode: { name: 'FULL' }, woken: false }, decision: { kind: 'rest', until: event.now + state.pollMs } };
    }
    return { state: { ...state, mode: { name: 'EXCLUDING', now: event.now, limit: event.limit } }, decision: { kind: 'exclude', now: event.now } };
  }
  if (event.type === 'excluded') {
    if (mode.name !== 'EXCLUDING') throw outOfTurn(event, mode);
    return excluded(state, mode.now, mode.limit, event);
  }
  if (event.type === 'claimed') {
    if (mode.name !== 'CLAIMING') throw outOfTurn(event, mode);
    const claim = mode.claim;
    if (event.count < claim.limit) return { state: { ...state, mode: { name: 'NEXT_DUE', claim } }, decision: { kind: 'nextDue' } };
    // A full claim says nothing about the other subscriptions: the last dry answer still holds, and
    // also outside the accounts whose new work this claim was for, as nothing else was committed since
    // it was said. Without this, a full claim that brought a busy account to its share was followed
    // by one that left the account out and walked past its backlog for nothing.
    const prior = claim.priorDry;
    const dry =
      prior && !claim.unknownWork && claim.fresh.length > 0
        ? { exclude: [...new Set([...prior.exclude, ...claim.fresh.map(accountKey)])], until: prior.until }
        : state.dry;
    return { state: { ...state, mode: { name: 'READY' }, dry }, decision: TURN };
  }
  if (mode.name !== 'NEXT_DUE') throw outOfTurn(event, mode);
  // A short claim took everything due outside its exclusions: until new work, the next due time or
  // the poll, claiming again finds nothing. Rows due already are the excluded subscriptions': the
  // poll, not their due time, ends this.
  const t = event.now;
  const until = event.at !== null && event.at > t ? Math.min(event.at, t + state.pollMs) : t + state.pollMs;
  const dry = { exclude: mode.claim.keys, until };
  return rest({ ...state, dry }, 'DRY', Math.min(until, state.retryDue));
}

function excluded(state: SchedulerState, now: number, limit: number, event: Extract<SchedulerEvent, { type: 'excluded' }>): Step {
  const fresh: string[] = [];
  const waiting = new Set<string>();
  for (const a of state.newWorkOf) {
    if (event.accounts.includes(a)) waiting.add(a);
    else fresh.push(a);
  }
  const keys = [...event.subscriptions, ...event.accounts.map(accountKey)];
  const dry = state.dry;
  const until = dry ? Math.min(dry.until, state.retryDue) : 0;
  if (dry && !state.unknownWork && fresh.length === 0 && now < until && dry.exclude.every((k) => covered(k, keys, event.accountOf))) {
    // The last claim found nothing outside these exclusions and nothing was committed since:
    // claiming again would only walk the excluded subscriptions' due rows, O(backlog), for nothing.
    return { state: { ...state, mode: { name: 'DRY' }, woken: false }, decision: { kind: 'rest', until } };
  }
  const claim: ClaimTurn = { limit, keys, unknownWork: state.unknownWork, fresh, priorDry: dry };
  return {
    state: {
      ...state,
      mode: { name: 'CLAIMING', claim },
      woken: false,
      unknownWork: false,
      newWorkOf: fresh.length > 0 ? waiting : state.newWorkOf,
      // New deliveries make what the last short claim said stale.
      dry: state.unknownWork || fresh.length > 0 ? null : dry,
      retryDue: now >= state.retryDue ? Infinity : state.retryDue,
    },
    decision: { kind: 'claim', limit, now, subscriptions: event.subscriptions, accounts: event.accounts },
  };
}

/** An exclusion key is implied by these: itself, or for a subscription, its account's. */
function covered(key: string, keys: readonly string[], accountOf: (subscriptionId: string) => string | undefined): boolean {
  if (keys.includes(key)) return true;
  const account = accountOf(key);
  return account !== undefined && keys.includes(accountKey(account));
}

function accountKey(accountId: string): string {
  return `account:${accountId}`;
}

function outOfTurn(event: TurnEvent, mode: Mode): Error {
  return new Error(`claim scheduler: '${event.type}' in mode ${mode.name}`);
}
