import { closeSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';

/**
 * How far SQLite's write-ahead log has been copied back, read from the wal-index (`<db>-shm`) the
 * way every connection reads it, without taking part: a probe `pragma wal_checkpoint` would itself
 * checkpoint. Layout (sqlite.org/walformat.html, "The WAL-Index Header"): two copies of a 48-byte
 * header whose `mxFrame` (the last valid frame) is a u32 at offset 16, then the checkpoint info,
 * whose `nBackfill` (frames copied back) is a u32 at offset 96; both in the machine's byte order.
 */
export function walProgress(dbFile: string): { frames: number; backfilled: number } {
  const buf = Buffer.alloc(100);
  const fd = openSync(`${dbFile}-shm`, 'r');
  try {
    readSync(fd, buf, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  const u32 = (at: number) => (endianness() === 'LE' ? buf.readUInt32LE(at) : buf.readUInt32BE(at));
  return { frames: u32(16), backfilled: u32(96) };
}

/** Every frame of a non-empty log has been copied back: a checkpoint ran after the last write. */
export function walCopiedBack(dbFile: string, atLeastFrames: number): boolean {
  const { frames, backfilled } = walProgress(dbFile);
  return frames >= atLeastFrames && backfilled === frames;
}
