/**
 * Kladana's date convention and the report link its notifications carry. Pure: the report route
 * (src/http/routes/kladana-reports.ts) parses with it, the kladana format links with it.
 */
export type KladanaReportType = 'all' | 'bystore';

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/**
 * Parses Kladana's `YYYY-MM-DD HH:mm:ss` as UTC epoch milliseconds; undefined when malformed or
 * not a real date (2022-02-30 would otherwise roll over into March).
 */
export function parseKladanaDate(s: string): number | undefined {
  const m = DATE_RE.exec(s);
  if (!m) return undefined;
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, se);
  const t = new Date(ms);
  const same =
    t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d &&
    t.getUTCHours() === h && t.getUTCMinutes() === mi && t.getUTCSeconds() === se;
  return same ? ms : undefined;
}

/** Epoch milliseconds as Kladana's `YYYY-MM-DD HH:mm:ss` in UTC; the fraction of a second is dropped. */
export function formatKladanaDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * The report path a `kladana` notification's `reportUrl` points at (prefix it with the public base
 * URL). The space is left as is: Kladana (docs/formats/kladana.md) shows it that way, and receivers fetch the URL verbatim.
 *
 * @example
 * kladanaReportPath('all', Date.UTC(2022, 8, 24, 19, 14, 32))
 * // '/api/remap/1.2/report/stock/all/current?fromDate=2022-09-24 19:14:32'
 */
export function kladanaReportPath(reportType: KladanaReportType, fromMs: number): string {
  return `/api/remap/1.2/report/stock/${reportType}/current?fromDate=${formatKladanaDate(fromMs)}`;
}

/** Kladana (docs/formats/kladana.md): the notification's "reportUrl | String(255)". */
export const REPORT_URL_MAX = 255;

/**
 * The longest public base URL whose reportUrl still fits in REPORT_URL_MAX: the base is followed by
 * the longest report path (bystore's) and a 19-character fromDate.
 */
export const MAX_PUBLIC_URL_LENGTH = REPORT_URL_MAX - Math.max(...(['all', 'bystore'] as const).map((t) => kladanaReportPath(t, 0).length));
