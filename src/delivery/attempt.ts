import { performance } from 'node:perf_hooks';
import type { Ctx } from '../context.js';
import { toError } from '../errors.js';
import { FORMATS } from '../webhooks/formats/registry.js';
import { signingAt, type Subscription } from '../webhooks/subscription-row.js';
import { cancelClaim, type ClaimedDelivery } from './claim.js';
import { decide, type Decision } from './decide.js';
import type { DispatcherOptions } from './dispatcher-options.js';
import { loggedBody, type AttemptResult } from './finish.js';
import { maskHeaders, prepareRequest } from './request-headers.js';
import type { Sender, SendOutcome } from './sender.js';

/** An attempt made: the result to write, and what follows it. */
export interface Attempt {
  result: AttemptResult;
  decision: Decision;
  /** When the answer (or the failure) came. */
  now: number;
}

/**
 * Sends one claimed delivery to its subscription and decides what follows (decide.ts). Null when its
 * format refused the send: the claim is cancelled and no attempt is logged, as nothing was sent.
 */
export async function attempt(
  ctx: Ctx,
  sender: Sender,
  owner: string,
  opts: Pick<DispatcherOptions, 'attemptReads' | 'random' | 'metrics' | 'clock'>,
  d: ClaimedDelivery,
  sub: Subscription,
): Promise<Attempt | null> {
  const format = FORMATS[sub.format];
  const clock = opts.clock ?? Date.now;
  const startedMs = clock();
  const attemptNo = d.attempts + 1;
  let headers: Record<string, string> = {};
  let sent: SendOutcome;
  let t0 = performance.now();
  try {
    // Whether a rotated secret still signs is the domain clock's call, as every other time rule.
    const request = await prepareRequest(d, signingAt(sub, ctx.now()), format, opts.attemptReads, startedMs);
    if ('cancel' in request) {
      await cancelClaim(ctx.store, owner, d.id, request.cancel, clock());
      return null;
    }
    headers = request.headers;
    t0 = performance.now();
    sent = await sender.send(d.accountId, d.url, headers, request.body, format.timeoutMs);
  } catch (err) {
    // A bug in a format must still end in a logged attempt, never in a delivery stuck under lease.
    sent = { ok: false, kind: 'other', message: toError(err).message };
  }
  const durationMs = performance.now() - t0;
  const now = clock();
  const decision = decide(format, sub.retryScheduleOverride, attemptNo, sent, now, opts.random ?? Math.random, d.createdMs);
  opts.metrics?.recordAttempt(sub.format, decision.outcome, durationMs / 1000);
  const result: AttemptResult = {
    delivery: d,
    attemptNo,
    startedMs,
    durationMs,
    requestHeaders: maskHeaders(headers),
    responseStatus: sent.ok ? sent.status : null,
    responseHeaders: sent.ok ? sent.headers : null,
    responseBody: sent.ok ? loggedBody(sent.body) : null,
    errorKind: decision.errorKind,
    errorMessage: decision.errorMessage,
    outcome: decision.outcome,
    nextAttemptMs: decision.nextAttemptMs,
    // The last hook of a subscription being removed has ended: the subscription goes with its result.
    endsSubscription: sub.removingSince !== null && d.eventType === 'application.uninstalled' && decision.outcome !== 'retry',
  };
  return { result, decision, now };
}

/** Whether an attempt's retry is due the moment it was decided: a zero delay in the schedule. */
export function retriesAtOnce(made: Attempt): boolean {
  return made.decision.outcome === 'retry' && made.decision.nextAttemptMs !== null && made.decision.nextAttemptMs <= made.now;
}
