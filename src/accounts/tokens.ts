import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db, Store, Tx } from '../storage/database.js';
import { prepared } from '../storage/prepared.js';

export type TokenKind = 'user' | 'application';
/** `read`: GET and HEAD only; `write`: everything the token's kind may do. */
export type TokenScope = 'read' | 'write';

export interface Principal {
  accountId: string;
  accountNumber: number;
  accountSlug: string;
  plan: 'free' | 'paid';
  tokenKind: TokenKind;
  applicationId: number | null;
  /** The token's public id (`tok_…`): what the token routes name it by. */
  tokenId: string;
  scope: TokenScope;
}

/** Tokens are stored only as SHA-256 hashes: a leaked database leaks no credentials. */
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** RFC 6750's b64token: what a token must look like to be sent as `Bearer <token>`. */
export const TOKEN_SYNTAX = /^[A-Za-z0-9\-._~+/]+=*$/;

export const newToken = (prefix: string): string => `${prefix}_${randomBytes(24).toString('base64url')}`;

/** A token's public id: random, so it tells nothing about the secret or the account. */
export const newTokenId = (): string => `tok_${randomBytes(12).toString('base64url')}`;

/** A public token id as routes take it. */
export const TOKEN_ID_SYNTAX = '^tok_[A-Za-z0-9_-]{16}$';

export interface TokenOptions {
  name?: string;
  scope?: TokenScope;
}

/** Inserts a new token and returns its public id and its secret (the only time the secret exists in clear). */
export async function insertToken(
  tx: Tx | Db,
  accountId: string,
  kind: TokenKind,
  now: number,
  applicationId: number | null = null,
  opts: TokenOptions = {},
): Promise<{ id: string; token: string }> {
  const token = newToken('shk');
  const id = newTokenId();
  await tx
    .insertInto('tokens')
    .values({
      token_hash: hashToken(token),
      id,
      account_id: accountId,
      kind,
      application_id: applicationId,
      name: opts.name ?? (kind === 'application' ? 'application' : 'default'),
      scope: opts.scope ?? 'write',
      last_used_ms: null,
      created_ms: now,
    })
    .execute();
  return { id, token };
}

export async function issueToken(
  tx: Tx | Db,
  accountId: string,
  kind: TokenKind,
  now: number,
  applicationId: number | null = null,
  opts: TokenOptions = {},
): Promise<string> {
  return (await insertToken(tx, accountId, kind, now, applicationId, opts)).token;
}

// Every authenticated request runs it: compiled once (storage/prepared.ts). One indexed SELECT by
// the primary key; it also reads last_used_ms so the caller knows, without a second statement,
// whether the token's last use is due to be recorded (token-use.ts).
const principalByHash = prepared<{ hash: string }>()((db, v) =>
  db
    .selectFrom('tokens')
    .innerJoin('accounts', 'accounts.id', 'tokens.account_id')
    .select([
      'accounts.id',
      'accounts.number',
      'accounts.slug',
      'accounts.plan',
      'tokens.kind',
      'tokens.application_id',
      'tokens.id as token_id',
      'tokens.scope',
      'tokens.last_used_ms',
    ])
    .where('tokens.token_hash', '=', v.hash),
);

/** The token's principal and when it was last recorded as used (null: never). */
export async function findToken(db: Db, token: string): Promise<{ principal: Principal; lastUsedMs: number | null } | undefined> {
  const [row] = (await principalByHash(db, { hash: hashToken(token) })).rows;
  if (!row) return undefined;
  return {
    principal: {
      accountId: row.id,
      accountNumber: Number(row.number),
      accountSlug: row.slug,
      plan: row.plan,
      tokenKind: row.kind,
      applicationId: row.application_id,
      tokenId: row.token_id,
      scope: row.scope,
    },
    lastUsedMs: row.last_used_ms === null ? null : Number(row.last_used_ms),
  };
}

export async function findPrincipal(db: Db, token: string): Promise<Principal | undefined> {
  return (await findToken(db, token))?.principal;
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
