// The account token lives in sessionStorage: gone when the tab closes, never sent anywhere but this server.
const KEY = 'stockhook.token';

export const session = {
  get token() {
    return sessionStorage.getItem(KEY);
  },
  set(token) {
    sessionStorage.setItem(KEY, token);
  },
  clear() {
    sessionStorage.removeItem(KEY);
  },
};

export class ApiError extends Error {
  constructor(message, status, code, details) {
    super(message);
    this.status = status;
    this.code = code;
    // The error body's details (the field at fault, the stock key short of stock): forms show it there.
    this.details = details;
  }
}

let onUnauthorized = () => {};
/** Called when a request answers 401 (the token was revoked, or mistyped at sign-in). */
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

/** A JSON API call with the session's token; throws ApiError with the server's message. */
export async function api(path, { method = 'GET', body, token = session.token, headers: extra = {} } = {}) {
  const headers = { ...extra, authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    if (res.status === 401) onUnauthorized();
    const e = data && data.error;
    throw new ApiError(e ? `${e.message} (${e.code})` : `HTTP ${res.status}`, res.status, e && e.code, e && e.details);
  }
  return data;
}

/** A query string from an object, leaving out empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
