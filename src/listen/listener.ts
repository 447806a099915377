import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verify, type FormatName } from '../receiver/index.js';
import { FORMATS } from '../webhooks/formats/registry.js';

export interface ListenOptions {
  port: number;
  host?: string;
  format?: FormatName;
  secret?: string;
  /** Answer this share of requests (0..1) with 500, to watch retries. */
  failRate?: number;
  /** Always answer with this status. */
  status?: number;
  delayMs?: number;
  /** For tests: a deterministic replacement for Math.random. */
  random?: () => number;
}

function pretty(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * A local receiver like the test site in MetaKocka's tutorial (docs/formats/metakocka.md): prints every request, checks its
 * signature for the given format, and answers the way that format expects (or misbehaves on purpose).
 */
export async function startListener(opts: ListenOptions, print: (text: string) => void): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const random = opts.random ?? Math.random;
  let count = 0;
  const server = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      const n = ++count;
      const body = raw.toString('utf8');
      const lines = [`── #${n} ${req.method} ${req.url} ── ${new Date().toISOString()}`, 'headers:'];
      for (const [k, v] of Object.entries(req.headers)) lines.push(`  ${k}: ${Array.isArray(v) ? v.join(', ') : v}`);
      lines.push('body:', ...pretty(body).split('\n').map((l) => `  ${l}`));
      if (opts.format && opts.secret !== undefined) {
        const r = verify(opts.format, { headers: req.headers, body: raw, secret: opts.secret });
        lines.push(`signature (${opts.format}): ${r.valid ? 'valid' : `INVALID (${r.reason})`}`);
      } else if (opts.format) {
        lines.push(`signature (${opts.format}): not checked (no --secret)`);
      }
      let answer = FORMATS[opts.format ?? 'native'].healthyAnswer;
      if (opts.status !== undefined) answer = { status: opts.status, body: opts.status < 300 ? answer.body : '{"error":"--status"}' };
      else if (opts.failRate && random() < opts.failRate) answer = { status: 500, body: '{"error":"--fail-rate"}' };
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
      lines.push(`→ answered ${answer.status}${answer.body ? ` ${answer.body}` : ''}${opts.delayMs ? ` after ${opts.delayMs} ms` : ''}`, '');
      print(lines.join('\n'));
      res.writeHead(answer.status, answer.body ? { 'content-type': 'application/json' } : {});
      res.end(answer.body);
    })();
  });
  // A port in use (EADDRINUSE) rejects here, for the CLI to say so, instead of an uncaught 'error' event.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const url = `http://${opts.host ?? '127.0.0.1'}:${addr.port}`;
  return {
    url,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
