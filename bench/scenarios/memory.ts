/**
 * (e) memory with a large backlog: `backlog` pending deliveries are inserted into a fresh database
 * (multi-row INSERTs through insertDeliveries, 10,000 per transaction), then a fresh worker
 * process (bench/scenarios/memory-worker.ts: a Dispatcher with serve's defaults, no HTTP API) runs
 * against it for `seconds`, sampling process.memoryUsage().rss every 100 ms.
 */
import { insertBacklog, seedAccount } from '../lib/backlog.js';
import { runChild, type Sink } from '../lib/children.js';
import { freshDatabase } from '../lib/db.js';

export interface MemoryResult {
  backlog: number;
  insertRowsPerSec: number;
  rssBeforeMb: number;
  rssMaxMb: number;
  heapMaxMb: number;
  delivered: number;
  seconds: number;
}

export interface WorkerReport {
  rssBeforeMb: number;
  rssMaxMb: number;
  heapMaxMb: number;
  delivered: number;
  seconds: number;
}

export async function memoryScenario(opts: { pgBase: string | null; sink: Sink; backlog: number; seconds: number }): Promise<MemoryResult> {
  const db = await freshDatabase(opts.pgBase);
  try {
    const s = await seedAccount(db.url, [opts.sink.url('/a'), opts.sink.url('/b')]);
    const insertRowsPerSec = await insertBacklog(s, opts.backlog);
    await s.store.close();
    await opts.sink.reset();
    const report = await runChild<WorkerReport>('../scenarios/memory-worker.ts', [db.url, String(opts.seconds)]);
    return { backlog: opts.backlog, insertRowsPerSec, ...report };
  } finally {
    await db.drop();
  }
}
