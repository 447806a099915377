import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Sender } from '../../src/delivery/sender.js';
import { checkTarget, type Resolve } from '../../src/webhooks/targets.js';

/**
 * The check at connect time, with the name's addresses given by the test: a name with one public
 * and one private address is refused whichever comes first, and nothing reaches the private one
 * (a receiver listening there counts every connection). The check at creation (checkTarget) refuses
 * the same names.
 */
describe('every address a name resolves to is checked at connect time', () => {
  let server: Server;
  let port = 0;
  const connections: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      connections.push(req.url ?? '');
      res.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  // Each case counts its own connections: one that let a request through fails alone.
  beforeEach(() => {
    connections.length = 0;
  });

  const resolverOf = (addresses: string[]): { resolve: Resolve; asked: string[] } => {
    const asked: string[] = [];
    return {
      asked,
      resolve: async (hostname) => {
        asked.push(hostname);
        return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
      },
    };
  };

  it.each([
    ['public first', ['93.184.216.34', '127.0.0.1']],
    ['private first', ['127.0.0.1', '93.184.216.34']],
    ['an IPv4-compatible IPv6 among them', ['2606:4700:4700::1111', '::7f00:1']],
    ['IPv6 public, IPv4 private', ['2606:4700:4700::1111', '127.0.0.1']],
    ['only a private address', ['127.0.0.1']],
  ])('%s: the send is refused as blocked and nothing connects', async (_name, addresses) => {
    const { resolve, asked } = resolverOf(addresses);
    const sender = new Sender({ allowPrivateTargets: false, resolve });
    try {
      const out = await sender.send('acc', `http://mixed.example:${port}/refused`, {}, '{}', 10_000);
      expect(out).toEqual({ ok: false, kind: 'blocked', message: 'mixed.example resolves to a non-public address' });
      expect(asked).toEqual(['mixed.example']);
    } finally {
      await sender.close();
    }
    // Absence proved by what comes after: the receiver's first request is this one.
    const direct = new Sender({ allowPrivateTargets: true });
    try {
      expect(await direct.send('acc', `http://127.0.0.1:${port}/after`, {}, '{}', 10_000)).toMatchObject({ ok: true, status: 200 });
    } finally {
      await direct.close();
    }
    expect(connections).toEqual(['/after']);
  });

  it.each([
    ['public first', ['93.184.216.34', '127.0.0.1']],
    ['private first', ['10.0.0.1', '93.184.216.34']],
    ['IPv6 public, IPv6 private last', ['2606:4700:4700::1111', '93.184.216.34', 'fd00::1']],
  ])('%s: a subscription to the name is refused at creation too', async (_name, addresses) => {
    const { resolve, asked } = resolverOf(addresses);
    await expect(checkTarget('https://mixed.example/hook', false, resolve)).rejects.toMatchObject({
      code: 'TARGET_NOT_ALLOWED',
      message:
        'mixed.example is, or resolves to, a loopback, private or otherwise non-public address. Webhooks reach such addresses only when the server ' +
        'is started with STOCKHOOK_ALLOW_PRIVATE_TARGETS=1 (for receivers on the same machine or a private network; it also lets every account ' +
        'target them): ask its operator, or give a public URL',
    });
    expect(asked).toEqual(['mixed.example']);
  });

  it('a name with only public addresses is accepted at creation', async () => {
    const { resolve } = resolverOf(['93.184.216.34', '2606:4700:4700::1111']);
    await expect(checkTarget('https://public.example/hook', false, resolve)).resolves.toBeUndefined();
  });
});
