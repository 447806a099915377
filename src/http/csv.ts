import { Readable } from 'node:stream';

/**
 * One CSV cell (RFC 4180): quoted when it holds a comma, quote or line break. Text that a
 * spreadsheet would run as a formula (= + - @ or a tab/CR first) gets a leading apostrophe, so a
 * product title typed by anyone cannot become a formula in the shop owner's spreadsheet; numbers
 * are written as numbers.
 */
export function csvCell(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const csvLine = (cells: Array<string | number | boolean | null | undefined>) => `${cells.map(csvCell).join(',')}\r\n`;

/**
 * A CSV body streamed page by page: `pages` yields rows as the list API pages them, so an account
 * with a million keys is written without holding them all in memory.
 */
export function csvStream<T>(header: string[], pages: AsyncIterable<T[]>, toCells: (row: T) => Array<string | number | null>): Readable {
  async function* lines() {
    yield csvLine(header);
    for await (const page of pages) {
      if (page.length > 0) yield page.map((r) => csvLine(toCells(r))).join('');
    }
  }
  return Readable.from(lines());
}
