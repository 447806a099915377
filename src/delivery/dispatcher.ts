import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { Ctx } from '../context.js';
import { toError } from '../errors.js';
import { DELIVERY_CHANNEL } from '../storage/dialect.js';
import { effectiveSchedule, FORMATS } from '../webhooks/formats/index.js';
import type { Judgement } from '../webhooks/formats/format.js';
import { toSubscription, type Subscription } from '../webhooks/subscription.js';
import { disableSubscription } from '../webhooks/subscriptions.js';
import { Breakers, DEFAULT_BREAKER, type BreakerOptions } from './breaker.js';
import { claimDue, extendLeases, nextDueAt, releaseClaims, type ClaimedDelivery } from './claim.js';
import { LOGGED_BODY_BYTES, writeResults, type AttemptResult } from './finish.js';
import type { DeliveryMetrics } from './metrics.js';
import { Sender, type SendOutcome } from './sender.js';

export interface DispatcherOptions {
  /** Unique per process; leases carry it. */
  owner?: string;
  /** Requests in flight across all endpoints. */
  concurrency?: number;
  batchSize?: number;
  leaseMs?: number;
  /** The safety-net poll; wake-ups normally come from commits (in-process) or NOTIFY. */
  pollMs?: number;
  breaker?: BreakerOptions;
  metrics?: DeliveryMetrics;
  log?: (msg: string, err?: unknown) => void;
}

/** A subscription failing this long (5 days) is disabled. */
export const DISABLE_AFTER_MS = 5 * 24 * 3600 * 1000;

/**
 * Claims due deliveries in batches and sends them. Per-subscription in-flight limits and circuit
 * breakers keep one slow or dead endpoint from taking the slots of the others; results are written
 * in batches (finish.ts). Every claimed delivery is either sent and finished, or released.
 */
export class Dispatcher {
  readonly owner: string;
  readonly breakers: Breakers;
  private readonly sender: Sender;
  private readonly concurrency: number;
  private readonly batchSize: number;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly queues = new Map<string, ClaimedDelivery[]>();
  private readonly inFlight = new Map<string, number>();
  private readonly subs = new Map<string, Subscription>();
  private inFlightTotal = 0;
  private queuedTotal = 0;
  private running = false;
  private dirty = false;
  /** A wake-up said new deliveries may exist (a commit here, NOTIFY from another process). */
  private newWork = false;
  /** The exclusions of the last claim that came back short, and until when that answer is trusted. */
  private dry: { exclude: Set<string>; until: number } | null = null;
  private wakeUp: (() => void) | null = null;
  private loopDone: Promise<void> | null = null;
  private results: AttemptResult[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private flushTimer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private listener: pg.Client | null = null;
  private idle: Array<() => void> = [];

  constructor(
    private readonly ctx: Ctx,
    private readonly opts: DispatcherOptions = {},
  ) {
    this.owner = opts.owner ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    this.concurrency = opts.concurrency ?? 256;
    this.batchSize = opts.batchSize ?? 200;
    this.leaseMs = opts.leaseMs ?? 30_000;
    this.pollMs = opts.pollMs ?? 2_000;
    this.breakers = new Breakers(opts.breaker ?? DEFAULT_BREAKER);
    this.sender = new Sender({ allowPrivateTargets: ctx.settings.allowPrivateTargets });
    opts.metrics?.watchBreakers(this.breakers);
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.ctx.outbox.onCommit(() => this.wake());
    if (this.ctx.store.dialect.name === 'postgres') await this.listen();
    this.heartbeat = setInterval(() => void this.extend(), Math.max(1000, Math.floor(this.leaseMs / 3)));
    this.heartbeat.unref();
    this.loopDone = this.loop();
  }

  /** Something may be due: claim now instead of at the next poll. */
  wake(): void {
    this.newWork = true;
    this.kick();
  }

  /** Runs the loop again because room appeared; unlike wake(), nothing new was committed. */
  private kick(): void {
    this.dirty = true;
    const w = this.wakeUp;
    this.wakeUp = null;
    w?.();
  }

  /** Resolves when nothing is in flight, queued or waiting to be written (tests and benchmarks). */
  async drained(): Promise<void> {
    if (this.inFlightTotal === 0 && this.queuedTotal === 0 && this.results.length === 0) return this.flushing;
    await new Promise<void>((resolve) => this.idle.push(resolve));
    await this.flushing;
  }

  /**
   * Stops claiming, lets in-flight requests finish (up to graceMs), gives back what was claimed but
   * not sent, writes every result, and closes connections.
   */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wake();
    await this.loopDone;
    const queued = [...this.queues.values()].flat().map((d) => d.id);
    this.queues.clear();
    this.queuedTotal = 0;
    await releaseClaims(this.ctx.store, this.owner, queued, Date.now()).catch((e) => this.log('release failed', e));
    const deadline = Date.now() + graceMs;
    while (this.inFlightTotal > 0 && Date.now() < deadline) await sleep(20);
    await this.flush();
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    await this.listener?.end().catch(() => {});
    this.listener = null;
    await this.sender.close();
  }

