import { randomUUID } from 'node:crypto';
import { writeTx, type Ctx, type WriteScope } from '../context.js';
import { AppError, notFound } from '../errors.js';
import { EVENT_TYPES } from '../events/catalog.js';
import type { Principal } from '../accounts/tokens.js';
import type { Db, Tx } from '../storage/database.js';
import { effectiveSchedule, FORMATS, formatOf } from './formats/index.js';
import { toSubscription, type Subscription } from './subscription.js';
import { checkTarget } from './targets.js';

export interface SubscriptionInput {
  url: string;
  format?: string;
  events?: string[] | null;
  secret?: string;
  basicAuth?: { username: string; password: string } | null;
  bearerToken?: string | null;
  enabled?: boolean;
  retrySchedule?: number[] | null;
  coalesceSeconds?: number | null;
  maxInFlight?: number;
  [option: string]: unknown;
}

/** What clients see: no secret (it is shown once, at creation), passwords masked. */
export interface SubscriptionView {
  id: string;
  url: string;
  format: string;
  events: string[] | null;
  enabled: boolean;
  disabledReason: string | null;
  basicAuth: { username: string } | null;
  bearerToken: boolean;
  retrySchedule: number[];
  coalesceSeconds: number | null;
  maxInFlight: number;
  options: Record<string, unknown>;
  failingSince: string | null;
  createdAt: string;
  updatedAt: string;
  secret?: string;
}

export const DEFAULT_MAX_IN_FLIGHT = 16;

export function toView(s: Subscription, withSecret = false): SubscriptionView {
  const format = formatOf(s.format);
  return {
    id: s.id,
    url: s.url,
    format: s.format,
    events: s.events,
    enabled: s.enabled,
    disabledReason: s.disabledReason,
    basicAuth: s.basicAuth ? { username: s.basicAuth.username } : null,
    bearerToken: s.bearerToken !== null,
    retrySchedule: effectiveSchedule(format, s.retryScheduleOverride),
    coalesceSeconds: format.coalesce ? (s.coalesceSeconds ?? format.coalesce.defaultSeconds) : null,
    maxInFlight: s.maxInFlight,
    options: s.options,
    failingSince: s.failingSince === null ? null : new Date(s.failingSince).toISOString(),
    createdAt: new Date(s.createdMs).toISOString(),
    updatedAt: new Date(s.updatedMs).toISOString(),
    ...(withSecret && { secret: s.secret }),
  };
}

function checkUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new AppError('VALIDATION_FAILED', 'url is not a valid URL', { field: 'url' });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new AppError('VALIDATION_FAILED', 'url must be http or https', { field: 'url' });
  }
  if (u.username || u.password) {
    throw new AppError('VALIDATION_FAILED', 'put endpoint credentials in basicAuth, not in the url', { field: 'url' });
  }
}

function checkEvents(events: string[] | null | undefined): void {
  for (const e of events ?? []) {
    if (!(EVENT_TYPES as readonly string[]).includes(e)) {
      throw new AppError('VALIDATION_FAILED', `events: unknown event type ${e}`, { field: 'events', known: EVENT_TYPES });
    }
  }
}

function checkCoalesce(formatName: string, seconds: number | null | undefined): void {
  if (seconds == null) return;
  const c = formatOf(formatName).coalesce;
  if (!c) throw new AppError('VALIDATION_FAILED', `format ${formatName} does not coalesce`, { field: 'coalesceSeconds' });
  if (seconds < c.minSeconds || seconds > c.maxSeconds) {
    throw new AppError('VALIDATION_FAILED', `coalesceSeconds must be ${c.minSeconds}-${c.maxSeconds}`, { field: 'coalesceSeconds' });
  }
}

export async function findSubscription(db: Db | Tx, accountId: string, id: string): Promise<Subscription> {
  const row = await db.selectFrom('webhooks').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('webhook', id);
  return toSubscription(row);
}

export async function listSubscriptions(db: Db, accountId: string, filter: { format?: string } = {}): Promise<Subscription[]> {
  let q = db.selectFrom('webhooks').selectAll().where('account_id', '=', accountId);
  if (filter.format) q = q.where('format', '=', filter.format);
  return (await q.orderBy('created_ms').orderBy('id').execute()).map(toSubscription);
}

