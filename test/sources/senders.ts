import { createHash, createHmac, randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/*
 * Senders written from the vendors' own documents in ../shared/seeds/, not from stockhook's code:
 * each builds the exact request its vendor sends (headers, signature, body), and posts it over a
 * real socket to the inbound URL. A retry is the same request sent again, as each vendor retries.
 */

export interface Sent {
  status: number;
  headers: Headers;
  body: string;
}

export interface VendorRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** Posts a vendor request to the server listening at `base` (the source URL's path on it). */
export async function send(base: string, req: VendorRequest): Promise<Sent> {
  const res = await fetch(`${base}${req.path}`, { method: 'POST', headers: req.headers, body: req.body });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

/** The path of a source's URL (`{publicUrl}/in/{token}`): the test server is not at the public URL. */
export const pathOf = (sourceUrl: string): string => new URL(sourceUrl).pathname;

/**
 * MetaKocka (seed 000_7b98ce3caed45c8a.txt, "POST request on webhook will have the following header
 * paramethers"): X-MetaKocka-Event, X-MetaKocka-Id (unique MK event id), X-MetaKocka-Signature =
 * Base64(HmacSHA1(client_secret, body)); UTF-8 JSON body.
 */
export function metakocka(path: string, clientSecret: string, body: object, id: string = randomUUID(), event = 'warehouse_product_stock_update'): VendorRequest {
  const raw = JSON.stringify(body, null, '\t');
  return {
    path,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'X-MetaKocka-Event': event,
      'X-MetaKocka-Id': id,
      'X-MetaKocka-Signature': createHmac('sha1', clientSecret).update(raw, 'utf8').digest('base64'),
    },
    body: raw,
  };
}

/**
 * Poster (seed 004_a1bb63d8532f2e59.txt, "Параметры вебхука" and its PHP sample): a JSON POST
 * {account, account_number, object, object_id, action, time, verify, data?}, verify =
 * md5(implode(';', [account, object, object_id, action, data?, time, client_secret])); `data` of a
 * `stock` hook is a JSON string {type, element_id, storage_id, value_relative, value_absolute}.
 */
export function poster(
  path: string,
  clientSecret: string,
  hook: { account: string; account_number: string; object: string; object_id: number; action: string; time: string; data?: object },
): VendorRequest {
  const data = hook.data === undefined ? undefined : JSON.stringify(hook.data);
  const parts = [hook.account, hook.object, String(hook.object_id), hook.action, ...(data === undefined ? [] : [data]), hook.time, clientSecret];
  const verify = createHash('md5').update(parts.join(';')).digest('hex');
  const body = { account: hook.account, account_number: hook.account_number, object: hook.object, object_id: hook.object_id, action: hook.action, time: hook.time, verify, ...(data !== undefined && { data }) };
  return { path, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/**
 * CycleSoftware (seed 003_363462edb958dc29.txt): envelope {id, account_id, event_name,
 * event_timestamp, payload}; X-CycleSoftware-Delivery (= id), X-CycleSoftware-Event,
 * X-CycleSoftware-Signature (HMAC of the payload with the hash secret; hex SHA-256, as stockhook's
 * own CycleSoftware format and receiver sign it).
 */
export function cyclesoftware(path: string, hashSecret: string, envelope: { id: string; account_id: number; event_name: string; event_timestamp: number; payload: object }): VendorRequest {
  const raw = JSON.stringify(envelope);
  return {
    path,
    headers: {
      'content-type': 'application/json',
      'X-CycleSoftware-Delivery': envelope.id,
      'X-CycleSoftware-Event': envelope.event_name,
      'X-CycleSoftware-Signature': createHmac('sha256', hashSecret).update(raw, 'utf8').digest('hex'),
    },
    body: raw,
  };
}

/**
 * Kladana (seed 001_b7c5f6582b1849dd.txt, "An example of how the data will be transmitted"): POST
 * {url}?requestId=<uuid> with {accountId, stockType, reportType, reportUrl}; a resend keeps the requestId.
 */
export function kladana(path: string, requestId: string, note: { accountId: string; reportType: 'all' | 'bystore'; reportUrl: string }): VendorRequest {
  return {
    path: `${path}?requestId=${requestId}`,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ accountId: note.accountId, stockType: 'stock', reportType: note.reportType, reportUrl: note.reportUrl }),
  };
}

/** Another stockhook's native webhook: Standard Webhooks headers over {id, type, timestamp, account_id, data}. */
export function native(path: string, secret: string, envelope: { id: string; type: string; data: object }, at = new Date()): VendorRequest {
  const raw = JSON.stringify({ id: envelope.id, type: envelope.type, timestamp: at.toISOString(), account_id: 'upstream', data: envelope.data });
  const signature = new Webhook(secret).sign(envelope.id, at, raw);
  return {
    path,
    headers: { 'content-type': 'application/json', 'webhook-id': envelope.id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signature },
    body: raw,
  };
}
