import { sql } from 'kysely';
import { AppError } from '../errors.js';
import type { Db } from '../storage/database.js';
import { authorScope, findSubscription, type SubscriptionOwner } from '../webhooks/subscription-row.js';

export interface StatsBucket {
  at: string;
  attempts: number;
  succeeded: number;
  failed: number;
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface DeliveryStats {
  since: string;
  until: string;
  bucketSeconds: number;
  buckets: StatsBucket[];
}

export const MAX_STATS_RANGE_MS = 7 * 86400_000;
export const MAX_STATS_BUCKETS = 500;

interface Row {
  b: number | string;
  n: number | string;
  ok: number | string;
  rn: number | string;
  d: number | string;
}

/**
 * Attempts per time bucket with their p50 / p95 duration (nearest rank), for the dashboard's charts.
 * One statement on both databases: window functions rank each bucket's durations, and only the
 * two ranked rows per bucket come back (at most 1,000 rows for 500 buckets), however many attempts
 * the range holds. Bucket numbers are integer arithmetic on literals so SQLite and PostgreSQL both
 * divide as integers (better-sqlite3 binds JS numbers as REAL, which would divide exactly).
 */
export async function deliveryStats(
  db: Db,
  owner: SubscriptionOwner,
  q: { since: number; bucketSeconds: number; webhookId?: string },
  now: number,
): Promise<DeliveryStats> {
  const bucketMs = Math.round(q.bucketSeconds * 1000);
  if (!Number.isFinite(q.since)) throw new AppError('VALIDATION_FAILED', 'since must be an ISO date-time', { field: 'since' });
  if (q.since < now - MAX_STATS_RANGE_MS) throw new AppError('VALIDATION_FAILED', 'since may be at most 7 days back', { field: 'since' });
  if (q.since >= now) throw new AppError('VALIDATION_FAILED', 'since must be in the past', { field: 'since' });
  // Aligned to the bucket size so that refreshing the chart keeps the same buckets.
  const start = Math.floor(q.since / bucketMs) * bucketMs;
  const count = Math.ceil((now + 1 - start) / bucketMs);
  if (count > MAX_STATS_BUCKETS) {
    throw new AppError('VALIDATION_FAILED', `at most ${MAX_STATS_BUCKETS} buckets: use a larger bucketSeconds or a later since`, { field: 'bucketSeconds' });
  }
  const end = start + count * bucketMs;
  const bucket = sql`(started_ms - ${sql.lit(start)}) / ${sql.lit(bucketMs)}`;
  const { accountId, applicationId } = authorScope(owner);
  // As the delivery log: another's subscription is 404, and an application token counts only the
  // attempts of the subscriptions it created.
  if (q.webhookId !== undefined) await findSubscription(db, owner, q.webhookId);
  const webhook = q.webhookId === undefined ? sql`` : sql`and webhook_id = ${q.webhookId}`;
  const mine =
    applicationId === null
      ? sql``
      : sql`and webhook_id in (select id from webhooks where account_id = ${accountId} and author_application_id = ${applicationId})`;
  const { rows } = await sql<Row>`
    select b, n, ok, rn, d from (
      select ${bucket} as b,
             duration_ms as d,
             row_number() over (partition by ${bucket} order by duration_ms) as rn,
             count(*) over (partition by ${bucket}) as n,
             sum(case when outcome = 'succeeded' then 1 else 0 end) over (partition by ${bucket}) as ok
        from attempts
       where account_id = ${accountId} and started_ms >= ${sql.lit(start)} and started_ms < ${sql.lit(end)} ${webhook} ${mine}
    ) ranked
    where rn = (n + 1) / 2 or rn = (n * 95 + 99) / 100`.execute(db);

  const buckets: StatsBucket[] = Array.from({ length: count }, (_, i) => ({
    at: new Date(start + i * bucketMs).toISOString(),
    attempts: 0,
    succeeded: 0,
    failed: 0,
    p50Ms: null,
    p95Ms: null,
  }));
  for (const r of rows) {
    const b = buckets[Number(r.b)];
    if (!b) continue;
    const n = Number(r.n);
    const rn = Number(r.rn);
    const d = Math.round(Number(r.d) * 100) / 100;
    b.attempts = n;
    b.succeeded = Number(r.ok);
    b.failed = n - b.succeeded;
    if (rn === Math.floor((n + 1) / 2)) b.p50Ms = d;
    if (rn === Math.floor((n * 95 + 99) / 100)) b.p95Ms = d;
  }
  return { since: new Date(start).toISOString(), until: new Date(end).toISOString(), bucketSeconds: bucketMs / 1000, buckets };
}
