// Live tail of the account's events (GET /api/v1/events?last= then after= polling), each with the
// webhook deliveries it caused; and one event with its document and deliveries.
import { api, query } from './api.js';
import { fill, fmtTime, h, pretty } from './dom.js';
import { fmtClock } from './format.js';
import { deliveryChips } from './documents.js';
import { keyLabel, product, warehouseList } from './names.js';
import { href } from './router.js';

const START = 50;
const POLL_MS = 1500;

/** The document an event came from, when it names one. */
export function eventDocumentId(e) {
  if (typeof e.data.documentId === 'number') return e.data.documentId;
  if (e.object === 'document') return Number(e.objectId);
  return null;
}

/** What changed, in words; product titles arrive from the names cache a moment later. */
function summary(e, whName) {
  const d = e.data;
  if (e.type === 'stock.changed') {
    const delta = d.amountDelta ? `${d.amountDelta > 0 ? '+' : ''}${d.amountDelta}` : `reserved ${d.reservedDelta > 0 ? '+' : ''}${d.reservedDelta}`;
    const what = h('span', {}, `product #${d.productId}`);
    void product(d.productId).then((p) => fill(what, p.title));
    return [what, ` · ${keyLabel(d, whName.get(d.warehouseId) || `#${d.warehouseId}`)}: ${delta} → amount ${d.amount}, free ${d.free}`];
  }
  if (e.type.startsWith('document.')) return `${d.document && d.document.type} #${e.objectId}`;
  return `${e.object} #${e.objectId}`;
}

export async function tailView(root, isCurrent) {
  const tbody = h('tbody', { testid: 'tail-rows' });
  const pause = h('input', { type: 'checkbox', testid: 'tail-pause' });
  const state = h('span', { class: 'muted small', testid: 'tail-state' });
  fill(
    root,
    h(
      'section',
      { class: 'card', testid: 'tail-view' },
      h('div', { class: 'card-head' }, h('h2', {}, 'Live events'), state, h('span', { class: 'spacer' }), h('label', { class: 'switch' }, pause, 'pause')),
      h('p', { class: 'muted small' }, 'Every change as it commits, newest first, with the webhook deliveries it caused.'),
      h('div', { class: 'table-wrap' }, h('table', { class: 'list log cards tail' }, h('thead', {}, h('tr', {}, ['#', 'When', 'Event', 'What', 'Document', 'Deliveries'].map((c) => h('th', {}, c)))), tbody)),
    ),
  );
  const shown = [];
  const whName = new Map((await warehouseList()).map((w) => [w.id, w.name]));
  const first = await api(`/api/v1/events${query({ last: START })}`);
  let after = first.nextAfter;
  const rows = new Map();
  const add = (events) => {
    for (const e of events) {
      const doc = eventDocumentId(e);
      const cell = h('td', { testid: 'tail-deliveries', class: 'wide', 'data-label': 'Deliveries' });
      const tr = h(
        'tr',
        { testid: 'tail-row', 'data-id': e.id, 'data-type': e.type, 'data-seq': e.seq },
        h('td', { class: 'num' }, String(e.seq)),
        h('td', { class: 'nowrap', 'data-label': 'When' }, fmtTime(e.occurredAt)),
        h('td', { 'data-label': 'Event' }, h('a', { href: href(`events/${e.id}`), testid: 'tail-event' }, e.type)),
        h('td', { class: 'small wide', 'data-label': 'What' }, summary(e, whName)),
        h('td', { 'data-label': 'Document', testid: 'tail-document' }, doc ? h('a', { href: href(`documents/${doc}`) }, `#${doc}`) : ''),
        cell,
      );
      rows.set(e.id, cell);
      shown.unshift(e);
      tbody.prepend(tr);
    }
    while (shown.length > 200) {
      const old = shown.pop();
      rows.delete(old.id);
      tbody.lastChild && tbody.lastChild.remove();
    }
  };
  // One request for the deliveries of every event shown: the log since the oldest of them.
  const linkDeliveries = async () => {
    if (shown.length === 0) return;
    const since = new Date(Date.parse(shown[shown.length - 1].occurredAt) - 1000).toISOString();
    const page = await api(`/api/v1/deliveries${query({ since, limit: 500 })}`);
    const by = new Map();
    for (const d of page.data) if (d.eventId) by.set(d.eventId, [...(by.get(d.eventId) || []), d]);
    for (const [id, cell] of rows) fill(cell, deliveryChips(by.get(id) || []));
  };
  add(first.data);
  if (first.data.length === 0) tbody.append(h('tr', { testid: 'tail-empty' }, h('td', { colspan: 6, class: 'muted' }, 'No events yet: they appear here as they happen.')));
  await linkDeliveries();
  const tick = async () => {
    if (!isCurrent()) return;
    if (!pause.checked && !document.hidden) {
      try {
        const page = await api(`/api/v1/events${query({ after, limit: 100 })}`);
        if (!isCurrent()) return;
        if (page.data.length) {
          const empty = tbody.querySelector('[data-testid=tail-empty]');
          if (empty) empty.remove();
        }
        add(page.data);
        after = page.nextAfter;
        await linkDeliveries();
        fill(state, `live · ${fmtClock(Date.now())}`);
      } catch (err) {
        fill(state, `retrying: ${err instanceof Error ? err.message : String(err)}`);
      }
    } else fill(state, 'paused');
    setTimeout(tick, POLL_MS);
  };
  fill(state, 'live');
  setTimeout(tick, POLL_MS);
}

export async function eventView(root, id, isCurrent) {
  const [e, ds] = await Promise.all([api(`/api/v1/events/${id}`), api(`/api/v1/deliveries${query({ eventId: id, limit: 100 })}`)]);
  if (!isCurrent()) return;
  const doc = eventDocumentId(e);
  const field = (k, v) => [h('dt', {}, k), h('dd', {}, v)];
  fill(
    root,
    h(
      'section',
      { class: 'card', testid: 'event-detail', 'data-id': e.id },
      h('div', { class: 'card-head' }, h('h2', {}, `${e.type} #${e.seq}`), h('span', { class: 'spacer' }), h('a', { href: href('events') }, '← Live events')),
      h(
        'dl',
        { class: 'fields' },
        field('Id', h('code', {}, e.id)),
        field('When', fmtTime(e.occurredAt, { seconds: true })),
        field('Object', `${e.object} #${e.objectId} (${e.action})`),
        doc && field('Document', h('a', { href: href(`documents/${doc}`), testid: 'event-document' }, `#${doc}${e.data.documentType ? ` ${e.data.documentType}` : ''}`)),
        e.type === 'stock.changed' && field('Stock key', h('a', { href: href('history', { productId: e.data.productId, warehouseId: e.data.warehouseId, size: e.data.size ?? '', lot: e.data.lot ?? '', expiry: e.data.expiry ?? '', serial: e.data.serial ?? '', location: e.data.location ?? '' }) }, 'history')),
      ),
      h('h3', {}, `Webhook deliveries (${ds.data.length})`),
      h('p', { testid: 'event-deliveries' }, deliveryChips(ds.data)),
      h('details', { class: 'body', open: true }, h('summary', {}, 'Data'), h('pre', { testid: 'event-data' }, pretty(JSON.stringify(e.data)))),
    ),
  );
}
