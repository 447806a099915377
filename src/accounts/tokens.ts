import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db, Store, Tx } from '../storage/database.js';
import { prepared } from '../storage/prepared.js';

export type TokenKind = 'user' | 'application';

export interface Principal {
  accountId: string;
  accountNumber: number;
  accountSlug: string;
  plan: 'free' | 'paid';
  tokenKind: TokenKind;
  applicationId: number | null;
}

/** Tokens are stored only as SHA-256 hashes: a leaked database leaks no credentials. */
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** RFC 6750's b64token: what a token must look like to be sent as `Bearer <token>`. */
export const TOKEN_SYNTAX = /^[A-Za-z0-9\-._~+/]+=*$/;

export const newToken = (prefix: string): string => `${prefix}_${randomBytes(24).toString('base64url')}`;

export async function issueToken(
  tx: Tx | Db,
  accountId: string,
  kind: TokenKind,
  now: number,
  applicationId: number | null = null,
): Promise<string> {
  const token = newToken('shk');
  await tx
    .insertInto('tokens')
    .values({ token_hash: hashToken(token), account_id: accountId, kind, application_id: applicationId, created_ms: now })
    .execute();
  return token;
}

// Every authenticated request runs it: compiled once (storage/prepared.ts).
const principalByHash = prepared<{ hash: string }>()((db, v) =>
  db
    .selectFrom('tokens')
    .innerJoin('accounts', 'accounts.id', 'tokens.account_id')
    .select(['accounts.id', 'accounts.number', 'accounts.slug', 'accounts.plan', 'tokens.kind', 'tokens.application_id'])
    .where('tokens.token_hash', '=', v.hash),
);

export async function findPrincipal(db: Db, token: string): Promise<Principal | undefined> {
  const [row] = (await principalByHash(db, { hash: hashToken(token) })).rows;
  if (!row) return undefined;
  return {
    accountId: row.id,
    accountNumber: Number(row.number),
    accountSlug: row.slug,
    plan: row.plan,
    tokenKind: row.kind,
    applicationId: row.application_id,
  };
}

export function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/**
 * The administrator token: STOCKHOOK_ADMIN_TOKEN when set; otherwise one is generated on the
 * first start, its hash kept in `settings`, and the token itself returned so the caller prints it once.
 */
export async function ensureAdminToken(store: Store, fromEnv: string | undefined): Promise<{ hash: string; printOnce?: string }> {
  if (fromEnv) return { hash: hashToken(fromEnv) };
  const { db } = store;
  const existing = await db.selectFrom('settings').select('value').where('key', '=', 'admin_token_hash').executeTakeFirst();
  if (existing) return { hash: existing.value };
  const token = newToken('shk_admin');
  const hash = hashToken(token);
  await store.autocommit((w) => w.insertInto('settings').values({ key: 'admin_token_hash', value: hash }).onConflict((oc) => oc.doNothing()).execute());
  // Another process may have won the race; the stored hash is the one that counts.
  const stored = await db.selectFrom('settings').select('value').where('key', '=', 'admin_token_hash').executeTakeFirstOrThrow();
  return stored.value === hash ? { hash, printOnce: token } : { hash: stored.value };
}
