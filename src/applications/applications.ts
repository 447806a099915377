import type { Selectable } from 'kysely';
import { issueToken, type Principal } from '../accounts/tokens.js';
import { claimCommitted, claimIn, writeTx, type Ctx } from '../context.js';
import { AppError, notFound } from '../errors.js';
import type { NewEvent } from '../events/catalog.js';
import type { Db, Tx } from '../storage/database.js';
import type { ApplicationTable } from '../storage/schema.js';
import { FORMATS } from '../webhooks/formats/registry.js';
import { checkUrl } from '../webhooks/subscription-rules.js';
import { createSubscriptionIn, retireApplicationSubscriptionsIn } from '../webhooks/subscriptions.js';
import { checkTarget } from '../webhooks/targets.js';
import { forgetAccessToken, keepAccessToken } from './application-secrets.js';

export interface Application {
  id: number;
  name: string;
  /** The application's own Poster webhook; its secret (the verify key) is shown once, at registration. */
  webhook: { url: string; objects: string[]; secret?: string } | null;
  createdAt: string;
}

export interface ApplicationInput {
  name: string;
  webhook?: { url: string; objects: string[]; secret?: string };
}

export interface Installation {
  applicationId: number;
  /** The application's API token for this account; shown this once. */
  accessToken: string;
}

export const toApplication = (r: Selectable<ApplicationTable>, withSecret = false): Application => ({
  id: r.id,
  name: r.name,
  webhook:
    r.webhook_url === null
      ? null
      : {
          url: r.webhook_url,
          objects: JSON.parse(r.webhook_objects ?? '[]') as string[],
          ...(withSecret && r.webhook_secret !== null && { secret: r.webhook_secret }),
        },
  createdAt: new Date(Number(r.created_ms)).toISOString(),
});

/**
 * Registers an integrator application (administrator); accounts then install it. With `webhook`
 * it is a Poster application as Poster's developer settings make one: every account that installs
 * it gets a `poster` subscription to that URL for those entities, signed with that secret (its
 * verify key, generated when absent and shown this once), starting with `application`/`added`.
 */
