import type { Principal } from '../accounts/tokens.js';
import { notFound } from '../errors.js';
import type { Db } from '../storage/database.js';

/**
 * The Kladana objects a `webhookstock` answer links to besides webhooks (docs/formats/kladana.md):
 * the list's `context.employee` and a webhook's `authorApplication`. Seed 001 shows both links in
 * its answers, so a Kladana client may follow them; every href stockhook hands out answers.
 */
export const MEDIA_TYPE = 'application/json';
const API = '/api/remap/1.2';

export interface Meta {
  href: string;
  metadataHref: string;
  type: string;
  mediaType: string;
}

/** The caller as Kladana's `context/employee`: stockhook has no staff users, so it is the account. */
export const employeeMeta = (base: string): Meta => ({
  href: `${base}${API}/context/employee`,
  metadataHref: `${base}${API}/entity/employee/metadata`,
  type: 'employee',
  mediaType: MEDIA_TYPE,
});

export const applicationMeta = (base: string, applicationId: number): Meta => ({
  href: `${base}${API}/entity/application/${applicationId}`,
  metadataHref: `${base}${API}/entity/application/metadata`,
  type: 'application',
  mediaType: MEDIA_TYPE,
});

export interface EmployeeEntity {
  meta: Meta;
  id: string;
  accountId: string;
  name: string;
}

export interface ApplicationEntity {
  meta: Meta;
  id: number;
  accountId: string;
  name: string;
}

/**
 * `GET /api/remap/1.2/context/employee`: who the credentials belong to. stockhook's users are its
 * accounts (an application token acts for the account that installed it), so the employee is the
 * account: its UUID and its name.
 */
export async function contextEmployee(db: Db, base: string, p: Principal): Promise<EmployeeEntity> {
  const account = await db.selectFrom('accounts').select(['id', 'name']).where('id', '=', p.accountId).executeTakeFirstOrThrow();
  return { meta: employeeMeta(base), id: account.id, accountId: account.id, name: account.name };
}

/**
 * `GET /api/remap/1.2/entity/application/{id}`, the `authorApplication` of a webhook: answered for
 * an application the caller's account knows (installed, or the author of one of its webhooks);
 * any other id is 404, so the list of registered applications stays the administrator's. An
 * application's token sees only its own webhooks, so it reads only its own application.
 */
export async function authorApplication(db: Db, base: string, p: Principal, applicationId: number): Promise<ApplicationEntity> {
  if (p.tokenKind === 'application' && p.applicationId !== applicationId) throw notFound('application', applicationId);
  const row = await db
    .selectFrom('applications as a')
    .select(['a.id', 'a.name'])
    .where('a.id', '=', applicationId)
    .where((eb) =>
      eb.or([
        eb.exists(
          eb.selectFrom('installations as i').select('i.application_id').whereRef('i.application_id', '=', 'a.id').where('i.account_id', '=', p.accountId),
        ),
        eb.exists(
          eb.selectFrom('webhooks as w').select('w.id').whereRef('w.author_application_id', '=', 'a.id').where('w.account_id', '=', p.accountId),
        ),
      ]),
    )
    .executeTakeFirst();
  if (!row) throw notFound('application', applicationId);
  return { meta: applicationMeta(base, row.id), id: row.id, accountId: p.accountId, name: row.name };
}
