import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout } from 'node:timers/promises';
import type { Ctx } from '../context.js';
import { FORMATS } from '../webhooks/formats/registry.js';
import { toSubscription, type Subscription } from '../webhooks/subscription-row.js';
import { disableSubscription } from '../webhooks/subscriptions.js';
import { attempt, retriesAtOnce } from './attempt.js';
import { disableLongFailing } from './auto-disable.js';
import { EndpointBreakers } from './breaker/index.js';
import { ClaimLoop } from './claim-loop.js';
import { cancelClaim, claimDue, extendLeases, nextDueAt, pushBackPending, releaseClaims, type ClaimedDelivery } from './claim.js';
import type { DispatcherOptions } from './dispatcher-options.js';
import type { AttemptResult } from './finish.js';
import { HandoffTaker } from './handoff/index.js';
import { IdleWaiters } from './idle-waiters.js';
import { logAttempt, logAutoDisabled, logPaused, logResumed } from './operator-log.js';
import { ResultBatcher } from './result-batcher.js';
import { Sender } from './sender.js';
import { SendSlots } from './slots/index.js';

export type { DispatcherOptions } from './dispatcher-options.js';

/**
 * Claims due deliveries in batches and sends them. Per-subscription in-flight limits and circuit
 * breakers keep one slow or dead endpoint from taking the slots of the others. What follows each
 * attempt is decide()'s (decide.ts), its headers requestHeaders()'s, and results are written in
 * batches (result-batcher.ts). Every claimed delivery is either sent and finished, or released.
 */
export class Dispatcher {
  readonly owner: string;
  /** The handoff's side here: the target of this thread's writes and of the HTTP thread's gifts (handoff/index.ts). */
  readonly handoff: HandoffTaker;
  /** Every endpoint's circuit breaker, this worker's and the pause all workers share (breaker/index.ts). */
  readonly breakers: EndpointBreakers;
  private readonly sender: Sender;
  /** The send slots with the queues behind them: who starts when (slots/index.ts). */
  private readonly slots: SendSlots<ClaimedDelivery>;
  private readonly leaseMs: number;
  private readonly subs = new Map<string, Subscription>();
  private running = false;
  /** When to claim, for whom, and when to rest (claim-loop.ts, claim-scheduler.ts). */
  private readonly claims: ClaimLoop;
  private readonly results: ResultBatcher;
  private heartbeat: NodeJS.Timeout | null = null;
  /** What is due and when leases end (DispatcherOptions.clock); grace periods use the real clock. */
  private readonly clock: () => number;
  private readonly idle = new IdleWaiters(() => this.slots.empty && this.results.pending === 0);

  constructor(
    private readonly ctx: Ctx,
    private readonly opts: DispatcherOptions = {},
  ) {
    this.owner = opts.owner ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    this.clock = opts.clock ?? Date.now;
    const concurrency = opts.concurrency ?? 256;
    const share = Math.min(concurrency, opts.accountShare ?? Math.max(1, Math.floor(concurrency / 2)));
    this.slots = new SendSlots(concurrency, share, opts.batchSize ?? 200, {
      limitOf: (id) => this.subs.get(id),
      mayStart: (id) => this.maySend(id),
      send: (d) => this.send(d, this.subs.get(d.subscriptionId) as Subscription),
      leaving: (d) => this.handoff.ended(d), // while it still counts in the load (handoff/taker.ts)
      completed: (c) => {
        this.claims.tell({ type: 'completed', ...c });
        this.idle.check();
      },
      onLoad: (load) => this.handoff.load(load),
    });
    this.leaseMs = opts.leaseMs ?? 30_000;
    this.handoff = new HandoffTaker({
      owner: this.owner,
      limit: share,
      leaseDurationMs: this.leaseMs,
      buffer: opts.handoffCount,
      accept: (deliveries, subscriptions) => this.accept(deliveries, subscriptions),
      release: (ids) => releaseClaims(this.ctx.store, this.owner, ids, this.clock()),
      log: (msg, err) => this.log(msg, err),
    });
    // A store whose announcements cannot arrive (store.ts wakeupPollMs) sets the pace instead of the safety net.
    this.claims = new ClaimLoop(opts.pollMs ?? ctx.store.wakeupPollMs ?? 2_000, {
      claimLimit: () => this.slots.claimLimit(),
      exclusions: (now) => this.exclusions(now),
      accountOf: (id) => this.subs.get(id)?.accountId,
      atShare: (account) => this.slots.atShare(account),
      claim: (o) => this.claim(o),
      nextDueAt: (after) => nextDueAt(ctx.store, after),
      log: (msg, err) => this.log(msg, err),
    }, this.clock);
    this.breakers = new EndpointBreakers(ctx.store, { owner: this.owner, leaseMs: this.leaseMs, breaker: opts.breaker, log: (msg, err) => this.log(msg, err) });
    // A pool per (account, origin) of the account's share: the slots decide who sends, never a
    // connection another account holds (sender.ts).
    this.sender = new Sender({ allowPrivateTargets: ctx.settings.allowPrivateTargets, connectionsPerPool: share });
    this.results = new ResultBatcher(ctx.store, {
      owner: this.owner,
      log: (msg, err) => this.log(msg, err),
      writtenAt: this.clock,
      afterWrite: async (batch, now) => {
        await disableLongFailing(ctx, batch, now, (msg, err) => this.log(msg, err), opts.events);
        this.idle.check();
      },
    });
    opts.metrics?.watchBreakers(this.breakers);
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.handoff.open();
    const writer = this.opts.handoffWriter;
    await this.claims.start({
      // The handoff's writer leaves out commits whose every delivery was given: nothing to claim.
      commits: (listener) => (writer ? writer.onClaimable(listener) : this.ctx.outbox.onCommit(listener)),
      listen: (listener) => this.ctx.store.listenForDeliveries(listener),
    });
    this.heartbeat = setInterval(() => void this.extend(), Math.max(1000, Math.floor(this.leaseMs / 3)));
    this.heartbeat.unref();
  }

