import { createStockhookClient, describeApiError, type components } from './index.js';

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

type Job = components['schemas']['Replay'];

/** A refusal or failure the server explained: printed as its one line, without a stack trace. */
export class ReplayError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayError';
  }
}

/** The body of an answer, or a ReplayError that says what went wrong in one line. */
async function answer<T>(what: string, call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let r: Awaited<typeof call>;
  try {
    r = await call;
  } catch (err) {
    // fetch's own error says only "fetch failed"; the reason (ECONNREFUSED …) is its cause.
    const e = err as Error & { cause?: { code?: string; message?: string } };
    throw new ReplayError(`${what}: cannot reach the server (${e.cause?.code ?? e.cause?.message ?? e.message})`);
  }
  if (r.data === undefined) throw new ReplayError(`${what}: ${describeApiError(r.response.status, r.error)}`);
  return r.data;
}

function bar(done: number, total: number): string {
  const pct = total === 0 ? 100 : Math.floor((done / total) * 100);
  const filled = Math.round(pct / 5);
  return `[${'#'.repeat(filled)}${'.'.repeat(20 - filled)}] ${String(pct).padStart(3)}%`;
}

/** `stockhook replay`: starts a replay through the API and shows its progress until it ends. */
export async function replayCommand(o: ReplayCommandOptions): Promise<Job> {
  const out = o.out ?? process.stderr;
  const api = createStockhookClient({ baseUrl: o.url, token: o.token });
  let job = await answer(
    `replay of webhook ${o.webhook}`,
    api.POST('/api/v1/webhooks/{id}/replay', { params: { path: { id: o.webhook } }, body: { since: o.since } }),
  );
  let last = '';
  for (;;) {
    const line = `replay ${job.id}: ${bar(job.eventsDone, job.eventsTotal)} ${job.eventsDone}/${job.eventsTotal} events, ${job.deliveries} deliveries, ${job.status}`;
    if (line !== last) {
      out.write(out.isTTY ? `\r${line}` : `${line}\n`);
      last = line;
    }
    if (job.status !== 'running') break;
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 250));
    job = await answer(`replay ${job.id}`, api.GET('/api/v1/replays/{id}', { params: { path: { id: job.id } } }));
  }
  if (out.isTTY) out.write('\n');
  if (job.status !== 'done') throw new ReplayError(`replay ${job.status}${job.error ? `: ${job.error}` : ''}`);
  return job;
}
