import { isIP } from 'node:net';
import { Pool } from 'undici';
import { toError } from '../errors.js';
import { RequestDeadlines } from './request-deadlines.js';
import { BlockedTargetError, guardedLookup, hostOf, isLocalhostName, isPrivateAddress } from '../webhooks/targets.js';

/** Why an attempt failed, as the attempt log records it (bad_status and bad_body are decide()'s). */
export type ErrorKind = 'timeout' | 'refused' | 'reset' | 'tls' | 'dns' | 'blocked' | 'bad_status' | 'bad_body' | 'other';

/** Response bodies are read up to 64 KiB; the rest is discarded (a receiver's 10 MB error page costs nothing). */
export const MAX_RESPONSE_BYTES = 64 * 1024;

export type SendOutcome =
  | { ok: true; status: number; headers: Record<string, string | string[] | undefined>; body: string }
  | { ok: false; kind: ErrorKind; message: string };

/**
 * HTTP out through one undici Pool per origin with keep-alive (Node's global fetch measured 6-8x
 * slower here). Redirects are not followed: undici's request() never follows them.
 * Unless private targets are allowed, the pool's connector resolves names through guardedLookup, so
 * the address checked is the address connected to.
 */
export class Sender {
  private readonly pools = new Map<string, Pool>();
  /** Exposed for tests: requests whose total timeout is still being watched. */
  readonly deadlines = new RequestDeadlines();

  constructor(private readonly opts: { allowPrivateTargets: boolean; connectionsPerOrigin?: number }) {}

  private pool(origin: string): Pool {
    let p = this.pools.get(origin);
    if (!p) {
      p = new Pool(origin, {
        connections: this.opts.connectionsPerOrigin ?? 64,
        pipelining: 1,
        keepAliveTimeout: 30_000,
        ...(!this.opts.allowPrivateTargets && { connect: { lookup: guardedLookup as never } }),
      });
      this.pools.set(origin, p);
    }
    return p;
  }

  async send(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<SendOutcome> {
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
    try {
      const res = await this.pool(target.origin).request({
        path: `${target.pathname}${target.search}`,
        method: 'POST',
        headers,
        body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: deadline,
      });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        const buf = chunk as Buffer;
        chunks.push(buf);
        size += buf.length;
        if (size >= MAX_RESPONSE_BYTES) {
          res.body.destroy();
          break;
        }
      }
      const text = Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES).toString('utf8');
      return { ok: true, status: res.statusCode, headers: res.headers, body: text };
    } catch (raw) {
      const err = toError(raw);
      return { ok: false, kind: classify(err), message: err.message };
    } finally {
      this.deadlines.end(deadline);
    }
  }

  async close(): Promise<void> {
    this.deadlines.close();
    await Promise.all([...this.pools.values()].map((p) => p.destroy().catch(() => {})));
    this.pools.clear();
  }
}

function classify(err: Error & { code?: string; cause?: unknown }): ErrorKind {
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
