import type { Db, Tx } from '../storage/database.js';

/** How much of a request body the log keeps: enough to read a vendor's message, bounded per row. */
export const LOGGED_BODY_BYTES = 64 * 1024;

/** Headers a log must not keep readable: credentials. */
const HIDDEN = new Set(['authorization', 'proxy-authorization', 'cookie']);

export const OUTCOMES = ['booked', 'duplicate', 'refused', 'stale', 'unmatched', 'ignored', 'failed', 'pending', 'fetch_failed'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface LogEntry {
  id: string;
  accountId: string;
  sourceId: number;
  receivedMs: number;
  deliveryKey: string | null;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  verified: boolean;
  verifyReason: string | null;
  answer: { status: number; body: string };
  outcome: Outcome;
  detail: Record<string, unknown>;
  /** A Kladana report to fetch: the row is its queue entry, claimed by the process that answered (fetch-queue.ts). */
  fetch?: { dueMs: number; lease: string };
}

export interface RequestView {
  id: string;
  receivedAt: string;
  deliveryKey: string | null;
  headers: Record<string, string>;
  body: string;
  bodyTruncated: boolean;
  verified: boolean;
  verifyReason: string | null;
  answer: { status: number; body: string };
  outcome: Outcome;
  detail: Record<string, unknown>;
}

function loggedHeaders(h: LogEntry['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out[k] = HIDDEN.has(k.toLowerCase()) ? '[hidden]' : Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

export async function writeLog(tx: Tx, e: LogEntry): Promise<void> {
  const truncated = e.body.length > LOGGED_BODY_BYTES;
  await tx
    .insertInto('source_requests')
    .values({
      id: e.id,
      account_id: e.accountId,
      source_id: e.sourceId,
      received_ms: e.receivedMs,
      delivery_key: e.deliveryKey,
      headers: JSON.stringify(loggedHeaders(e.headers)),
      body: e.body.subarray(0, LOGGED_BODY_BYTES).toString('utf8'),
      body_truncated: truncated ? 1 : 0,
      verified: e.verified ? 1 : 0,
      verify_reason: e.verifyReason,
      answer_status: e.answer.status,
      answer_body: e.answer.body,
      outcome: e.outcome,
      detail: JSON.stringify(e.detail),
      fetch_due_ms: e.fetch?.dueMs ?? null,
      fetch_lease: e.fetch?.lease ?? null,
      fetch_attempts: e.fetch ? 1 : 0,
    })
    .execute();
}

/** The source's log, newest first; `before` pages on. */
export async function listRequests(db: Db, sourceId: number, page: { before?: string; limit: number }): Promise<RequestView[]> {
  let q = db.selectFrom('source_requests').selectAll().where('source_id', '=', sourceId);
  if (page.before) q = q.where('id', '<', page.before);
  const rows = await q.orderBy('id', 'desc').limit(page.limit).execute();
  return rows.map((r) => ({
    id: r.id,
    receivedAt: new Date(Number(r.received_ms)).toISOString(),
    deliveryKey: r.delivery_key,
    headers: JSON.parse(r.headers) as Record<string, string>,
    body: r.body,
    bodyTruncated: r.body_truncated === 1,
    verified: r.verified === 1,
    verifyReason: r.verify_reason,
    answer: { status: r.answer_status, body: r.answer_body },
    outcome: r.outcome as Outcome,
    detail: JSON.parse(r.detail) as Record<string, unknown>,
  }));
}