function requirePaid(p: Principal): void {
  if (p.plan !== 'paid') throw new AppError('PLAN_FORBIDS_WEBHOOKS');
}

/** Creates a subscription inside the caller's transaction (Kladana's bulk create shares it). */
export async function createSubscriptionIn(scope: WriteScope, ctx: Ctx, p: Principal, input: SubscriptionInput): Promise<Subscription> {
  requirePaid(p);
  const formatName = input.format ?? 'native';
  const format = FORMATS[formatName];
  if (!format) throw new AppError('VALIDATION_FAILED', `unknown format ${formatName}`, { field: 'format', formats: Object.keys(FORMATS) });
  checkUrl(input.url);
  checkEvents(input.events);
  checkCoalesce(formatName, input.coalesceSeconds);
  await checkTarget(input.url, ctx.settings.allowPrivateTargets);
  const secret = format.secret ? format.secret(input.secret) : (input.secret ?? randomUUID().replaceAll('-', ''));
  const options = format.options ? format.options(input) : {};
  const extra = await format.checkSubscription?.(scope, p, { url: input.url, options, enabled: input.enabled !== false });
  const row = {
    id: randomUUID(),
    account_id: p.accountId,
    url: input.url,
    format: formatName,
    events: input.events ? JSON.stringify(input.events) : null,
    secret,
    basic_username: input.basicAuth?.username ?? null,
    basic_password: input.basicAuth?.password ?? null,
    bearer_token: input.bearerToken ?? null,
    enabled: input.enabled === false ? 0 : 1,
    disabled_reason: input.enabled === false ? 'disabled by user' : null,
    retry_schedule: input.retrySchedule ? JSON.stringify(input.retrySchedule) : null,
    coalesce_seconds: input.coalesceSeconds ?? null,
    max_in_flight: input.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT,
    options: JSON.stringify({ ...options, ...extra }),
    token_kind: p.tokenKind,
    failing_since_ms: null,
    created_ms: scope.now,
    updated_ms: scope.now,
  };
  await scope.tx.insertInto('webhooks').values(row).execute();
  return toSubscription(row);
}

export async function createSubscription(ctx: Ctx, p: Principal, input: SubscriptionInput): Promise<SubscriptionView> {
  const { result } = await writeTx(ctx, p.accountId, (scope) => createSubscriptionIn(scope, ctx, p, input));
  return toView(result, true);
}

