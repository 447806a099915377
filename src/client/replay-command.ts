import { request } from 'undici';

export interface ReplayCommandOptions {
  url: string;
  token: string;
  webhook: string;
  since: string;
  /** How often to poll the job (ms). */
  intervalMs?: number;
  /** Where progress goes; a TTY gets one updating line. */
  out?: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean };
}

interface Job {
  id: string;
  status: string;
  eventsTotal: number;
  eventsDone: number;
  deliveries: number;
  error: string | null;
}

async function api<T>(method: 'GET' | 'POST', url: string, token: string, body?: unknown): Promise<T> {
  const res = await request(url, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: HTTP ${res.statusCode} ${text}`);
  return JSON.parse(text) as T;
}

function bar(done: number, total: number): string {
  const pct = total === 0 ? 100 : Math.floor((done / total) * 100);
  const filled = Math.round(pct / 5);
  return `[${'#'.repeat(filled)}${'.'.repeat(20 - filled)}] ${String(pct).padStart(3)}%`;
}

/** `stockhook replay`: starts a replay through the API and shows its progress until it ends. */
export async function replayCommand(o: ReplayCommandOptions): Promise<Job> {
  const out = o.out ?? process.stderr;
  const base = o.url.replace(/\/$/, '');
  let job = await api<Job>('POST', `${base}/api/v1/webhooks/${o.webhook}/replay`, o.token, { since: o.since });
  let last = '';
  for (;;) {
    const line = `replay ${job.id}: ${bar(job.eventsDone, job.eventsTotal)} ${job.eventsDone}/${job.eventsTotal} events, ${job.deliveries} deliveries, ${job.status}`;
    if (line !== last) {
      out.write(out.isTTY ? `\r${line}` : `${line}\n`);
      last = line;
    }
    if (job.status !== 'running') break;
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 250));
    job = await api<Job>('GET', `${base}/api/v1/replays/${job.id}`, o.token);
  }
  if (out.isTTY) out.write('\n');
  if (job.status !== 'done') throw new Error(`replay ${job.status}${job.error ? `: ${job.error}` : ''}`);
  return job;
}
