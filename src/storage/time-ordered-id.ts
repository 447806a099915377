import { randomFillSync } from 'node:crypto';

/**
 * A UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits. Events and
 * deliveries are keyed by their id; random (v4) ids put every insert on a random page of each
 * index that holds them, so a commit of a few dozen documents dirtied hundreds of scattered pages
 * (SQLite writes each to the WAL; PostgreSQL to its buffers and WAL). Ids that grow with time land
 * on the rightmost pages. They are still unguessable (74 random bits) and are still UUIDs on the
 * wire, so no receiver sees a change of format.
 */
const pool = Buffer.alloc(16 * 256);
let offset = pool.length;
const hex: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function timeOrderedId(now = Date.now()): string {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const b = pool.subarray(offset, offset + 16);
  offset += 16;
  // 48-bit big-endian milliseconds: the high 16 bits, then the low 32.
  const high = Math.floor(now / 2 ** 32);
  const low = now >>> 0;
  b[0] = (high >>> 8) & 0xff;
  b[1] = high & 0xff;
  b[2] = (low >>> 24) & 0xff;
  b[3] = (low >>> 16) & 0xff;
  b[4] = (low >>> 8) & 0xff;
  b[5] = low & 0xff;
  b[6] = (b[6] & 0x0f) | 0x70; // version 7
  b[8] = (b[8] & 0x3f) | 0x80; // variant 10
  let s = '';
  for (let i = 0; i < 16; i++) {
    s += hex[b[i]];
    if (i === 3 || i === 5 || i === 7 || i === 9) s += '-';
  }
  return s;
}
