import { AppError } from '../errors.js';

/**
 * Opaque list cursors (`cursor=` / `nextCursor`, as the delivery log pages): base64url of the
 * values the list is ordered by. A cursor the server did not make is 400 on both databases.
 */
export function encodeCursor(values: Array<string | number>): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/** The values of a cursor, checked against the kinds the list put in it ('n' id, 'f' any finite number, 's' string, 't' long text such as a product title). */
export function decodeCursor(cursor: string, kinds: string): Array<string | number> {
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString());
  } catch {
    values = null;
  }
  const ok =
    Array.isArray(values) &&
    values.length === kinds.length &&
    values.every((v, i) =>
      kinds[i] === 'n'
        ? Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= 2147483647
        : kinds[i] === 'f'
          ? typeof v === 'number' && Number.isFinite(v)
          : typeof v === 'string' && v.length <= (kinds[i] === 't' ? 2000 : 200) && !v.includes('\0'),
    );
  if (!ok) throw new AppError('VALIDATION_FAILED', 'cursor is not valid', { field: 'cursor' });
  return values as Array<string | number>;
}
