import { randomBytes } from 'node:crypto';
import type { Selectable } from 'kysely';
import { writeTx, type Ctx } from '../context.js';
import { AppError, notFound } from '../errors.js';
import type { Db, Tx } from '../storage/database.js';
import type { SourceTable } from '../storage/schema-sources.js';
import type { SourceFormat } from './vendors.js';

export const MAPPING_RULES = ['sku', 'code', 'explicit'] as const;
export type MappingRule = (typeof MAPPING_RULES)[number];

/** A source as the domain uses it (the secrets included: never handed to a client). */
export interface Source {
  id: number;
  accountId: string;
  name: string;
  format: SourceFormat;
  secret: string | null;
  reportAuthorization: string | null;
  reportBaseUrl: string | null;
  mapping: MappingRule;
  allowCreate: boolean;
  defaultWarehouseId: number | null;
  ownWebhookIds: string[];
  pathToken: string;
  enabled: boolean;
  createdMs: number;
  updatedMs: number;
}

/** What clients see: the inbound URL to paste into the vendor's settings, and no secret. */
export interface SourceView {
  id: number;
  name: string;
  format: SourceFormat;
  url: string;
  mapping: MappingRule;
  allowCreate: boolean;
  defaultWarehouseId: number | null;
  ownWebhookIds: string[];
  enabled: boolean;
  hasSecret: boolean;
  hasReportAuthorization: boolean;
  reportBaseUrl: string | null;
  /** How the source is doing: its last request and the rows waiting for a mapping. */
  health: SourceHealth;
  createdAt: string;
  updatedAt: string;
}

export interface SourceHealth {
  lastRequest: { id: string; receivedAt: string; outcome: string } | null;
  unmatched: number;
}

export interface SourceInput {
  name?: string;
  format?: SourceFormat;
  secret?: string | null;
  reportAuthorization?: string | null;
  reportBaseUrl?: string | null;
  mapping?: MappingRule;
  allowCreate?: boolean;
  defaultWarehouseId?: number | null;
  ownWebhookIds?: string[];
  enabled?: boolean;
}

/** Kladana's API, where its balance reports live: the only place a reportUrl is fetched from unless the source names another. */
export const KLADANA_API = 'https://app.kladana.in/api/remap/1.2/';

export const toSource = (r: Selectable<SourceTable>): Source => ({
  id: r.id,
  accountId: r.account_id,
  name: r.name,
  format: r.format as SourceFormat,
  secret: r.secret,
  reportAuthorization: r.report_authorization,
  reportBaseUrl: r.report_base_url,
  mapping: r.mapping as MappingRule,
  allowCreate: r.allow_create === 1,
  defaultWarehouseId: r.default_warehouse_id,
  ownWebhookIds: JSON.parse(r.own_webhook_ids) as string[],
  pathToken: r.path_token,
  enabled: r.enabled === 1,
  createdMs: Number(r.created_ms),
  updatedMs: Number(r.updated_ms),
});

/** The inbound URL: `{publicUrl}/in/{token}`. */
export const inboundUrl = (publicUrl: string, token: string): string => `${publicUrl.replace(/\/+$/, '')}/in/${token}`;

const NO_HEALTH: SourceHealth = { lastRequest: null, unmatched: 0 };

/** Each source's health in two statements, however many sources are listed. */
export async function healthOf(db: Db, sourceIds: number[]): Promise<Map<number, SourceHealth>> {
  const out = new Map<number, SourceHealth>();
  if (sourceIds.length === 0) return out;
  const latest = await db
    .selectFrom('source_requests')
    .select((eb) => ['source_id', eb.fn.max('id').as('id')])
    .where('source_id', 'in', sourceIds)
    .groupBy('source_id')
    .execute();
  const ids = latest.map((r) => r.id);
  const rows = ids.length === 0 ? [] : await db.selectFrom('source_requests').select(['id', 'source_id', 'received_ms', 'outcome']).where('id', 'in', ids).execute();
  for (const r of rows) {
    out.set(r.source_id, { ...NO_HEALTH, lastRequest: { id: r.id, receivedAt: new Date(Number(r.received_ms)).toISOString(), outcome: r.outcome } });
  }
  const waiting = await db
    .selectFrom('source_unmatched')
    .select((eb) => ['source_id', eb.fn.countAll<number>().as('n')])
    .where('source_id', 'in', sourceIds)
    .where('booked_ms', 'is', null)
    .groupBy('source_id')
    .execute();
  for (const w of waiting) out.set(w.source_id, { ...(out.get(w.source_id) ?? NO_HEALTH), unmatched: Number(w.n) });
  return out;
}

export const toSourceView = (s: Source, publicUrl: string, health: SourceHealth = NO_HEALTH): SourceView => ({
  id: s.id,
  name: s.name,
  format: s.format,
  url: inboundUrl(publicUrl, s.pathToken),
  mapping: s.mapping,
  allowCreate: s.allowCreate,
  defaultWarehouseId: s.defaultWarehouseId,
  ownWebhookIds: s.ownWebhookIds,
  enabled: s.enabled,
  hasSecret: s.secret !== null,
  hasReportAuthorization: s.reportAuthorization !== null,
  reportBaseUrl: s.format === 'kladana' ? (s.reportBaseUrl ?? KLADANA_API) : null,
  health,
  createdAt: new Date(s.createdMs).toISOString(),
  updatedAt: new Date(s.updatedMs).toISOString(),
});

export async function findSource(db: Db | Tx, accountId: string, id: number): Promise<Source> {
  const row = await db.selectFrom('sources').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('source', id);
  return toSource(row);
}

