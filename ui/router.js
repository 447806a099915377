// Hash routes: #/stock, #/history?productId=…, #/documents, #/documents/12, #/events, #/events/<id>,
// #/deliveries/<id>, #/webhooks, #/sources, #/sources/<id>, #/post/<receipt|sale|count|transfer|reservation>. Every view reads the public API only; links are plain hrefs.

/** The current route: its path segments and its query. */
export function currentRoute() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, q = ''] = raw.split('?');
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(q) };
}

/** A hash href; params with undefined or null values are left out ('' is kept: "no lot"). */
export function href(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) q.set(k, String(v));
  const s = q.toString();
  return `#/${path}${s ? `?${s}` : ''}`;
}

export function go(path, params) {
  location.hash = href(path, params);
}
