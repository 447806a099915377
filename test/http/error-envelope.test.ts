import { connect } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BODY_LIMIT } from '../../src/app.js';
import { describeEachDb, type TestAccount } from '../support/env.js';

/*
 * Issue 26.11: every 4xx/5xx has the documented `{"error": {code, message}}` shape (Kladana's on its
 * routes), the ones fastify and Node's HTTP parser produce themselves included. Over a real socket:
 * some of these never reach fastify's inject().
 */

interface Raw {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Writes `request` as is on a new loopback connection and reads the answer until the server closes
 * it (every request says Connection: close, and Node closes after a parse error). The client does
 * not half-close: an early end of the stream is itself a malformed request to Node.
 */
function rawRequest(port: number, request: string | Buffer): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const [statusLine, ...lines] = text.slice(0, split).split('\r\n');
      const headers = Object.fromEntries(
        lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
      );
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: text.slice(split + 4) });
    });
    socket.write(request);
  });
}

const req = (line: string, headers: Record<string, string> = {}, body = ''): string =>
  `${line}\r\nHost: 127.0.0.1\r\nConnection: close\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}${body ? `Content-Length: ${Buffer.byteLength(body)}\r\n` : ''}\r\n${body}`;

/** The error of a stockhook-shaped answer: exactly `{error: {code, message[, details]}}`. */
function own(res: Raw): { code: string; message: string } {
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const parsed = JSON.parse(res.body);
  expect(Object.keys(parsed)).toEqual(['error']);
  expect(typeof parsed.error.message).toBe('string');
  return parsed.error;
}

/** The first error of a Kladana-shaped answer. */
function kladana(res: Raw): { error: string; code: number; moreInfo: string } {
  const parsed = JSON.parse(res.body);
  expect(Object.keys(parsed)).toEqual(['errors']);
  return parsed.errors[0];
}

describeEachDb('the error envelope on every error, fastify and Node included', (env) => {
  let port = 0;
  let a: TestAccount;
  beforeAll(async () => {
    a = await env().newAccount();
    await env().app.listen({ host: '127.0.0.1', port: 0 });
    port = (env().app.server.address() as { port: number }).port;
  });
  afterAll(async () => {
    // The env closes the app; nothing else listens.
  });

  it('a path that is not valid percent-encoding is 400 MALFORMED_REQUEST, not FST_ERR_BAD_URL', async () => {
    const res = await rawRequest(port, req('GET /api/v1/warehouses/%ZZ HTTP/1.1', a.auth));
    expect(res.status).toBe(400);
    expect(own(res).code).toBe('MALFORMED_REQUEST');
    expect(res.body).not.toContain('FST_');
    const k = await rawRequest(port, req('GET /api/remap/1.2/entity/webhookstock/%ZZ HTTP/1.1', a.auth));
    expect([k.status, kladana(k).code, kladana(k).moreInfo]).toEqual([400, 4002, expect.stringContaining('MALFORMED_REQUEST')]);
  });

  it('an unknown path is 404 ROUTE_NOT_FOUND', async () => {
    const res = await rawRequest(port, req('GET /api/v1/nothing-here HTTP/1.1'));
    expect([res.status, own(res).code, own(res).message]).toEqual([404, 'ROUTE_NOT_FOUND', 'no route GET /api/v1/nothing-here']);
    const body = await rawRequest(port, req('POST /api/v1/nothing-here HTTP/1.1', { 'content-type': 'application/json' }, '{'));
    expect([body.status, own(body).code]).toEqual([404, 'ROUTE_NOT_FOUND']);
  });

  it('a known path with another method is 405 METHOD_NOT_ALLOWED with Allow listing its methods', async () => {
    const list = await rawRequest(port, req('DELETE /api/v1/warehouses HTTP/1.1', a.auth));
    expect([list.status, list.headers.allow, own(list).code]).toEqual([405, 'GET, HEAD, POST', 'METHOD_NOT_ALLOWED']);
    const one = await rawRequest(port, req('PUT /api/v1/warehouses/7?x=1 HTTP/1.1', a.auth));
    expect([one.status, one.headers.allow, own(one).code]).toEqual([405, 'DELETE, GET, HEAD, PATCH', 'METHOD_NOT_ALLOWED']);
    const health = await rawRequest(port, req('OPTIONS /healthz HTTP/1.1'));
    expect([health.status, health.headers.allow, own(health).code]).toEqual([405, 'GET, HEAD', 'METHOD_NOT_ALLOWED']);
    // A method Node knows but no route takes.
    const propfind = await rawRequest(port, req('PROPFIND /healthz HTTP/1.1'));
    expect([propfind.status, propfind.headers.allow]).toEqual([405, 'GET, HEAD']);
    const k = await rawRequest(port, req('DELETE /api/remap/1.2/entity/webhookstock HTTP/1.1', a.auth));
    expect([k.status, k.headers.allow, kladana(k).code]).toEqual([405, 'GET, HEAD, POST', 4050]);
  });

  it('a body over 1 MiB is 413 PAYLOAD_TOO_LARGE; another media type is 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    // The headers only: the server answers without reading the body, and a client still writing a
    // body the server will not read could see its answer lost to a reset.
    const res = await rawRequest(
      port,
      req('POST /api/v1/warehouses HTTP/1.1', { ...a.auth, 'content-type': 'application/json', 'content-length': String(BODY_LIMIT + 1) }),
    );
    expect([res.status, own(res).code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    const xml = await rawRequest(port, req('POST /api/v1/warehouses HTTP/1.1', { ...a.auth, 'content-type': 'application/xml' }, '<w/>'));
    expect([xml.status, own(xml).code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
  });

  it('a path parameter over 100 characters is 414 URI_TOO_LONG', async () => {
    const res = await rawRequest(port, req(`GET /api/v1/warehouses/${'1'.repeat(101)} HTTP/1.1`, a.auth));
    expect([res.status, own(res).code]).toEqual([414, 'URI_TOO_LONG']);
    const k = await rawRequest(port, req(`GET /api/remap/1.2/entity/webhookstock/${'a'.repeat(101)} HTTP/1.1`, a.auth));
    expect([k.status, kladana(k).code]).toEqual([414, 4140]);
  });

  it('headers over 16 KiB are 431 HEADERS_TOO_LARGE (Node refuses them before fastify)', async () => {
    const res = await rawRequest(port, req('GET /healthz HTTP/1.1', { 'x-filler': 'x'.repeat(20_000) }));
    expect([res.status, own(res).code]).toEqual([431, 'HEADERS_TOO_LARGE']);
    const k = await rawRequest(port, req('GET /api/remap/1.2/entity/webhookstock HTTP/1.1', { 'x-filler': 'x'.repeat(20_000) }));
    expect([k.status, kladana(k).code]).toEqual([431, 4310]);
  });

  it('a method Node does not know is 501 METHOD_NOT_IMPLEMENTED; a malformed request is 400 MALFORMED_REQUEST', async () => {
    const foo = await rawRequest(port, req('FOO / HTTP/1.1'));
    expect([foo.status, own(foo).code]).toEqual([501, 'METHOD_NOT_IMPLEMENTED']);
    expect(foo.body).not.toContain('Client Error');
    const garbage = await rawRequest(port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nthis is no header\r\n\r\n');
    expect([garbage.status, own(garbage).code]).toEqual([400, 'MALFORMED_REQUEST']);
  });

  it('the server keeps answering after all of these', async () => {
    const res = await rawRequest(port, req('GET /healthz HTTP/1.1'));
    expect([res.status, JSON.parse(res.body).status]).toEqual([200, 'ok']);
  });
});