/** Changes a subscription; enabling or disabling also holds or releases its pending deliveries. */
export async function updateSubscriptionIn(
  scope: WriteScope,
  ctx: Ctx,
  p: Principal,
  id: string,
  input: Partial<SubscriptionInput>,
): Promise<Subscription> {
  requirePaid(p);
  const { tx, now } = scope;
  const current = await findSubscription(tx, p.accountId, id);
  const format = formatOf(current.format);
  if (input.format !== undefined && input.format !== current.format) {
    throw new AppError('VALIDATION_FAILED', 'the format of a subscription cannot change; create a new one', { field: 'format' });
  }
  if (input.url !== undefined) {
    checkUrl(input.url);
    await checkTarget(input.url, ctx.settings.allowPrivateTargets);
  }
  checkEvents(input.events);
  checkCoalesce(current.format, input.coalesceSeconds);
  const options = format.options ? format.options({ ...current.options, ...input }) : current.options;
  const candidate = { url: input.url ?? current.url, options, enabled: input.enabled ?? current.enabled };
  const extra = await format.checkSubscription?.(scope, p, candidate, id);
  const set = {
    ...(input.url !== undefined && { url: input.url }),
    ...(input.events !== undefined && { events: input.events ? JSON.stringify(input.events) : null }),
    ...(input.secret !== undefined && { secret: format.secret ? format.secret(input.secret) : input.secret }),
    ...(input.basicAuth !== undefined && {
      basic_username: input.basicAuth?.username ?? null,
      basic_password: input.basicAuth?.password ?? null,
    }),
    ...(input.bearerToken !== undefined && { bearer_token: input.bearerToken }),
    ...(input.retrySchedule !== undefined && { retry_schedule: input.retrySchedule ? JSON.stringify(input.retrySchedule) : null }),
    ...(input.coalesceSeconds !== undefined && { coalesce_seconds: input.coalesceSeconds }),
    ...(input.maxInFlight !== undefined && { max_in_flight: input.maxInFlight }),
    ...(input.enabled !== undefined && {
      enabled: input.enabled ? 1 : 0,
      disabled_reason: input.enabled ? null : 'disabled by user',
      ...(input.enabled && { failing_since_ms: null }),
    }),
    options: JSON.stringify({ ...options, ...extra }),
    updated_ms: now,
  };
  const row = await tx
    .updateTable('webhooks')
    .set(set)
    .where('account_id', '=', p.accountId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  if (input.enabled !== undefined && input.enabled !== current.enabled) {
    await setHeld(tx, id, !input.enabled, now);
  }
  return toSubscription(row);
}

export async function updateSubscription(ctx: Ctx, p: Principal, id: string, input: Partial<SubscriptionInput>): Promise<SubscriptionView> {
  const { result } = await writeTx(ctx, p.accountId, (scope) => updateSubscriptionIn(scope, ctx, p, id, input));
  return toView(result, input.secret !== undefined);
}

/**
 * A disabled subscription keeps its pending deliveries as `held` (nothing is lost and nothing is
 * sent); enabling it makes them due at once.
 */
export async function setHeld(tx: Tx, webhookId: string, held: boolean, now: number): Promise<void> {
  await tx
    .updateTable('deliveries')
    .set(held ? { status: 'held', lease_owner: null } : { status: 'pending', next_attempt_ms: now })
    .where('webhook_id', '=', webhookId)
    .where('status', '=', held ? 'pending' : 'held')
    .execute();
}

/** Deleting cancels whatever was still waiting; the delivery log stays readable until then. */
export async function deleteSubscriptionIn(scope: WriteScope, accountId: string, id: string): Promise<Subscription> {
  const sub = await findSubscription(scope.tx, accountId, id);
  await scope.tx
    .updateTable('deliveries')
    .set({ status: 'cancelled', lease_owner: null, completed_ms: scope.now })
    .where('webhook_id', '=', id)
    .where('status', 'in', ['pending', 'held'])
    .execute();
  await scope.tx.deleteFrom('webhooks').where('account_id', '=', accountId).where('id', '=', id).execute();
  return sub;
}

export async function deleteSubscription(ctx: Ctx, accountId: string, id: string): Promise<void> {
  await writeTx(ctx, accountId, (scope) => deleteSubscriptionIn(scope, accountId, id));
}

/** A new signing secret; the old one stops working at once. Returned this once. */
export async function rotateSecret(ctx: Ctx, p: Principal, id: string): Promise<SubscriptionView> {
  const { result } = await writeTx(ctx, p.accountId, async (scope) => {
    const sub = await findSubscription(scope.tx, p.accountId, id);
    const format = formatOf(sub.format);
    const secret = format.secret ? format.secret(undefined) : randomUUID().replaceAll('-', '');
    return updateSubscriptionIn(scope, ctx, p, id, { secret });
  });
  return toView(result, true);
}

/**
 * Disables a subscription on the engine's behalf (410 Gone, or failing for 5 days): its pending
 * deliveries are held, and a `webhook.disabled` event tells the account's other subscribers.
 */
export async function disableSubscription(ctx: Ctx, accountId: string, id: string, reason: string): Promise<boolean> {
  const { result } = await writeTx(ctx, accountId, async ({ tx, now, emit }) => {
    const row = await tx
      .updateTable('webhooks')
      .set({ enabled: 0, disabled_reason: reason, updated_ms: now })
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .where('enabled', '=', 1)
      .returningAll()
      .executeTakeFirst();
    if (!row) return false;
    await setHeld(tx, id, true, now);
    emit({
      type: 'webhook.disabled',
      object: 'webhook',
      objectId: id,
      action: 'changed',
      data: { webhookId: id, url: row.url, format: row.format, reason },
    });
    return true;
  });
  return result;
}
