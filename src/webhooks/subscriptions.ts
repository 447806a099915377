import { randomUUID } from 'node:crypto';
import type { Principal } from '../accounts/tokens.js';
import { limitsOf, writeTx, type Ctx, type WriteScope } from '../context.js';
import { AppError } from '../errors.js';
import type { NewEvent, StoredEvent } from '../events/catalog.js';
import { FORMAT_NAMES, formatOf, isFormatName } from './formats/registry.js';
import type { Tx } from '../storage/database.js';
import { findSubscription, toSubscription, type Subscription, type SubscriptionOwner } from './subscription-row.js';
import { checkCoalesce, checkEvents, checkUrl, DEFAULT_MAX_IN_FLIGHT, requirePaid, secretFor } from './subscription-rules.js';
import { toView, type SubscriptionView } from './subscription-view.js';
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

/** Creates a subscription inside the caller's transaction (Kladana's bulk create shares it). */
export async function createSubscriptionIn(scope: WriteScope, ctx: Ctx, p: Principal, input: SubscriptionInput): Promise<Subscription> {
  requirePaid(p);
  const formatName = input.format ?? 'native';
  if (!isFormatName(formatName)) throw new AppError('VALIDATION_FAILED', `unknown format ${formatName}`, { field: 'format', formats: FORMAT_NAMES });
  const format = formatOf(formatName);
  checkUrl(input.url);
  checkEvents(input.events);
  checkCoalesce(formatName, input.coalesceSeconds);
  const { webhooksPerAccount } = limitsOf(ctx);
  const have = await scope.tx
    .selectFrom('webhooks')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', p.accountId)
    .where('removing_ms', 'is', null)
    .executeTakeFirstOrThrow();
  if (Number(have.n) >= webhooksPerAccount) {
    throw new AppError('WEBHOOK_LIMIT_REACHED', `an account has at most ${webhooksPerAccount} webhooks`, { limit: webhooksPerAccount });
  }
  await checkTarget(input.url, ctx.settings.allowPrivateTargets);
  const secret = secretFor(format, input.secret);
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
    author_application_id: p.tokenKind === 'application' ? p.applicationId : null,
    failing_since_ms: null,
    paused_until_ms: null,
    pause_cooldown_ms: null,
    probe_owner: null,
    probe_until_ms: null,
    previous_secret: null,
    previous_secret_until_ms: null,
    removing_ms: null,
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
  const current = await findSubscription(tx, p, id);
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
  // Credentials were given for one server: a URL on another origin must not receive them.
  const moved = input.url !== undefined && origin(input.url) !== origin(current.url);
  const set = {
    ...(moved && input.basicAuth === undefined && { basic_username: null, basic_password: null }),
    ...(moved && input.bearerToken === undefined && { bearer_token: null }),
    ...(input.url !== undefined && { url: input.url }),
    ...(input.events !== undefined && { events: input.events ? JSON.stringify(input.events) : null }),
    // A secret set by hand switches at once: a rotation's earlier secret stops signing with it.
    ...(input.secret !== undefined && { secret: secretFor(format, input.secret), previous_secret: null, previous_secret_until_ms: null }),
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

/** scheme://host:port, default ports included, so `https://a` and `https://a:443` are one origin. */
const origin = (url: string): string => new URL(url).origin;

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

/** Ends the subscription's pending and held deliveries as `cancelled` (a leased one's result is then not written). */
async function cancelWaiting(scope: WriteScope, webhookId: string): Promise<void> {
  await scope.tx
    .updateTable('deliveries')
    .set({ status: 'cancelled', lease_owner: null, completed_ms: scope.now })
    .where('webhook_id', '=', webhookId)
    .where('status', 'in', ['pending', 'held'])
    .execute();
}

/** Deleting cancels whatever was still waiting; the delivery log stays readable until then. */
export async function deleteSubscriptionIn(scope: WriteScope, owner: SubscriptionOwner, id: string): Promise<Subscription> {
  const sub = await findSubscription(scope.tx, owner, id);
  const accountId = sub.accountId;
  await cancelWaiting(scope, id);
  await scope.tx.deleteFrom('webhooks').where('account_id', '=', accountId).where('id', '=', id).execute();
  return sub;
}

export async function deleteSubscription(ctx: Ctx, p: Principal, id: string): Promise<void> {
  await writeTx(ctx, p.accountId, (scope) => deleteSubscriptionIn(scope, p, id));
}

/**
 * Uninstalling an application removes what it created: every subscription its token made in the
 * account. One whose format tells an application of its removal and that takes the uninstall's own
 * event (a Poster one listing `application`: `application`/`removed`) is marked removing in this transaction instead of deleted:
 * the fan-out then gives it that event and nothing else, and the dispatcher deletes it in the
 * transaction that writes that delivery's final result (migration 020). Either way whatever was
 * still waiting for it is cancelled, as DELETE /api/v1/webhooks/:id does. Returns the ids marked.
 */
export async function retireApplicationSubscriptionsIn(
  scope: WriteScope,
  account: { id: string; plan: string },
  applicationId: number,
  farewell: NewEvent,
): Promise<string[]> {
  const rows = await scope.tx
    .selectFrom('webhooks')
    .selectAll()
    .where('account_id', '=', account.id)
    .where('author_application_id', '=', applicationId)
    .where('removing_ms', 'is', null)
    .execute();
  const event: StoredEvent = { ...farewell, id: '', accountId: account.id, seq: null, objectId: String(farewell.objectId), occurredAt: scope.now };
  const marked: string[] = [];
  for (const r of rows) {
    const sub = toSubscription(r);
    // Only a format that tells an application of its removal keeps the subscription for it, and
    // only when the fan-out will give it the event (fan-out.ts wants()): a free plan is sent
    // nothing, a disabled subscription nothing, and a filter or the format may leave it out.
    const format = formatOf(sub.format);
    const told =
      format.toldOfItsRemoval === true && account.plan === 'paid' && sub.enabled && (!sub.events || sub.events.includes(event.type)) && format.takes(event, sub);
    if (!told) {
      await deleteSubscriptionIn(scope, account.id, sub.id);
      continue;
    }
    // The row first: a replay page writing deliveries for it holds this row (replay.ts), so the
    // cancel below runs after that page has committed and sees what it wrote.
    await scope.tx.updateTable('webhooks').set({ removing_ms: scope.now, updated_ms: scope.now }).where('id', '=', sub.id).execute();
    await cancelWaiting(scope, sub.id);
    marked.push(sub.id);
  }
  return marked;
}

/** How long a rotated secret keeps signing unless the request says otherwise: 24 h, as Svix. */
export const DEFAULT_ROTATION_GRACE_SECONDS = 86_400;
export const MAX_ROTATION_GRACE_SECONDS = 7 * 86_400;

/**
 * A new signing secret, returned this once. For Standard Webhooks formats (native, marketplace)
 * the old one keeps signing beside it for `graceSeconds` (0: it stops at once), so receivers can
 * switch without failing a delivery; formats with one signature per header sign with the new one
 * at once. A rotation during a grace period replaces the earlier secret with the one it rotates out.
 */
export async function rotateSecret(ctx: Ctx, p: Principal, id: string, graceSeconds = DEFAULT_ROTATION_GRACE_SECONDS): Promise<SubscriptionView> {
  if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > MAX_ROTATION_GRACE_SECONDS) {
    throw new AppError('VALIDATION_FAILED', `gracePeriodSeconds must be an integer from 0 to ${MAX_ROTATION_GRACE_SECONDS}`, { field: 'gracePeriodSeconds' });
  }
  const { result } = await writeTx(ctx, p.accountId, async (scope) => {
    const sub = await findSubscription(scope.tx, p, id);
    const format = formatOf(sub.format);
    const rotated = await updateSubscriptionIn(scope, ctx, p, id, { secret: secretFor(format) });
    if (graceSeconds === 0 || !format.signsWithSeveralSecrets) return rotated;
    const row = await scope.tx
      .updateTable('webhooks')
      .set({ previous_secret: sub.secret, previous_secret_until_ms: scope.now + graceSeconds * 1000 })
      .where('account_id', '=', p.accountId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toSubscription(row);
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