/** The source an inbound path names; null for a token nobody holds. */
export async function sourceByToken(db: Db | Tx, token: string): Promise<Source | null> {
  const row = await db.selectFrom('sources').selectAll().where('path_token', '=', token).executeTakeFirst();
  return row ? toSource(row) : null;
}

export async function listSources(db: Db, accountId: string): Promise<Source[]> {
  return (await db.selectFrom('sources').selectAll().where('account_id', '=', accountId).orderBy('id').execute()).map(toSource);
}

/**
 * The checks a source must pass whole: a vendor that signs needs its secret (Kladana signs nothing:
 * the unguessable path is its protection), the warehouse and subscriptions named must be the account's.
 */
async function check(tx: Tx, accountId: string, s: Omit<Source, 'id' | 'pathToken' | 'createdMs' | 'updatedMs'>): Promise<void> {
  if (s.format !== 'kladana' && !s.secret) {
    throw new AppError('VALIDATION_FAILED', `a ${s.format} source needs the secret its requests are signed with`, { field: 'secret' });
  }
  if (s.reportBaseUrl !== null) {
    let u: URL;
    try {
      u = new URL(s.reportBaseUrl);
    } catch {
      throw new AppError('VALIDATION_FAILED', 'reportBaseUrl is not a URL', { field: 'reportBaseUrl' });
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new AppError('VALIDATION_FAILED', 'reportBaseUrl must be http or https', { field: 'reportBaseUrl' });
  }
  if (s.defaultWarehouseId !== null) {
    const w = await tx.selectFrom('warehouses').select('id').where('account_id', '=', accountId).where('id', '=', s.defaultWarehouseId).where('deleted', '=', 0).executeTakeFirst();
    if (!w) throw new AppError('VALIDATION_FAILED', `warehouse ${s.defaultWarehouseId} not found`, { field: 'defaultWarehouseId' });
  }
  if (s.ownWebhookIds.length > 0) {
    const subs = await tx.selectFrom('webhooks').select('id').where('account_id', '=', accountId).where('id', 'in', s.ownWebhookIds).execute();
    const known = new Set(subs.map((r) => r.id));
    const missing = s.ownWebhookIds.find((id) => !known.has(id));
    if (missing !== undefined) throw new AppError('VALIDATION_FAILED', `webhook ${missing} not found`, { field: 'ownWebhookIds' });
  }
}

export async function createSource(ctx: Ctx, accountId: string, input: SourceInput & { name: string; format: SourceFormat }): Promise<Source> {
  const { result } = await writeTx(ctx, accountId, async ({ tx, now }) => {
    const s = {
      accountId,
      name: input.name,
      format: input.format,
      secret: input.secret ?? null,
      reportAuthorization: input.reportAuthorization ?? null,
      reportBaseUrl: input.reportBaseUrl ?? null,
      mapping: input.mapping ?? 'sku',
      allowCreate: input.allowCreate ?? false,
      defaultWarehouseId: input.defaultWarehouseId ?? null,
      ownWebhookIds: [...new Set(input.ownWebhookIds ?? [])],
      enabled: input.enabled ?? true,
    };
    await check(tx, accountId, s);
    const row = await tx
      .insertInto('sources')
      .values({
        account_id: accountId,
        name: s.name,
        format: s.format,
        secret: s.secret,
        report_authorization: s.reportAuthorization,
        report_base_url: s.reportBaseUrl,
        mapping: s.mapping,
        allow_create: s.allowCreate ? 1 : 0,
        default_warehouse_id: s.defaultWarehouseId,
        own_webhook_ids: JSON.stringify(s.ownWebhookIds),
        // 32 random bytes: the path is the only thing guarding an unsigned (Kladana) source.
        path_token: randomBytes(32).toString('base64url'),
        enabled: s.enabled ? 1 : 0,
        created_ms: now,
        updated_ms: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toSource(row);
  });
  return result;
}

export async function updateSource(ctx: Ctx, accountId: string, id: number, input: SourceInput): Promise<Source> {
  const { result } = await writeTx(ctx, accountId, async ({ tx, now }) => {
    const old = await findSource(tx, accountId, id);
    if (input.format !== undefined && input.format !== old.format) {
      throw new AppError('VALIDATION_FAILED', 'a source keeps its format: create another source', { field: 'format' });
    }
    const s = {
      ...old,
      ...Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)),
      ownWebhookIds: input.ownWebhookIds ? [...new Set(input.ownWebhookIds)] : old.ownWebhookIds,
    } as Source;
    await check(tx, accountId, s);
    const row = await tx
      .updateTable('sources')
      .set({
        name: s.name,
        secret: s.secret,
        report_authorization: s.reportAuthorization,
        report_base_url: s.reportBaseUrl,
        mapping: s.mapping,
        allow_create: s.allowCreate ? 1 : 0,
        default_warehouse_id: s.defaultWarehouseId,
        own_webhook_ids: JSON.stringify(s.ownWebhookIds),
        enabled: s.enabled ? 1 : 0,
        updated_ms: now,
      })
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toSource(row);
  });
  return result;
}

/** Deletes the source and everything kept for it; the documents it booked stay in the ledger. */
export async function deleteSource(ctx: Ctx, accountId: string, id: number): Promise<void> {
  await writeTx(ctx, accountId, async ({ tx }) => {
    await findSource(tx, accountId, id);
    for (const table of ['source_mappings', 'source_unmatched', 'source_requests', 'source_deliveries', 'source_marks'] as const) {
      await tx.deleteFrom(table).where('source_id', '=', id).execute();
    }
    await tx.deleteFrom('sources').where('account_id', '=', accountId).where('id', '=', id).execute();
  });
}
