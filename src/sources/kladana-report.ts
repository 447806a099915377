import { isIP } from 'node:net';
import { Agent, request } from 'undici';
import { guardedLookup, hostOf, isLocalhostName, isPrivateAddress } from '../webhooks/targets.js';
import { BadPayload } from './vendors.js';

/** A report is read up to this size: Kladana sends only the changed positions, far less. */
export const MAX_REPORT_BYTES = 5 * 1024 * 1024;
/** The whole fetch (connect, headers, body) ends by then. */
export const REPORT_TIMEOUT_MS = 15_000;

export interface ReportFetch {
  url: string;
  authorization: string | null;
  allowPrivateTargets: boolean;
  timeoutMs?: number;
  maxBytes?: number;
  /** Ends the fetch early (the process is stopping). */
  signal?: AbortSignal;
}

/** One agent per setting: its connector resolves names through the private-target guard, as deliveries do. */
let guarded: Agent | null = null;
let open: Agent | null = null;
const agentFor = (allowPrivate: boolean): Agent =>
  allowPrivate ? (open ??= new Agent()) : (guarded ??= new Agent({ connect: { lookup: guardedLookup() as never } }));

/**
 * Fetches a Kladana balance report (GET reportUrl, with the source's Authorization), through the
 * same private-target guard as deliveries (webhooks/targets.ts: a literal private address or
 * localhost is refused before connecting, a name is checked at connect time), bounded in time and
 * size; a redirect is not followed (undici's request follows none). Anything but a 200 with a JSON body is an error the source log shows.
 */
export async function fetchReport(f: ReportFetch): Promise<unknown> {
  const url = new URL(f.url);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new BadPayload('reportUrl is not http or https');
  const host = hostOf(url);
  if (!f.allowPrivateTargets && ((isIP(host) && isPrivateAddress(host)) || isLocalhostName(host))) {
    throw new BadPayload(`${host} is a loopback, private or otherwise non-public address`);
  }
  const max = f.maxBytes ?? MAX_REPORT_BYTES;
  const res = await request(url, {
    method: 'GET',
    dispatcher: agentFor(f.allowPrivateTargets),
    headers: { accept: 'application/json;charset=utf-8', ...(f.authorization && { authorization: f.authorization }) },
    signal: f.signal ? AbortSignal.any([f.signal, AbortSignal.timeout(f.timeoutMs ?? REPORT_TIMEOUT_MS)]) : AbortSignal.timeout(f.timeoutMs ?? REPORT_TIMEOUT_MS),
  });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += (chunk as Buffer).length;
    if (size > max) {
      res.body.destroy();
      throw new BadPayload(`the report is larger than ${max} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  if (res.statusCode !== 200) throw new BadPayload(`the report answered ${res.statusCode}`);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new BadPayload('the report is not JSON');
  }
}
