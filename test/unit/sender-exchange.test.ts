import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_RESPONSE_BYTES, Sender } from '../../src/delivery/sender.js';

/**
 * The sender's own response handler (undici dispatch(), no stream per attempt), against a real
 * HTTP server on loopback: what it reads, where it stops, and how it fails.
 */
function receiver(): Promise<{ server: Server; url: (p: string) => string; bodies: string[] }> {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      bodies.push(body);
      if (req.url === '/huge') {
        // 1 MiB in 16 KiB writes: far past what is read.
        res.writeHead(500, { 'content-type': 'text/plain' });
        const chunk = 'e'.repeat(16 * 1024);
        for (let i = 0; i < 64; i++) res.write(chunk);
        return res.end();
      }
      if (req.url === '/early') {
        res.writeProcessing();
        res.writeHead(202, { 'content-type': 'application/json', 'x-one': 'a' });
        return res.end('{"accepted":true}');
      }
      if (req.url === '/cookies') {
        res.setHeader('set-cookie', ['a=1', 'b=2']);
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end('{"ok":true}');
      }
      if (req.url === '/exact') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        return res.end('x'.repeat(MAX_RESPONSE_BYTES));
      }
      if (req.url === '/silent') return; // never answers
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"echo":${JSON.stringify(body)}}`);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, url: (p) => `http://127.0.0.1:${port}${p}`, bodies });
    }),
  );
}

describe('the sender reads a response with its own handler', () => {
  let r: Awaited<ReturnType<typeof receiver>>;
  const sender = new Sender({ allowPrivateTargets: true });
  // One connection per origin: a second request waits in undici's queue behind the first.
  const single = new Sender({ allowPrivateTargets: true, connectionsPerPool: 1 });
  beforeAll(async () => {
    r = await receiver();
  });
  afterAll(async () => {
    await sender.close();
    await single.close();
    r.server.closeAllConnections();
    await new Promise((resolve) => r.server.close(resolve));
  });

  it('sends the body and headers as given and answers status, headers and body', async () => {
    const out = await sender.send('acc', r.url('/echo?x=1'), { 'content-type': 'application/json', 'x-sig': 's' }, '{"n":1}', 5000);
    expect(out).toMatchObject({ ok: true, status: 200, body: '{"echo":"{\\"n\\":1}"}' });
    expect(out.ok && out.headers['content-type']).toBe('application/json');
    expect(r.bodies.at(-1)).toBe('{"n":1}');
  });

  it('a body past 64 KiB is cut there, and the next request on the pool still works', async () => {
    const out = await sender.send('acc', r.url('/huge'), {}, '{}', 5000);
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect([out.status, out.body.length, out.body.slice(0, 3)]).toEqual([500, MAX_RESPONSE_BYTES, 'eee']);
    const next = await sender.send('acc', r.url('/echo'), {}, 'after', 5000);
    expect(next).toMatchObject({ ok: true, status: 200, body: '{"echo":"after"}' });
  });

  it('a body of exactly 64 KiB is read whole and keeps its connection', async () => {
    const exact = new Sender({ allowPrivateTargets: true, connectionsPerPool: 1 });
    let connections = 0;
    const count = () => connections++;
    r.server.on('connection', count);
    try {
      for (let i = 0; i < 3; i++) {
        const out = await exact.send('acc', r.url('/exact'), {}, '{}', 5000);
        expect(out.ok && [out.status, out.body.length]).toEqual([200, MAX_RESPONSE_BYTES]);
      }
      expect(connections).toBe(1);
    } finally {
      r.server.off('connection', count);
      await exact.close();
    }
  });

  it('a 1xx before the answer is skipped; repeated headers come as arrays', async () => {
    const early = await sender.send('acc', r.url('/early'), {}, '{}', 5000);
    expect(early).toMatchObject({ ok: true, status: 202, body: '{"accepted":true}' });
    expect(early.ok && early.headers['x-one']).toBe('a');
    const cookies = await sender.send('acc', r.url('/cookies'), {}, '{}', 5000);
    expect(cookies.ok && cookies.headers['set-cookie']).toEqual(['a=1', 'b=2']);
  });

  it("a request whose deadline passes while it waits for a connection ends as a timeout, at its own deadline", async () => {
    const t0 = Date.now();
    let queuedAfter = 0;
    const settled: string[] = [];
    const [first, queued] = await Promise.all([
      single.send('acc', r.url('/silent'), {}, '{}', 1500).finally(() => settled.push('first')),
      single.send('acc', r.url('/echo'), {}, 'queued', 300).finally(() => {
        queuedAfter = Date.now() - t0;
        settled.push('queued');
      }),
    ]);
    expect(queued).toMatchObject({ ok: false, kind: 'timeout' });
    expect(first).toMatchObject({ ok: false, kind: 'timeout' });
    // Not before its own deadline, and not held until the connection is free (the first request's
    // deadline, 1,500 ms): it ended before the request it waited behind (an order, not a duration bound).
    expect(queuedAfter).toBeGreaterThanOrEqual(290);
    expect(settled).toEqual(['queued', 'first']);
    expect(r.bodies).not.toContain('queued');
    // The queued one never reached the receiver; the pool then works again.
    expect(await single.send('acc', r.url('/echo'), {}, 'later', 5000)).toMatchObject({ ok: true, status: 200, body: '{"echo":"later"}' });
    // Nor later, once the connection it waited for was free: the one after it went, and it did not.
    expect(r.bodies).not.toContain('queued');
    expect([single.deadlines.pending, sender.deadlines.pending]).toEqual([0, 0]);
  });

  it('a refused connection and a bad URL fail with their kinds', async () => {
    const closed = createServer();
    const port = await new Promise<number>((resolve) => closed.listen(0, '127.0.0.1', () => resolve((closed.address() as AddressInfo).port)));
    await new Promise((resolve) => closed.close(resolve));
    expect(await sender.send('acc', `http://127.0.0.1:${port}/x`, {}, '{}', 2000)).toMatchObject({ ok: false, kind: 'refused' });
    expect(await sender.send('acc', 'not a url', {}, '{}', 2000)).toMatchObject({ ok: false, kind: 'other' });
  });
});
