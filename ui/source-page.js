// One source: its URL and health, the rows that mapped to nothing (with a mapping to add and a
// retry), and its request log. Everything a vendor sent is shown as text: a body or a row is the
// vendor's bytes, and nothing in them may become markup on this page.
import { api, query } from './api.js';
import { act, fill, fmtTime, h, kvTable, pretty, toast } from './dom.js';
import { warehouseList } from './names.js';
import { healthBadge, inboundUrl, outcomeBadge } from './sources.js';

const LOG_PAGE = 50;
const UNMATCHED_PAGE = 100;

export async function sourceView(root, id, isCurrent) {
  const [s, unmatched, log] = await Promise.all([
    api(`/api/v1/sources/${encodeURIComponent(id)}`),
    api(`/api/v1/sources/${encodeURIComponent(id)}/unmatched${query({ limit: UNMATCHED_PAGE })}`),
    api(`/api/v1/sources/${encodeURIComponent(id)}/requests${query({ limit: LOG_PAGE })}`),
  ]);
  if (!isCurrent()) return;
  const redraw = () => sourceView(root, id, isCurrent);
  fill(root, head(s), unmatchedCard(s, unmatched.data, redraw), logCard(s, log.data));
}

function head(s) {
  const last = s.health.lastRequest;
  return h(
    'section',
    { class: 'card', testid: 'source-page' },
    h('p', { class: 'small' }, h('a', { href: '#/sources' }, '← Sources')),
    h('div', { class: 'card-head' }, h('h2', { testid: 'source-title' }, s.name), healthBadge(s)),
    h(
      'dl',
      { class: 'fields' },
      h('dt', {}, 'Format'),
      h('dd', {}, s.format),
      h('dt', {}, 'Inbound URL'),
      h('dd', {}, inboundUrl(s.url)),
      h('dt', {}, 'Products found by'),
      h('dd', {}, s.mapping === 'explicit' ? 'explicit mappings only' : `${s.mapping}, or an explicit mapping`, s.allowCreate ? ' · creates products it cannot map' : ''),
      h('dt', {}, 'Last request'),
      h('dd', { testid: 'source-last' }, last ? [fmtTime(last.receivedAt, { seconds: true }), ' ', outcomeBadge(last.outcome, 'source-last-outcome')] : 'none yet'),
      h('dt', {}, 'Unmatched rows'),
      h('dd', { testid: 'source-unmatched' }, String(s.health.unmatched)),
      h('dt', {}, 'Enabled'),
      h('dd', {}, s.enabled ? 'yes' : 'no: requests are refused'),
    ),
  );
}

/** "booked 1 · 0 still unmatched" from a mapping's or a retry's answer. */
function bookSummary(r) {
  return [`booked ${r.booked}`, `${r.unmatched} still unmatched`, r.stale.length && `${r.stale.length} older than what was booked (skipped)`].filter(Boolean).join(' · ');
}

function unmatchedCard(s, rows, redraw) {
  const retry = h('button', { type: 'button', class: 'small', testid: 'unmatched-retry', 'data-write': true, title: "Try every kept row again, after products or warehouses got the SKU or code the source's rule looks for" }, 'Retry all');
  retry.addEventListener('click', () =>
    act(retry, async () => {
      const r = await api(`/api/v1/sources/${s.id}/unmatched/retry`, { method: 'POST' });
      toast(`Retried: ${bookSummary(r)}`);
      await redraw();
    }),
  );
  const list = h('div', { testid: 'unmatched-rows' });
  if (rows.length === 0) list.append(h('p', { class: 'muted', testid: 'unmatched-none' }, 'No rows wait for a mapping.'));
  for (const u of rows) list.append(unmatchedRow(s, u, redraw));
  if (rows.length >= UNMATCHED_PAGE) list.append(h('p', { class: 'muted small' }, `The oldest ${UNMATCHED_PAGE} are shown; the API lists the rest (GET /api/v1/sources/${s.id}/unmatched?after=…).`));
  return h(
    'section',
    { class: 'card', testid: 'unmatched-card' },
    h('div', { class: 'card-head' }, h('h3', {}, `Unmatched rows (${s.health.unmatched})`), h('span', { class: 'spacer' }), rows.length > 0 && retry),
    h('p', { class: 'muted small' }, 'Rows that named a product or warehouse nothing maps to. They are kept, never guessed, and booked when a mapping places them.'),
    list,
  );
}

