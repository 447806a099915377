import { describe, expect, it } from 'vitest';
import { BlockedTargetError, checkTarget, guardedLookup, hostOf, systemResolve, type Resolve } from '../../src/webhooks/targets.js';

/**
 * The resolver the sender's connections use (guardedLookup), called as undici's connector calls
 * dns.lookup, with the name's addresses given by the test; and checkTarget's answers where the
 * resolver fails or is never asked.
 */
type Answer = { err: (Error & { code?: string }) | null; address: unknown; family?: number };

function lookup(resolve: Resolve, hostname: string, options: { family?: number; all?: boolean }): Promise<Answer> {
  return new Promise((done) => guardedLookup(resolve)(hostname, options, (err, address, family) => done({ err, address, family })));
}

const returning =
  (...addresses: Array<[string, number]>): Resolve =>
  async () =>
    addresses.map(([address, family]) => ({ address, family }));
const failing: Resolve = async () => {
  throw Object.assign(new Error('queryA ETIMEOUT'), { code: 'ETIMEOUT' });
};

describe('guardedLookup, as the connector calls it', () => {
  it('a public name answers its first address and family, or every address when asked for all', async () => {
    const resolve = returning(['93.184.216.34', 4], ['2606:2800:220:1::1', 6]);
    expect(await lookup(resolve, 'public.example', {})).toEqual({ err: null, address: '93.184.216.34', family: 4 });
    expect(await lookup(resolve, 'public.example', { all: true })).toEqual({
      err: null,
      address: [
        { address: '93.184.216.34', family: 4 },
        { address: '2606:2800:220:1::1', family: 6 },
      ],
      family: undefined,
    });
  });

  it('a name with a private address is refused with TARGET_BLOCKED, naming the host', async () => {
    const { err, address } = await lookup(returning(['93.184.216.34', 4], ['10.0.0.7', 4]), 'mixed.example', {});
    expect(err).toBeInstanceOf(BlockedTargetError);
    expect(err?.code).toBe('TARGET_BLOCKED');
    expect(err?.message).toBe('mixed.example resolves to a non-public address');
    expect(address).toBe('');
  });

  it('a name with no address fails as ENOTFOUND, and a resolver error is passed on as it is', async () => {
    const none = await lookup(returning(), 'empty.example', {});
    expect([none.err?.code, none.err?.message, none.address]).toEqual(['ENOTFOUND', 'empty.example has no address', '']);
    const failed = await lookup(failing, 'down.example', {});
    expect([failed.err?.code, failed.err?.message, failed.address]).toEqual(['ETIMEOUT', 'queryA ETIMEOUT', '']);
  });

  it('asks the resolver for the family the connector wants (any when it says none)', async () => {
    const asked: number[] = [];
    const resolve: Resolve = async (_h, family) => {
      asked.push(family);
      return [{ address: '93.184.216.34', family: 4 }];
    };
    await lookup(resolve, 'public.example', { family: 6 });
    await lookup(resolve, 'public.example', {});
    expect(asked).toEqual([6, 0]);
  });
});

describe('checkTarget where the resolver fails or is not asked', () => {
  it('a name that does not resolve now is allowed at creation (the send-time check catches it later)', async () => {
    await expect(checkTarget('https://down.example/hook', false, failing)).resolves.toBeUndefined();
  });

  it('an address literal is judged as it is, without asking the resolver', async () => {
    await expect(checkTarget('http://10.0.0.1/hook', false, failing)).rejects.toMatchObject({ code: 'TARGET_NOT_ALLOWED' });
    await expect(checkTarget('http://[fd00::1]/hook', false, failing)).rejects.toMatchObject({ code: 'TARGET_NOT_ALLOWED' });
    await expect(checkTarget('http://93.184.216.34/hook', false, failing)).resolves.toBeUndefined();
  });

  it('localhost is refused without asking the resolver', async () => {
    await expect(checkTarget('http://app.localhost/hook', false, returning(['93.184.216.34', 4]))).rejects.toMatchObject({
      code: 'TARGET_NOT_ALLOWED',
    });
  });

  it('hostOf strips only the brackets of an IPv6 literal', () => {
    expect(hostOf(new URL('http://[::1]:8080/x'))).toBe('::1');
    expect(hostOf(new URL('http://example.com/x'))).toBe('example.com');
  });

  it('the system resolver answers every address of a name', async () => {
    const all = await systemResolve('localhost', 0);
    expect(all.length).toBeGreaterThan(0);
    expect(all.every((a) => a.address === '127.0.0.1' || a.address === '::1')).toBe(true);
  });
});
