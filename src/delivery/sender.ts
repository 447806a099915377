import { isIP } from 'node:net';
import { Pool, type Dispatcher } from 'undici';
import { toError } from '../errors.js';
import { type Deadline, RequestDeadlines } from './request-deadlines.js';
import { BlockedTargetError, guardedLookup, hostOf, isLocalhostName, isPrivateAddress, type Resolve } from '../webhooks/targets.js';

/** Why an attempt failed, as the attempt log records it (bad_status and bad_body are decide()'s). */
export type ErrorKind = 'timeout' | 'refused' | 'reset' | 'tls' | 'dns' | 'blocked' | 'bad_status' | 'bad_body' | 'other';

/** Response bodies are read up to 64 KiB; the rest is discarded (a receiver's 10 MB error page costs nothing). */
export const MAX_RESPONSE_BYTES = 64 * 1024;

export type SendOutcome =
  | { ok: true; status: number; headers: Record<string, string | string[] | undefined>; body: string }
  | { ok: false; kind: ErrorKind; message: string };

export interface SenderOptions {
  allowPrivateTargets: boolean;
  /**
   * Connections of one (account, origin) pool. The dispatcher gives its account share: an account
   * never has more in flight than that, so a request never waits in the pool for a connection, and
   * who sends when is decided by the send slots (slots/) alone.
   */
  connectionsPerPool?: number;
  /** A pool with nothing in flight for this long is closed (60 s, twice the keep-alive timeout). */
  poolIdleMs?: number;
  /** The names' resolver for the connect-time check (guardedLookup); tests inject one. */
  resolve?: Resolve;
  /** For tests that move time past poolIdleMs. */
  now?: () => number;
}

/** One pool and what uses it: idle pools are closed so that many accounts don't hold memory forever. */
interface PoolEntry {
  pool: Pool;
  inFlight: number;
  usedAt: number;
}

/**
 * HTTP out through undici Pools with keep-alive: fetch() builds WHATWG Request, Response and stream
 * objects for every call, which a webhook's small POST does not need.
 * Redirects are not followed: undici's request() never follows them.
 *
 * One pool per account and origin, not per origin: a pool shared by every account let one account
 * whose requests to a host hang hold all of the host's connections, and another account's
 * deliveries to another path of that host (one host for all customers is the common case for
 * integration platforms) waited behind them until they timed out, although the send slots had let
 * them start. Per-account caps inside one shared pool would need a queue of our own in front of
 * undici's; a pool per (account, origin) gives the same isolation with undici's own. The account is
 * the delivery's, so an application's subscriptions (one URL for many accounts) are split too. The
 * cost: an origin may get up to the worker's concurrency in connections (each one a request the
 * slots let start), and pools are closed after poolIdleMs without use so their number stays bounded
 * by the (account, origin) pairs of the last minute or two.
 *
 * Unless private targets are allowed, the pools' connector resolves names through guardedLookup, so
 * the address checked is the address connected to.
 */
export class Sender {
  private readonly pools = new Map<string, PoolEntry>();
  private sweptAt: number;
  private readonly idleMs: number;
  private readonly now: () => number;
  private readonly lookup: ReturnType<typeof guardedLookup> | null;
  /** Exposed for tests: requests whose total timeout is still being watched. */
  readonly deadlines = new RequestDeadlines();

  constructor(private readonly opts: SenderOptions) {
    this.idleMs = opts.poolIdleMs ?? 60_000;
    this.now = opts.now ?? Date.now;
    this.sweptAt = this.now();
    this.lookup = opts.allowPrivateTargets ? null : guardedLookup(opts.resolve);
  }

  /** Open pools (tests: idle ones are closed). */
  get poolCount(): number {
    return this.pools.size;
  }

  private acquire(account: string, origin: string): PoolEntry {
    const now = this.now();
    if (now - this.sweptAt >= this.idleMs) this.sweep(now);
    const key = `${account} ${origin}`;
    let e = this.pools.get(key);
    if (!e) {
      const pool = new Pool(origin, {
        connections: this.opts.connectionsPerPool ?? 64,
        pipelining: 1,
        keepAliveTimeout: 30_000,
        ...(this.lookup && { connect: { lookup: this.lookup as never } }),
      });
      e = { pool, inFlight: 0, usedAt: now };
      this.pools.set(key, e);
    }
    e.inFlight++;
    e.usedAt = now;
    return e;
  }

  private release(e: PoolEntry): void {
    e.inFlight--;
    e.usedAt = this.now();
  }

  /** Closes the pools nothing used for idleMs (close() with nothing in flight ends at once). */
  private sweep(now: number): void {
    this.sweptAt = now;
    for (const [key, e] of this.pools) {
      if (e.inFlight > 0 || now - e.usedAt < this.idleMs) continue;
      this.pools.delete(key);
      e.pool.close().catch(() => {});
    }
  }