function unmatchedRow(s, u, redraw) {
  const slot = h('div');
  const mapButton = h('button', { type: 'button', class: 'small', testid: 'unmatched-map', 'data-write': true }, 'Add mapping…');
  mapButton.addEventListener('click', () =>
    act(mapButton, async () => {
      mapButton.hidden = true;
      fill(slot, await mappingForm(s, u, redraw, () => ((mapButton.hidden = false), fill(slot))));
    }),
  );
  return h(
    'div',
    { class: 'attempt', testid: 'unmatched-row', 'data-id': u.id },
    h(
      'header',
      {},
      h('strong', { testid: 'unmatched-product' }, `product ${u.product}`),
      h('span', { class: 'muted' }, u.warehouse === null ? '· no warehouse named' : `· warehouse ${u.warehouse}`),
      h('span', { class: 'muted' }, `· amount ${u.amount}`),
      h('span', { class: 'spacer' }),
      h('span', { class: 'muted small nowrap' }, fmtTime(u.createdAt, { seconds: true })),
    ),
    h('p', { class: 'warn', testid: 'unmatched-reason' }, u.reason),
    h('details', { class: 'body', open: true }, h('summary', {}, "The vendor's row, as sent"), h('pre', { testid: 'unmatched-raw' }, JSON.stringify(u.row, null, 2))),
    h('div', { class: 'row' }, mapButton),
    slot,
  );
}

/** The kind of mapping a kept row needs: its reason names the warehouse or the product that mapped to nothing. */
function neededKind(u) {
  return /^(warehouse|the vendor names no warehouse)/.test(u.reason) && u.warehouse !== null ? 'warehouse' : 'product';
}

async function mappingForm(s, u, redraw, close) {
  const [products, warehouses] = await Promise.all([api('/api/v1/products').then((r) => r.data), warehouseList()]);
  const kind = h('select', { testid: 'map-kind', 'aria-label': 'What to map' }, h('option', { value: 'product' }, 'product'), h('option', { value: 'warehouse' }, 'warehouse'));
  const external = h('input', { type: 'text', testid: 'map-external', 'aria-label': "The vendor's id", maxlength: 200, size: 14 });
  const target = h('select', { testid: 'map-target', 'aria-label': "stockhook's product or warehouse" });
  const error = h('p', { class: 'error', testid: 'map-error', role: 'alert' });
  const setKind = (k) => {
    kind.value = k;
    external.value = k === 'warehouse' ? u.warehouse ?? '' : u.product;
    const items = k === 'warehouse' ? warehouses.map((w) => [w.id, `${w.name}${w.code ? ` (code ${w.code})` : ''}`]) : products.map((p) => [p.id, [p.title, p.sku && `SKU ${p.sku}`, p.code && `code ${p.code}`].filter(Boolean).join(' · ')]);
    fill(target, h('option', { value: '' }, `Choose a ${k}…`), items.map(([v, label]) => h('option', { value: v }, label)));
  };
  setKind(neededKind(u));
  kind.addEventListener('change', () => setKind(kind.value));
  const save = h('button', { type: 'submit', testid: 'map-save' }, 'Map and book');
  const cancel = h('button', { type: 'button', class: 'ghost', testid: 'map-cancel' }, 'Cancel');
  cancel.addEventListener('click', close);
  const form = h('form', { class: 'panel', testid: 'map-form' }, h('div', { class: 'row' }, kind, external, '→', target), h('div', { class: 'row' }, save, cancel), error);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    fill(error);
    if (!target.value || !external.value.trim()) return void fill(error, `Choose the ${kind.value} it maps to.`);
    void act(save, async () => {
      try {
        const r = await api(`/api/v1/sources/${s.id}/mappings`, { method: 'POST', body: { kind: kind.value, externalId: external.value.trim(), targetId: Number(target.value) } });
        toast(`Mapped: ${bookSummary(r)}`);
        await redraw();
      } catch (err) {
        fill(error, err instanceof Error ? err.message : String(err));
      }
    });
  });
  return form;
}

