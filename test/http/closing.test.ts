import { connect, type AddressInfo, type Socket } from 'node:net';
import { expect, it } from 'vitest';
import { createEnv } from '../support/env.js';

/** A connection with half a request line sent: a request in progress, so closing the app waits for it. */
async function halfSent(port: number, line: string): Promise<{ finish(rest: string): Promise<string> }> {
  const socket: Socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((r) => socket.once('connect', () => r()));
  const chunks: Buffer[] = [];
  socket.on('data', (d: Buffer) => chunks.push(d));
  const gone = new Promise<void>((r) => socket.once('close', () => r()));
  await new Promise<void>((r) => socket.write(line, () => r()));
  return {
    async finish(rest) {
      socket.write(rest);
      await gone;
      return Buffer.concat(chunks).toString();
    },
  };
}

const parse = (raw: string) => {
  const [head, body] = raw.split('\r\n\r\n');
  const [status, ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  return { status: Number(status.split(' ')[1]), headers, body: JSON.parse(body) as unknown };
};

// A request that reaches the app while it closes (SIGTERM; a kept-alive or slow client) is answered in
// the documented error shape, not fastify's own `{"error":"Service Unavailable",...}` body.
it('a request during shutdown is 503 SHUTTING_DOWN with Retry-After and connection: close', async () => {
  const env = await createEnv('sqlite');
  try {
    const a = await env.app.inject({ method: 'POST', url: '/api/v1/accounts', headers: { authorization: `Bearer ${env.adminToken}` }, payload: { name: 'Shop', plan: 'paid' } });
    const token = a.json().token as string;
    await env.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = env.app.server.address() as AddressInfo;
    const api = await halfSent(port, 'GET /api/v1/wareh');
    const kladana = await halfSent(port, 'GET /api/remap/1.2/entity/webh');
    const closed = env.app.close();
    // server.close() is called once the app is in its closing state (after the preClose hooks).
    while (env.app.server.listening) await new Promise((r) => setImmediate(r));
    const rest = `HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\n\r\n`;
    const [apiAnswer, kladanaAnswer] = await Promise.all([api.finish(`ouses ${rest}`), kladana.finish(`ookstock ${rest}`)]);
    await closed;
    const res = parse(apiAnswer);
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ error: { code: 'SHUTTING_DOWN', message: 'The server is shutting down; retry after the Retry-After seconds' } });
    expect(res.headers['retry-after']).toBe('1');
    expect(res.headers.connection).toBe('close');
    const k = parse(kladanaAnswer);
    expect(k.status).toBe(503);
    expect(k.body).toEqual({ errors: [expect.objectContaining({ code: 5032 })] });
  } finally {
    await env.close();
  }
});
