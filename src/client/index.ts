/**
 * stockhook/client: a typed client of the stockhook API. Paths, parameters, bodies and answers are
 * the types openapi-typescript made from the server's OpenAPI document (api-types.ts); requests are
 * sent by openapi-fetch, so a path or a field the API does not have is a compile error.
 * Imports nothing of the server.
 */
import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, paths } from './api-types.js';

export type { components, operations, paths } from './api-types.js';

export type StockhookClient = Client<paths>;

/** The error body of every failed request outside the Kladana routes: `{ error: { code, message, details? } }`. */
export type ApiError = components['schemas']['Error'];

export interface StockhookClientOptions extends Omit<ClientOptions, 'baseUrl'> {
  /** Where the server is, e.g. `https://stock.example.com` or `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** An account token (or the administrator token), sent as `Authorization: Bearer <token>`. */
  token?: string;
}

/**
 * A client for one server and one token:
 * `const api = createStockhookClient({ baseUrl, token }); const { data, error } = await api.GET('/api/v1/products');`
 */
export function createStockhookClient(opts: StockhookClientOptions): StockhookClient {
  const { baseUrl, token, headers, ...rest } = opts;
  return createClient<paths>({
    ...rest,
    baseUrl: baseUrl.replace(/\/+$/, ''),
    headers: { ...(token !== undefined && { authorization: `Bearer ${token}` }), ...(headers as Record<string, string> | undefined) },
  });
}

/** One line for an error answer: `HTTP 404 NOT_FOUND: webhook … not found` (or the raw status when the body is not ours). */
export function describeApiError(status: number, body: unknown): string {
  const e = (body as { error?: { code?: unknown; message?: unknown } } | null | undefined)?.error;
  if (e && typeof e.code === 'string' && typeof e.message === 'string') return `HTTP ${status} ${e.code}: ${e.message}`;
  // Kladana's routes answer { errors: [{ error, code }] }.
  const k = (body as { errors?: { error?: unknown }[] } | null | undefined)?.errors?.[0]?.error;
  if (typeof k === 'string') return `HTTP ${status}: ${k}`;
  return `HTTP ${status}`;
}
