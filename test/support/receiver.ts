import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export type Reply = { status: number; headers?: Record<string, string>; body?: string; delayMs?: number } | 'hang';

/**
 * A real HTTP receiver on 127.0.0.1 that records every request. The reply function decides the
 * answer per request ('hang' never answers: a black-holed endpoint).
 */
export class Receiver {
  readonly requests: Received[] = [];
  private waiters: Array<{ n: number; resolve: () => void }> = [];
  private hanging: ServerResponse[] = [];
  reply: (r: Received, index: number) => Reply = () => ({ status: 200, body: '{"ok":true}' });

  private constructor(private readonly server: Server) {}

  static async start(reply?: (r: Received, index: number) => Reply): Promise<Receiver> {
    let self: Receiver | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => void self?.handle(req.method ?? '', req.url ?? '', req.headers, Buffer.concat(chunks).toString('utf8'), res));
    });
    self = new Receiver(server);
    if (reply) self.reply = reply;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return self;
  }

  private async handle(method: string, url: string, headers: IncomingHttpHeaders, body: string, res: ServerResponse): Promise<void> {
    const r: Received = { method, url, headers, body, at: Date.now() };
    const index = this.requests.length;
    this.requests.push(r);
    this.waiters = this.waiters.filter((w) => (this.requests.length >= w.n ? (w.resolve(), false) : true));
    const answer = this.reply(r, index);
    if (answer === 'hang') {
      this.hanging.push(res);
      return;
    }
    if (answer.delayMs) await new Promise((x) => setTimeout(x, answer.delayMs));
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(answer.body ?? '');
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Resolves once n requests have arrived in total; rejects after timeoutMs. */
  waitFor(n: number, timeoutMs = 10_000): Promise<void> {
    if (this.requests.length >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`expected ${n} requests, got ${this.requests.length}`)), timeoutMs);
      this.waiters.push({ n, resolve: () => (clearTimeout(t), resolve()) });
    });
  }

  json<T = any>(i: number): T {
    return JSON.parse(this.requests[i].body) as T;
  }

  async close(): Promise<void> {
    for (const r of this.hanging) r.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Polls until fn returns a truthy value. */
export async function eventually<T>(fn: () => Promise<T> | T, timeoutMs = 10_000, stepMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