  private log(msg: string, err?: unknown): void {
    this.opts.log?.(msg, err);
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        const room = this.concurrency - this.inFlightTotal - this.queuedTotal;
        if (room <= 0) {
          // Full: a completion wakes us when there is room. Until then a wake-up for new work changes
          // nothing, and must not make sleep() return at once: that loop of resolved promises never
          // yields to the I/O that would complete anything (a livelock at 100% CPU).
          this.dirty = false;
          await this.sleep(this.pollMs);
          continue;
        }
        const now = Date.now();
        const exclude = this.excluded(now);
        const dry = this.dry;
        if (dry && !this.newWork && now < dry.until && [...dry.exclude].every((id) => exclude.includes(id))) {
          // The last claim found nothing outside these exclusions and nothing was committed since:
          // claiming again would only walk the excluded subscriptions' due rows, O(backlog), for
          // nothing (300,000 pending: ~220 ms per claim). A subscription leaving the exclusions,
          // a commit or NOTIFY, or the poll interval ends this.
          this.dirty = false;
          await this.sleep(dry.until - now);
          continue;
        }
        this.dirty = false;
        // New deliveries make what the last short claim said stale.
        if (this.newWork) this.dry = null;
        this.newWork = false;
        const limit = Math.min(this.batchSize, room);
        const claimed = await claimDue(this.ctx.store, { owner: this.owner, limit, now, leaseMs: this.leaseMs, exclude });
        // A full claim says nothing about the other subscriptions: the last dry answer still holds.
        if (claimed.length < limit) this.dry = exclude.length > 0 ? { exclude: new Set(exclude), until: now + this.pollMs } : null;
        if (claimed.length > 0) await this.accept(claimed);
        if (claimed.length === limit || this.dirty) continue;
        const next = await nextDueAt(this.ctx.store);
        const wait = next !== null && next > Date.now() ? Math.min(next - Date.now(), this.pollMs) : this.pollMs;
        await this.sleep(wait);
      } catch (err) {
        this.log('dispatcher loop error', err);
        await this.sleep(1000);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.dirty || !this.running) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.wakeUp = null;
        resolve();
      }, ms);
      this.wakeUp = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  /** Subscriptions at their in-flight limit or behind an open breaker: not claimed for. */
  private excluded(now: number): string[] {
    const out = this.breakers.blocked(now);
    for (const id of this.queues.keys()) if (this.atLimit(id)) out.push(id);
    return out;
  }

  /** Has queued work and no free slot: a claim leaves it out. */
  private atLimit(webhookId: string): boolean {
    const q = this.queues.get(webhookId);
    const sub = this.subs.get(webhookId);
    return q !== undefined && sub !== undefined && (this.inFlight.get(webhookId) ?? 0) + q.length >= sub.maxInFlight;
  }

  private async accept(claimed: ClaimedDelivery[]): Promise<void> {
    const ids = [...new Set(claimed.map((d) => d.webhookId))];
    const rows = await this.ctx.store.db.selectFrom('webhooks').selectAll().where('id', 'in', ids).execute();
    for (const r of rows) this.subs.set(r.id, toSubscription(r));
    const release: string[] = [];
    for (const d of claimed) {
      const sub = rows.find((r) => r.id === d.webhookId) ? this.subs.get(d.webhookId) : undefined;
      // Deleted or disabled meanwhile: the delete/disable already moved the row out of `pending`,
      // releasing is a no-op for it then.
      if (!sub || !sub.enabled || !FORMATS[sub.format]) {
        release.push(d.id);
        continue;
      }
      let q = this.queues.get(d.webhookId);
      if (!q) this.queues.set(d.webhookId, (q = []));
      q.push(d);
      this.queuedTotal++;
    }
    if (release.length > 0) await releaseClaims(this.ctx.store, this.owner, release, Date.now());
    for (const id of ids) this.pump(id);
  }

  /** Starts as many queued deliveries of one subscription as its limit and breaker allow. */
  private pump(webhookId: string): void {
    const q = this.queues.get(webhookId);
    const sub = this.subs.get(webhookId);
    if (!q || !sub) return;
    while (q.length > 0 && (this.inFlight.get(webhookId) ?? 0) < sub.maxInFlight) {
      const now = Date.now();
      if (!this.breakers.acquire(webhookId, now)) {
        // Claimed before the breaker opened (a claim and the failure that tripped it overlapped):
        // holding them would leave the endpoint at its limit with nothing to pump them at reopen.
        // Give them back, due when the breaker reopens. A half-open probe in flight pumps on completion.
        const reopenAt = this.breakers.reopenAt(webhookId);
        if (reopenAt !== null && reopenAt > now) void this.pauseEndpoint(webhookId, reopenAt);
        break;
      }
      const d = q.shift() as ClaimedDelivery;
      this.queuedTotal--;
      this.inFlight.set(webhookId, (this.inFlight.get(webhookId) ?? 0) + 1);
      this.inFlightTotal++;
      void this.send(d, sub).finally(() => {
        const wasFull = this.inFlightTotal + this.queuedTotal >= this.concurrency;
        this.inFlight.set(webhookId, (this.inFlight.get(webhookId) ?? 1) - 1);
        this.inFlightTotal--;
        this.pump(webhookId);
        // Claim again only if this completion made room a claim can fill: the dispatcher was full, or
        // the subscription is no longer excluded. Waking on every completion ran one claim per
        // delivery, each walking the due index past the excluded subscriptions' backlog for nothing:
        // O(backlog) per delivery (bench: 8,000 pending drained at ~350/s; ~2,400-3,000/s with this).
        if (wasFull || !this.atLimit(webhookId)) this.kick();
        this.checkIdle();
      });
    }
    if (q.length === 0) this.queues.delete(webhookId);
  }

  private async send(d: ClaimedDelivery, sub: Subscription): Promise<void> {
    const format = FORMATS[sub.format];
    const startedMs = Date.now();
    const attemptNo = d.attempts + 1;
    const headers: Record<string, string> = { 'user-agent': 'stockhook/0.1', ...d.headers };
    let res: SendOutcome;
    const t0 = performance.now();
    try {
      Object.assign(headers, format.attemptHeaders({ id: d.id, body: d.body }, sub, startedMs));
      if (sub.basicAuth) {
        headers.authorization = `Basic ${Buffer.from(`${sub.basicAuth.username}:${sub.basicAuth.password}`).toString('base64')}`;
      } else if (sub.bearerToken) {
        headers.authorization = `Bearer ${sub.bearerToken}`;
      }
      res = await this.sender.send(d.url, headers, d.body, format.timeoutMs);
    } catch (err) {
      // A bug in a format must still end in a logged attempt, never in a delivery stuck under lease.
      res = { ok: false, kind: 'other', message: toError(err).message };
    }
    const durationMs = performance.now() - t0;
    let judgement: Judgement;
    let errorKind: AttemptResult['errorKind'] = null;
    let errorMessage: string | null = null;
    if (res.ok) {
      judgement = format.judge(res);
      if (judgement.outcome !== 'success') {
        errorKind = res.status >= 200 && res.status < 300 ? 'bad_body' : 'bad_status';
        errorMessage = judgement.reason;
      }
    } else {
      judgement = { outcome: 'retry', reason: res.message };
      errorKind = res.kind;
      errorMessage = res.message;
    }
    const now = Date.now();
    let outcome: AttemptResult['outcome'];
    let nextAttemptMs: number | null = null;
    if (judgement.outcome === 'success') outcome = 'succeeded';
    else if (judgement.outcome === 'gone') outcome = 'gone';
    else {
      const schedule = effectiveSchedule(format, sub.retryScheduleOverride);
      if (attemptNo > schedule.length) outcome = format.whenExhausted;
      else {
        outcome = 'retry';
        const base = schedule[attemptNo - 1] * 1000;
        const delay = judgement.retryAfterMs ?? (format.jitter ? base * (0.9 + Math.random() * 0.2) : base);
        nextAttemptMs = now + Math.round(delay);
      }
    }
    this.opts.metrics?.attemptSeconds.observe({ format: sub.format, outcome }, durationMs / 1000);
    this.opts.metrics?.attempts.inc({ format: sub.format, outcome });
    this.results.push({
      delivery: d,
      attemptNo,
      startedMs,
      durationMs,
      requestHeaders: maskHeaders(headers),
      responseStatus: res.ok ? res.status : null,
      responseHeaders: res.ok ? res.headers : null,
      responseBody: res.ok ? truncate(res.body, LOGGED_BODY_BYTES) : null,
      errorKind,
      errorMessage,
      outcome,
      nextAttemptMs,
    });
    this.scheduleFlush();
    const reopenAt = this.breakers.record(sub.id, outcome === 'succeeded', now);
    if (reopenAt !== null) await this.pauseEndpoint(sub.id, reopenAt);
    if (outcome === 'gone') {
      await this.flush();
      await disableSubscription(this.ctx, sub.accountId, sub.id, 'the endpoint answered 410 Gone').catch((e) =>
        this.log('disable failed', e),
      );
    }
  }

  /**
   * The breaker opened: give back what this worker queued for the endpoint and push the endpoint's
   * other pending deliveries to the reopen time. No attempt is spent on them.
   */
  private async pauseEndpoint(webhookId: string, reopenAt: number): Promise<void> {
    const q = this.queues.get(webhookId) ?? [];
    this.queues.delete(webhookId);
    this.queuedTotal -= q.length;
    try {
      await releaseClaims(this.ctx.store, this.owner, q.map((d) => d.id), reopenAt);
      await this.ctx.store.db
        .updateTable('deliveries')
        .set({ next_attempt_ms: reopenAt })
        .where('webhook_id', '=', webhookId)
        .where('status', '=', 'pending')
        .where('lease_owner', 'is', null)
        .where('next_attempt_ms', '<', reopenAt)
        .execute();
    } catch (err) {
      this.log('pausing endpoint failed', err);
    }
    this.checkIdle();
  }

  private scheduleFlush(): void {
    if (this.results.length >= 200) {
      void this.flush();
      return;
    }
    if (this.flushTimer) return;
    // Ten milliseconds of batching turns dozens of small commits into one; only the log waits, never a send.
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      void this.flush();
    }, 10);
  }

  private flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const batch = this.results;
      this.results = [];
      if (batch.length === 0) return;
      const now = Date.now();
      try {
        await writeResults(this.ctx.store, this.owner, batch, now);
      } catch (err) {
        // The rows stay leased: when the lease runs out they are sent again (at-least-once).
        this.log('writing attempt results failed', err);
        return;
      }
      await this.disableLongFailing(batch, now);
      this.checkIdle();
    });
    return this.flushing;
  }

  private async disableLongFailing(batch: AttemptResult[], now: number): Promise<void> {
    const failing = [...new Set(batch.filter((r) => r.outcome !== 'succeeded').map((r) => r.delivery.webhookId))];
    if (failing.length === 0) return;
    const stale = await this.ctx.store.db
      .selectFrom('webhooks')
      .select(['id', 'account_id'])
      .where('id', 'in', failing)
      .where('enabled', '=', 1)
      .where('failing_since_ms', '<=', now - DISABLE_AFTER_MS)
      .execute();
    for (const w of stale) {
      await disableSubscription(this.ctx, w.account_id, w.id, 'the endpoint has been failing for 5 days').catch((e) =>
        this.log('disable failed', e),
      );
    }
  }

  private async extend(): Promise<void> {
    if (this.inFlightTotal + this.queuedTotal === 0) return;
    await extendLeases(this.ctx.store, this.owner, Date.now() + this.leaseMs).catch((e) => this.log('lease heartbeat failed', e));
  }

  private checkIdle(): void {
    if (this.inFlightTotal === 0 && this.queuedTotal === 0 && this.results.length === 0) {
      const waiting = this.idle;
      this.idle = [];
      for (const r of waiting) r();
    }
  }

  /** LISTEN on a dedicated connection; reconnects after errors (the poll covers the gap). */
  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.ctx.store.url });
    client.on('notification', () => this.wake());
    client.on('error', () => {});
    client.on('end', () => {
      if (this.running && this.listener === client) {
        this.listener = null;
        setTimeout(() => void this.listen().catch(() => {}), 1000).unref();
      }
    });
    await client.connect();
    await client.query(`listen ${DELIVERY_CHANNEL}`);
    this.listener = client;
  }
}

const SECRET_HEADERS = new Set(['authorization']);

/** The attempt log never stores credentials. */
function maskHeaders(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k] = SECRET_HEADERS.has(k.toLowerCase()) ? `${v.split(' ')[0]} ***` : v;
  return out;
}

function truncate(s: string, bytes: number): string {
  const b = Buffer.from(s, 'utf8');
  return b.length <= bytes ? s : b.subarray(0, bytes).toString('utf8');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
