/** Child process of the memory scenario: argv = database URL, seconds. Reports a WorkerReport over IPC. */
import { createDispatcher, createDomain } from '../../src/domain.js';
import { openStore } from '../../src/storage/database.js';
import { PUBLIC_URL } from '../lib/backlog.js';
import { sleep } from '../lib/stats.js';
import type { WorkerReport } from './memory.js';

const [url, seconds] = [process.argv[2], Number(process.argv[3])];
const mb = (n: number) => n / 1024 / 1024;

const store = await openStore(url);
const domain = createDomain(store, { allowPrivateTargets: true, publicUrl: PUBLIC_URL });
const rssBefore = process.memoryUsage().rss;
let rssMax = rssBefore;
let heapMax = process.memoryUsage().heapUsed;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  rssMax = Math.max(rssMax, m.rss);
  heapMax = Math.max(heapMax, m.heapUsed);
}, 100);
const dispatcher = createDispatcher(domain, { log: (msg, err) => console.error(msg, err) });
const t0 = performance.now();
await dispatcher.start();
await sleep(seconds * 1000);
await dispatcher.stop();
const secs = (performance.now() - t0) / 1000;
clearInterval(sampler);
const done = await store.db
  .selectFrom('deliveries')
  .select((eb) => eb.fn.countAll<number>().as('n'))
  .where('status', '=', 'succeeded')
  .executeTakeFirst();
await store.close();
const report: WorkerReport = { rssBeforeMb: mb(rssBefore), rssMaxMb: mb(rssMax), heapMaxMb: mb(heapMax), delivered: Number(done?.n ?? 0), seconds: secs };
process.send?.(report, () => process.exit(0));
