import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';

export { eventually, sleep } from './wait.js';

export interface Received {
  method: string;
  /** Path and query, as sent. */
  url: string;
  /** The path without the query. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The body decoded as UTF-8. */
  body: string;
  /** The body's bytes: signatures cover these, so verify them rather than a decoded string. */
  raw: Buffer;
  at: number;
  /** The sender's end of the connection (test/support/sockets.ts finds its process). */
  remotePort: number;
  /** Set when the answer has been written. */
  answered: boolean;
  /** Set when the sender closed the connection before it got an answer (e.g. its timeout). */
  abandoned: boolean;
}

/**
 * How to answer one request. `hold` delays the answer until the promise settles (a slow endpoint
 * under the test's control); 'hang' never answers (a black-holed endpoint).
 */
export type Reply = { status: number; headers?: Record<string, string>; body?: string; delayMs?: number; hold?: Promise<unknown> } | 'hang';

/**
 * A real HTTP receiver on 127.0.0.1 that records every request. The reply function decides the
 * answer per request; `index` counts all requests, `on(path)` those of one path.
 */
export class Receiver {
  readonly requests: Received[] = [];
  private waiters: Array<{ n: number; resolve: () => void }> = [];
  private hanging: ServerResponse[] = [];
  reply: (r: Received, index: number) => Reply = () => ({ status: 200, body: '{"ok":true}' });

  private constructor(private readonly server: Server) {}

  static async start(reply?: (r: Received, index: number) => Reply, host = '127.0.0.1'): Promise<Receiver> {
    let self: Receiver | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => void self?.handle(req.method ?? '', req.url ?? '', req.headers, Buffer.concat(chunks), req.socket.remotePort ?? 0, res));
    });
    self = new Receiver(server);
    if (reply) self.reply = reply;
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    return self;
  }

  private async handle(method: string, url: string, headers: IncomingHttpHeaders, raw: Buffer, remotePort: number, res: ServerResponse): Promise<void> {
    const r: Received = {
      method,
      url,
      path: url.split('?')[0],
      headers,
      body: raw.toString('utf8'),
      raw,
      at: Date.now(),
      remotePort,
      answered: false,
      abandoned: false,
    };
    res.on('close', () => {
      if (!r.answered) r.abandoned = true;
    });
    const index = this.requests.length;
    this.requests.push(r);
    this.waiters = this.waiters.filter((w) => (this.requests.length >= w.n ? (w.resolve(), false) : true));
    const answer = this.reply(r, index);
    if (answer === 'hang') {
      this.hanging.push(res);
      return;
    }
    if (answer.hold) {
      this.hanging.push(res);
      await answer.hold.catch(() => {});
    }
    if (answer.delayMs) await new Promise((x) => setTimeout(x, answer.delayMs));
    if (res.destroyed) return;
    r.answered = true;
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(answer.body ?? '');
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(path = '/hook'): string {
    const { address } = this.server.address() as AddressInfo;
    return `http://${address.includes(':') ? `[${address}]` : address}:${this.port}${path}`;
  }

  /** The requests to one path (the query ignored), in arrival order. */
  on(path: string): Received[] {
    return this.requests.filter((r) => r.path === path);
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

/** A promise the test resolves by hand: `const gate = latch(); ... gate.open()`. */
export function latch(): { promise: Promise<void>; open(): void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/**
 * A receiver for the describe block that calls this: it answers 200 `{"ok":true}` to everything,
 * each answer held until the current gate opens. `hold()` closes a new gate, `release()` opens it;
 * the gate opens before the receiver closes.
 */
export function heldReceiver(): { readonly rx: Receiver; hold(): void; release(): void } {
  let rx: Receiver | null = null;
  let gate = latch();
  beforeAll(async () => {
    rx = await Receiver.start(() => ({ status: 200, body: '{"ok":true}', hold: gate.promise }));
  });
  afterAll(async () => {
    gate.open();
    await rx?.close();
  });
  return {
    get rx() {
      if (!rx) throw new Error('heldReceiver: the receiver starts in beforeAll');
      return rx;
    },
    hold: () => {
      gate = latch();
    },
    release: () => gate.open(),
  };
}