export async function createApplication(ctx: Ctx, input: ApplicationInput): Promise<Application> {
  let webhook: { url: string; objects: string; secret: string } | null = null;
  if (input.webhook) {
    checkUrl(input.webhook.url);
    await checkTarget(input.webhook.url, ctx.settings.allowPrivateTargets);
    const poster = FORMATS.poster;
    const { objects } = poster.options?.({ objects: input.webhook.objects }) as { objects: string[] };
    webhook = { url: input.webhook.url, objects: JSON.stringify(objects), secret: poster.secret?.(input.webhook.secret) ?? '' };
  }
  // In the transaction that claims the request's Idempotency-Key (if it has one): twins that race
  // it wait for this answer instead of each registering an application.
  const now = ctx.now();
  const row = await ctx.store.write(async (tx) => {
    await claimIn(tx, now);
    return tx
      .insertInto('applications')
      .values({
        name: input.name,
        created_ms: now,
        webhook_url: webhook?.url ?? null,
        webhook_objects: webhook?.objects ?? null,
        webhook_secret: webhook?.secret ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  });
  claimCommitted();
  return toApplication(row, true);
}

export async function listApplications(db: Db): Promise<Application[]> {
  return (await db.selectFrom('applications').selectAll().orderBy('id').execute()).map((r) => toApplication(r));
}

export async function findApplication(tx: Tx, id: number): Promise<Selectable<ApplicationTable>> {
  const row = await tx.selectFrom('applications').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('application', id);
  return row;
}

/**
 * Installs an application into the caller's account: one application token is issued and shown
 * this once. `application.installed` carries no token (every subscriber and the events API see
 * it); the token's one clear copy goes to application_secrets, from which Poster's
 * `application`/`added` hook, sent only to the application's own subscription, reads it at send
 * time. Only a user token may install: an application must not install others.
 */
export async function installApplication(ctx: Ctx, p: Principal, applicationId: number): Promise<Installation> {
  if (p.tokenKind !== 'user') throw new AppError('FORBIDDEN', 'only a user token can install an application');
  try {
    const { result } = await writeTx(ctx, p.accountId, async (scope) => {
      const { tx, now, emit } = scope;
      const application = await findApplication(tx, applicationId);
      const existing = await tx
        .selectFrom('installations')
        .select('application_id')
        .where('account_id', '=', p.accountId)
        .where('application_id', '=', applicationId)
        .executeTakeFirst();
      if (existing) throw installedAlready(applicationId);
      await tx.insertInto('installations').values({ account_id: p.accountId, application_id: applicationId, installed_ms: now }).execute();
      const accessToken = await issueToken(tx, p.accountId, 'application', now, applicationId);
      await keepAccessToken(tx, p.accountId, applicationId, accessToken, now);
      // The application's own webhook, created in its name before the event, so the fan-out of
      // this very transaction sends it `application`/`added` (the free plan sends nothing).
      if (application.webhook_url !== null && p.plan === 'paid') {
        await createSubscriptionIn(scope, ctx, { ...p, tokenKind: 'application', applicationId }, {
          url: application.webhook_url,
          format: 'poster',
          objects: JSON.parse(application.webhook_objects ?? '[]') as string[],
          secret: application.webhook_secret ?? undefined,
        });
      }
      emit({
        type: 'application.installed',
        object: 'application',
        objectId: applicationId,
        action: 'added',
        // user_id: stockhook has no separate staff users, so the installer is the account itself.
        data: { applicationId, user_id: p.accountNumber },
      });
      return { applicationId, accessToken };
    });
    return result;
  } catch (err) {
    // Two concurrent installs: the loser trips the installations primary key.
    if (ctx.store.isUniqueViolation(err)) throw installedAlready(applicationId);
    throw err;
  }
}

const installedAlready = (id: number): AppError =>
  new AppError('CONFLICT', `application ${id} is already installed in this account`, { applicationId: id });

/**
 * Uninstalls: every token of that application in this account is deleted (it stops working at
 * once), its kept access token too (an `application`/`added` hook still waiting is then not sent),
 * every subscription it created has its waiting deliveries cancelled and is deleted, and
 * `application.uninstalled` is emitted. A subscription of it that hears of its own uninstall (a
 * Poster one listing `application`) is instead kept, marked removing, for that one last hook,
 * `application`/`removed` ("installation or removal of the application", seed 004): the
 * dispatcher deletes it once that hook has succeeded or run out of tries. A user token may uninstall any application; an
 * application token only its own application.
 */
export async function uninstallApplication(ctx: Ctx, p: Principal, applicationId: number): Promise<void> {
  if (p.tokenKind !== 'user' && p.applicationId !== applicationId) {
    throw new AppError('FORBIDDEN', 'an application token can only uninstall its own application');
  }
  await writeTx(ctx, p.accountId, async (scope) => {
    const { tx, emit } = scope;
    await findApplication(tx, applicationId);
    const removed = await tx
      .deleteFrom('installations')
      .where('account_id', '=', p.accountId)
      .where('application_id', '=', applicationId)
      .executeTakeFirst();
    if (Number(removed.numDeletedRows) === 0) {
      throw new AppError('NOT_FOUND', `application ${applicationId} is not installed in this account`, {
        object: 'installation',
        id: applicationId,
      });
    }
    await tx
      .deleteFrom('tokens')
      .where('account_id', '=', p.accountId)
      .where('kind', '=', 'application')
      .where('application_id', '=', applicationId)
      .execute();
    await forgetAccessToken(tx, p.accountId, applicationId);
    const uninstalled: NewEvent = {
      type: 'application.uninstalled',
      object: 'application',
      objectId: applicationId,
      action: 'removed',
      data: { applicationId, user_id: p.accountNumber },
    };
    await retireApplicationSubscriptionsIn(scope, { id: p.accountId, plan: p.plan }, applicationId, uninstalled);
    emit(uninstalled);
  });
}