function logCard(s, first) {
  const list = h('div', { testid: 'request-log' });
  const more = h('button', { type: 'button', class: 'small', testid: 'requests-more' }, 'Older requests');
  let lastId = null;
  const add = (entries) => {
    for (const r of entries) list.append(requestEntry(r));
    lastId = entries.length ? entries[entries.length - 1].id : lastId;
    more.disabled = entries.length < LOG_PAGE;
  };
  if (first.length === 0) list.append(h('p', { class: 'muted', testid: 'requests-none' }, 'No requests received yet.'));
  add(first);
  more.addEventListener('click', () =>
    act(more, async () => add((await api(`/api/v1/sources/${s.id}/requests${query({ limit: LOG_PAGE, before: lastId })}`)).data)),
  );
  return h('section', { class: 'card', testid: 'request-log-card' }, h('div', { class: 'card-head' }, h('h3', {}, 'Requests received'), h('span', { class: 'muted small' }, 'newest first')), list, h('div', { class: 'pager' }, more));
}

/** What a request booked or why not, from its log detail, in a line. */
function detailLine(r) {
  const d = r.detail || {};
  const parts = [];
  if (Array.isArray(d.documentIds) && d.documentIds.length) parts.push(h('span', {}, 'documents ', d.documentIds.map((id, i) => [i ? ', ' : '', h('a', { href: `#/documents/${id}` }, `#${id}`)])));
  for (const [k, v] of Object.entries(d)) {
    if (k === 'documentIds') continue;
    if (Array.isArray(v) && v.length === 0) continue;
    parts.push(h('span', {}, `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`));
  }
  return parts.length ? parts.flatMap((p, i) => (i ? [' · ', p] : [p])) : [h('span', { class: 'muted' }, 'no detail')];
}

function requestEntry(r) {
  const verified = r.verified ? h('span', { class: 'badge badge-succeeded', testid: 'request-verified' }, 'signature verified') : h('span', { class: 'badge badge-failed', testid: 'request-verified' }, `not verified${r.verifyReason ? `: ${r.verifyReason}` : ''}`);
  const cls = r.answer.status >= 500 ? '5xx' : r.answer.status >= 400 ? '4xx' : '2xx';
  return h(
    'div',
    { class: 'attempt', testid: 'request-row', 'data-id': r.id },
    h(
      'header',
      {},
      h('span', { class: 'nowrap', testid: 'request-time' }, fmtTime(r.receivedAt, { seconds: true })),
      verified,
      h('span', { class: `code code-${cls}`, testid: 'request-answer' }, `answered ${r.answer.status}`),
      outcomeBadge(r.outcome, 'request-outcome'),
    ),
    h('p', { class: 'small url', testid: 'request-detail' }, detailLine(r)),
    r.deliveryKey && h('p', { class: 'muted small url' }, `delivery ${r.deliveryKey}`),
    h('details', { testid: 'request-headers' }, h('summary', {}, 'Headers'), kvTable(r.headers)),
    h('details', { testid: 'request-body' }, h('summary', {}, `Body${r.bodyTruncated ? ' (truncated)' : ''}`), h('pre', { testid: 'request-body-text' }, pretty(r.body))),
    h('details', {}, h('summary', {}, 'Answer body'), h('pre', {}, r.answer.body === '' ? '(empty)' : pretty(r.answer.body))),
  );
}
