import type { Selectable } from 'kysely';
import { issueToken, type Principal } from '../accounts/tokens.js';
import { writeTx, type Ctx } from '../context.js';
import { AppError, notFound } from '../errors.js';
import type { Db, Tx } from '../storage/database.js';
import type { ApplicationTable } from '../storage/schema.js';
import { deleteApplicationSubscriptionsIn } from '../webhooks/subscriptions.js';
import { forgetAccessToken, keepAccessToken } from './application-secrets.js';

export interface Application {
  id: number;
  name: string;
  createdAt: string;
}

export interface Installation {
  applicationId: number;
  /** The application's API token for this account; shown this once. */
  accessToken: string;
}

const toApplication = (r: Selectable<ApplicationTable>): Application => ({
  id: r.id,
  name: r.name,
  createdAt: new Date(Number(r.created_ms)).toISOString(),
});

/** Registers an integrator application (administrator); accounts then install it. */
export async function createApplication(ctx: Ctx, input: { name: string }): Promise<Application> {
  const row = await ctx.store.db
    .insertInto('applications')
    .values({ name: input.name, created_ms: ctx.now() })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toApplication(row);
}

export async function listApplications(db: Db): Promise<Application[]> {
  return (await db.selectFrom('applications').selectAll().orderBy('id').execute()).map(toApplication);
}

async function findApplication(tx: Tx, id: number): Promise<Selectable<ApplicationTable>> {
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
    const { result } = await writeTx(ctx, p.accountId, async ({ tx, now, emit }) => {
      await findApplication(tx, applicationId);
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
    if (ctx.store.dialect.isUniqueViolation(err)) throw installedAlready(applicationId);
    throw err;
  }
}

const installedAlready = (id: number): AppError =>
  new AppError('CONFLICT', `application ${id} is already installed in this account`, { applicationId: id });

/**
 * Uninstalls: every token of that application in this account is deleted (it stops working at
 * once), its kept access token too (an `application`/`added` hook still waiting is then not sent),
 * every subscription it created is deleted with its waiting deliveries cancelled, and
 * `application.uninstalled` is emitted. A user token may uninstall any application; an
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
    await deleteApplicationSubscriptionsIn(scope, p.accountId, applicationId);
    emit({
      type: 'application.uninstalled',
      object: 'application',
      objectId: applicationId,
      action: 'removed',
      data: { applicationId, user_id: p.accountNumber },
    });
  });
}