  /** One POST on behalf of `account` (the delivery's): its own connections to the origin. */
  async send(account: string, url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<SendOutcome> {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return { ok: false, kind: 'other', message: `invalid url ${url}` };
    }
    const host = hostOf(target);
    if (!this.opts.allowPrivateTargets && ((isIP(host) && isPrivateAddress(host)) || isLocalhostName(host))) {
      return { ok: false, kind: 'blocked', message: `${host} is a loopback, private or otherwise non-public address` };
    }
    // The whole attempt (connect, headers, body) ends by the timeout.
    const deadline = this.deadlines.start(timeoutMs);
    let entry: PoolEntry | null = null;
    try {
      entry = this.acquire(account, target.origin);
      return await exchange(entry.pool, { path: `${target.pathname}${target.search}`, headers, body, timeoutMs }, deadline);
    } finally {
      if (entry) this.release(entry);
      this.deadlines.end(deadline);
    }
  }

  async close(): Promise<void> {
    this.deadlines.close();
    await Promise.all([...this.pools.values()].map((e) => e.pool.destroy().catch(() => {})));
    this.pools.clear();
  }
}

/** What kind of failure an error of undici, the resolver or the deadline is, as the delivery log names it (exported for its table test). */
export function classify(err: Error & { code?: string; cause?: unknown }): ErrorKind {
  if (err instanceof BlockedTargetError || (err.cause instanceof BlockedTargetError)) return 'blocked';
  const code = err.code ?? (err.cause as { code?: string } | undefined)?.code ?? '';
  if (err.name === 'TimeoutError' || err.name === 'AbortError' || /TIMEOUT/.test(code)) return 'timeout';
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED') return 'reset';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') return 'dns';
  if (/CERT|TLS|SSL|ERR_SSL/.test(code) || /certificate|TLS/i.test(err.message)) return 'tls';
  if (code === 'TARGET_BLOCKED') return 'blocked';
  return 'other';
}

/**
 * One POST through undici's dispatch() with a handler of our own: the response is collected as it
 * arrives, with no Readable stream and async iterator per attempt as request() and `for await`
 * make, objects that would cost client CPU on every attempt for bodies we cut short. Settles once,
 * with the response (its body cut at MAX_RESPONSE_BYTES, the connection then dropped) or with
 * undici's error, or the deadline's, classified as request() errors were.
 */
function exchange(
  pool: Pool,
  req: { path: string; headers: Record<string, string>; body: string; timeoutMs: number },
  deadline: Deadline,
): Promise<SendOutcome> {
  return new Promise<SendOutcome>((resolve) => {
    const handler = new Exchange(deadline, resolve);
    try {
      pool.dispatch(
        { path: req.path, method: 'POST', headers: req.headers, body: req.body, headersTimeout: req.timeoutMs, bodyTimeout: req.timeoutMs },
        handler,
      );
    } catch (err) {
      handler.fail(err);
    }
  });
}

/** The handler of one exchange: a class, so an attempt allocates one object and no closures. */
class Exchange implements Dispatcher.DispatchHandler {
  private settled = false;
  private controller: Dispatcher.DispatchController | null = null;
  private status = 0;
  private headers: Record<string, string | string[] | undefined> = {};
  private readonly chunks: Buffer[] = [];
  private size = 0;

  constructor(
    private readonly deadline: Deadline,
    private readonly resolve: (o: SendOutcome) => void,
  ) {
    // The deadline may pass while the request still waits for a connection: the attempt ends then,
    // and undici drops the request when it would start it (onRequestStart).
    deadline.addEventListener('abort', () => {
      const reason = deadline.reason ?? new Error('aborted');
      if (this.controller) this.controller.abort(reason);
      else this.fail(reason);
    });
  }

  onRequestStart(c: Dispatcher.DispatchController): void {
    this.controller = c;
    if (this.deadline.aborted) c.abort(this.deadline.reason ?? new Error('aborted'));
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    // 1xx answers (100 Continue) come before the real one.
    if (statusCode < 200) return;
    this.status = statusCode;
    this.headers = headers;
  }

  onResponseData(c: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    // A body of exactly the limit may still end cleanly (and keep its connection): only data past
    // the limit ends the attempt early.
    if (this.size < MAX_RESPONSE_BYTES) {
      this.chunks.push(chunk);
      this.size += chunk.length;
      if (this.size <= MAX_RESPONSE_BYTES) return;
    }
    this.answer();
    c.abort(new Error('response body over the limit: the rest is discarded'));
  }

  onResponseEnd(): void {
    this.answer();
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    this.fail(err);
  }

  fail(raw: unknown): void {
    const err = toError(raw);
    this.settle({ ok: false, kind: classify(err), message: err.message });
  }

  private answer(): void {
    const body = Buffer.concat(this.chunks, this.size).subarray(0, MAX_RESPONSE_BYTES).toString('utf8');
    this.settle({ ok: true, status: this.status, headers: this.headers, body });
  }

  private settle(o: SendOutcome): void {
    if (this.settled) return;
    this.settled = true;
    this.deadline.removeEventListener();
    this.resolve(o);
  }
}
