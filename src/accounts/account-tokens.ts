import { claimCommitted, claimIn, type Ctx } from '../context.js';
import { AppError, notFound } from '../errors.js';
import { lockAccountRow } from '../storage/account-lock.js';
import type { Selectable } from 'kysely';
import type { Db, Tx } from '../storage/database.js';
import type { TokenTable } from '../storage/schema.js';
import { hashToken, insertToken, newToken, type TokenKind, type TokenScope } from './tokens.js';

/**
 * An account's tokens as their owner manages them: listed without their secrets, created and
 * rotated with the secret shown once, revoked by deleting the row. Authentication reads the
 * tokens table on every request (tokens.ts), so a rotated or revoked secret is refused at once by
 * every process on the database; nothing caches a token.
 */

export interface TokenView {
  id: string;
  name: string;
  kind: TokenKind;
  scope: TokenScope;
  /** The installed application an `application` token belongs to; null for a user token. */
  applicationId: number | null;
  createdAt: string;
  /** To the minute (token-use.ts); null: never used. */
  lastUsedAt: string | null;
}

export interface AccountSummary {
  id: string;
  number: number;
  slug: string;
  name: string;
  plan: 'free' | 'paid';
  createdAt: string;
}

const iso = (ms: number | string): string => new Date(Number(ms)).toISOString();

export async function listAccounts(db: Db): Promise<AccountSummary[]> {
  const rows = await db.selectFrom('accounts').select(['id', 'number', 'slug', 'name', 'plan', 'created_ms']).orderBy('number').execute();
  return rows.map((r) => ({ id: r.id, number: Number(r.number), slug: r.slug, name: r.name, plan: r.plan, createdAt: iso(r.created_ms) }));
}

async function accountMustExist(db: Db | Tx, accountId: string): Promise<void> {
  const row = await db.selectFrom('accounts').select('id').where('id', '=', accountId).executeTakeFirst();
  if (!row) throw notFound('account', accountId);
}

const tokenColumns = ['id', 'name', 'kind', 'scope', 'application_id', 'created_ms', 'last_used_ms'] as const;
type TokenRow = Pick<Selectable<TokenTable>, (typeof tokenColumns)[number]>;

const toView = (r: TokenRow): TokenView => ({
  id: r.id,
  name: r.name,
  kind: r.kind,
  scope: r.scope,
  applicationId: r.application_id,
  createdAt: iso(r.created_ms),
  lastUsedAt: r.last_used_ms === null ? null : iso(r.last_used_ms),
});

/** Every token of the account, user tokens and installed applications' alike, oldest first. */
export async function listTokens(db: Db, accountId: string): Promise<TokenView[]> {
  await accountMustExist(db, accountId);
  const rows = await db.selectFrom('tokens').select(tokenColumns).where('account_id', '=', accountId).orderBy('created_ms').orderBy('id').execute();
  return rows.map(toView);
}

/** One token of the account by its public id (the caller's own, for GET /api/v1/tokens/current). */
export async function getToken(db: Db | Tx, accountId: string, tokenId: string): Promise<TokenView> {
  const row = await db.selectFrom('tokens').select(tokenColumns).where('account_id', '=', accountId).where('id', '=', tokenId).executeTakeFirst();
  if (!row) throw notFound('token', tokenId);
  return toView(row);
}

/** A user token that may be rotated or revoked here: an application's token belongs to its installation. */
async function userToken(tx: Tx, accountId: string, tokenId: string): Promise<TokenView> {
  const token = await getToken(tx, accountId, tokenId);
  if (token.kind !== 'user') {
    throw new AppError('INVALID_STATE', `token ${tokenId} belongs to application ${token.applicationId}: uninstall the application to revoke it`, {
      tokenId,
      applicationId: token.applicationId,
    });
  }
  return token;
}

export async function createToken(ctx: Ctx, accountId: string, input: { name: string; scope: TokenScope }): Promise<TokenView & { token: string }> {
  const out = await ctx.store.write(async (tx) => {
    const now = ctx.now();
    await claimIn(tx, now);
    await accountMustExist(tx, accountId);
    const { id, token } = await insertToken(tx, accountId, 'user', now, null, input);
    return { ...(await getToken(tx, accountId, id)), token };
  });
  claimCommitted();
  return out;
}

/** A new secret for the same id, name and scope; the old secret is refused from the commit on. */
export async function rotateToken(ctx: Ctx, accountId: string, tokenId: string): Promise<TokenView & { token: string }> {
  const out = await ctx.store.write(async (tx) => {
    await claimIn(tx, ctx.now());
    await accountMustExist(tx, accountId);
    await userToken(tx, accountId, tokenId);
    const token = newToken('shk');
    // The new secret has not been used yet.
    await tx
      .updateTable('tokens')
      .set({ token_hash: hashToken(token), last_used_ms: null })
      .where('account_id', '=', accountId)
      .where('id', '=', tokenId)
      .execute();
    return { ...(await getToken(tx, accountId, tokenId)), token };
  });
  claimCommitted();
  return out;
}

/**
 * Deletes the token. With `keepLastWrite` (an account revoking through its own token) the
 * account's last `write` user token is refused with LAST_WRITE_TOKEN: the account would lock
 * itself out of every write and of managing its tokens. The administrator may revoke it (a leaked
 * token must be stoppable) and issue a new one. The account row is locked first so two revocations
 * racing for the last two write tokens cannot both see one left.
 */
export async function revokeToken(ctx: Ctx, accountId: string, tokenId: string, opts: { keepLastWrite: boolean }): Promise<void> {
  await ctx.store.write(async (tx) => {
    await claimIn(tx, ctx.now());
    await accountMustExist(tx, accountId);
    await lockAccountRow(tx, accountId);
    const token = await userToken(tx, accountId, tokenId);
    if (opts.keepLastWrite && token.scope === 'write') {
      const others = await tx
        .selectFrom('tokens')
        .select('id')
        .where('account_id', '=', accountId)
        .where('kind', '=', 'user')
        .where('scope', '=', 'write')
        .where('id', '<>', tokenId)
        .executeTakeFirst();
      if (!others) {
        const message = `token ${tokenId} is the account's last write token; create another write token first, or ask the administrator`;
        throw new AppError('LAST_WRITE_TOKEN', message, { tokenId });
      }
    }
    await tx.deleteFrom('tokens').where('account_id', '=', accountId).where('id', '=', tokenId).execute();
  });
  claimCommitted();
}