  /** Something may be due (the host's wake message): claim now instead of at the next poll (ClaimLoop.wake). */
  wake(accounts?: readonly string[]): void {
    this.claims.wake(accounts);
  }

  /** Resolves when nothing is in flight, queued or waiting to be written (tests and benchmarks). */
  async drained(): Promise<void> {
    await this.idle.wait();
    await this.results.settled();
  }

  /**
   * Stops claiming, lets in-flight requests finish (up to graceMs), gives back what was claimed but
   * not sent, writes every result, and closes connections.
   */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.handoff.close();
    await this.claims.stop();
    const queued = this.slots.giveBackAll().map((d) => d.id);
    await releaseClaims(this.ctx.store, this.owner, queued, this.clock()).catch((e) => this.log('release failed', e));
    const deadline = Date.now() + graceMs;
    while (this.slots.inFlight > 0 && Date.now() < deadline) await setTimeout(20);
    this.results.close();
    await this.results.flush();
    if (this.heartbeat) clearInterval(this.heartbeat);
    await this.sender.close();
  }

  private log(msg: string, err?: unknown): void {
    this.opts.log?.(msg, err);
  }

  /** Claims due rows outside the exclusions and queues them, so they are sent before the next due time is read. */
  private async claim(opts: { limit: number; now: number; subscriptions: string[]; accounts: string[] }): Promise<number> {
    const claimed = await claimDue(this.ctx.store, { owner: this.owner, leaseMs: this.leaseMs, ...opts });
    if (claimed.length > 0) await this.accept(claimed, await this.subscriptionsOf(claimed));
    return claimed.length;
  }

  /** Subscriptions behind a breaker or at their in-flight limit, accounts at their share: not claimed for. */
  private async exclusions(now: number): Promise<{ subscriptions: string[]; accounts: string[] }> {
    const blocked = await this.breakers.blocked(now);
    return { subscriptions: [...blocked, ...this.slots.subscriptionsAtLimit()], accounts: this.slots.accountsAtShare() };
  }

  /** The subscriptions of claimed deliveries, as they are now. */
  private async subscriptionsOf(claimed: ClaimedDelivery[]): Promise<Subscription[]> {
    const ids = [...new Set(claimed.map((d) => d.subscriptionId))];
    const rows = await this.ctx.store.db.selectFrom('webhooks').selectAll().where('id', 'in', ids).execute();
    return rows.map(toSubscription);
  }

  /**
   * Queues claimed or handed-off deliveries behind their subscriptions, as the claim or the write
   * that made them read them.
   */
  private async accept(claimed: ClaimedDelivery[], rows: Subscription[]): Promise<void> {
    const ids = [...new Set(claimed.map((d) => d.subscriptionId))];
    for (const r of rows) this.subs.set(r.id, r);
    const release: ClaimedDelivery[] = [];
    const retired: ClaimedDelivery[] = [];
    for (const d of claimed) {
      const sub = rows.find((r) => r.id === d.subscriptionId) ? this.subs.get(d.subscriptionId) : undefined;
      // Deleted or disabled meanwhile: the delete/disable already moved the row out of `pending`,
      // releasing is a no-op for it then.
      // Being removed: only its last hook is still to go. Anything else (the uninstall cancelled
      // what waited, so nothing should be) ends here rather than coming back at every claim.
      if (sub !== undefined && sub.removingSince !== null && d.eventType !== 'application.uninstalled') {
        retired.push(d);
        continue;
      }
      if (!sub || !sub.enabled || !FORMATS[sub.format]) {
        release.push(d);
        continue;
      }
      this.slots.queue(d);
      this.handoff.held(d);
    }
    // What is not queued stops counting, and the queues start, before any write: a failed write
    // must not keep the handoff's count up or leave the queued deliveries waiting for a later start.
    for (const d of [...release, ...retired]) this.handoff.ended(d);
    for (const id of ids) this.slots.start(id);
    // A row whose write failed stays leased to this worker, as after a failed pause: its lease runs
    // out and a later claim takes it, so nothing is lost.
    if (release.length > 0) {
      await releaseClaims(this.ctx.store, this.owner, release.map((d) => d.id), this.clock()).catch((e) => this.log('giving back claims failed', e));
    }
    for (const d of retired) {
      await cancelClaim(this.ctx.store, this.owner, d.id, 'the subscription is being removed', this.clock()).catch((e) => this.log('cancelling a claim failed', e));
    }
  }

  /** The breaker's word on the next start; an open one gives the endpoint's queue back until its reopen. */
  private maySend(subscriptionId: string): boolean {
    const may = this.breakers.maySend(subscriptionId, this.clock());
    // A half-open probe in flight starts the queue again when it ends.
    if (!may.send && may.giveBackUntil !== null) void this.pauseEndpoint(subscriptionId, may.giveBackUntil);
    return may.send;
  }

  private async send(d: ClaimedDelivery, sub: Subscription): Promise<void> {
    const earlier: AttemptResult[] = [];
    let made = await attempt(this.ctx, this.sender, this.owner, this.opts, d, sub);
    // A zero delay in a vendor's schedule means the next try follows at once (Kladana: "sequentially,
    // with no timeouts between them"), so it is made here under the same lease instead of waiting for
    // a claim; its earlier tries are logged with the last one. Formats the breaker protects go back
    // to the claim, so the breaker sees every failure.
    while (made && this.running && !FORMATS[sub.format].protections && retriesAtOnce(made)) {
      earlier.push(made.result);
      made = await attempt(this.ctx, this.sender, this.owner, this.opts, { ...d, attempts: d.attempts + earlier.length }, sub);
    }
    if (!made) return;
    const { result, decision, now } = made;
    logAttempt(this.opts.events, d, sub, made);
    if (decision.outcome === 'retry' && decision.nextAttemptMs !== null) this.claims.tell({ type: 'retryScheduled', at: decision.nextAttemptMs });
    this.results.add(earlier.length > 0 ? { ...result, earlier } : result);
    try {
      const b = await this.breakers.recorded(sub.id, decision.endpointOk, now, FORMATS[sub.format].protections);
      if (b.change === 'paused') {
        logPaused(this.opts.events, sub, b.reopenAt, b.cooldownMs);
        await this.pauseEndpoint(sub.id, b.reopenAt);
      } else if (b.change === 'resumed') logResumed(this.opts.events, sub);
      if (decision.outcome === 'gone') {
        await this.results.flush();
        const reason = 'the endpoint answered 410 Gone';
        if (await disableSubscription(this.ctx, sub.accountId, sub.id, reason)) logAutoDisabled(this.opts.events, sub, reason);
      }
    } catch (err) {
      // Nobody awaits send(): a lost database must be logged here, not end the process (the result is with the batcher).
      this.log('after an attempt: updating the breaker or the subscription failed', err);
    }
  }

  /**
   * The breaker opened: give back what this worker queued for the endpoint and push the endpoint's
   * other pending deliveries to the reopen time. No attempt is spent on them.
   */
  private async pauseEndpoint(subscriptionId: string, reopenAt: number): Promise<void> {
    const q = this.slots.giveBack(subscriptionId);
    // Room for a claim: the dispatcher may have been full, and the account below its share now.
    if (q.length > 0) this.claims.tell({ type: 'gaveBack' });
    try {
      await releaseClaims(this.ctx.store, this.owner, q.map((d) => d.id), reopenAt);
      await pushBackPending(this.ctx.store, subscriptionId, reopenAt);
    } catch (err) {
      this.log('pausing endpoint failed', err);
    }
    this.idle.check();
  }

  private async extend(): Promise<void> {
    if (this.slots.empty) return;
    await extendLeases(this.ctx.store, this.owner, this.clock() + this.leaseMs).catch((e) => this.log('lease heartbeat failed', e));
  }
}
