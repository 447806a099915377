import type { Db, Tx } from '../storage/database.js';
import type { AttemptReads } from '../webhooks/formats/format.js';

/*
 * The one clear copy of an installed application's access token. Tokens authenticate by hash
 * (accounts/tokens.ts); this copy exists only because Poster's `application`/`added` hook must hand
 * the token to the application, and it is read only when that hook is sent (applicationSecretReads,
 * handed to the dispatcher by compose.ts). Install writes it, uninstall deletes it.
 */

export async function keepAccessToken(tx: Tx, accountId: string, applicationId: number, accessToken: string, now: number): Promise<void> {
  await tx.insertInto('application_secrets').values({ account_id: accountId, application_id: applicationId, access_token: accessToken, created_ms: now }).execute();
}

export async function forgetAccessToken(tx: Tx, accountId: string, applicationId: number): Promise<void> {
  await tx.deleteFrom('application_secrets').where('account_id', '=', accountId).where('application_id', '=', applicationId).execute();
}

/** The reader the dispatcher hands to formats at send time. */
export function applicationSecretReads(db: Db): AttemptReads {
  return {
    async applicationToken(accountId, applicationId) {
      const row = await db
        .selectFrom('application_secrets')
        .select('access_token')
        .where('account_id', '=', accountId)
        .where('application_id', '=', applicationId)
        .executeTakeFirst();
      return row?.access_token ?? null;
    },
  };
}
