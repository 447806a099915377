// Documents: the list (type, warehouse, cancelled; paged) and one document with its lines, its
// movements and the events and webhook deliveries it caused.
import { api, query } from './api.js';
import { badge, fill, fmtTime, h, isoToLocal, localToIso } from './dom.js';
import { authorLabel, keyLabel, product, warehouseList, warehouseName } from './names.js';
import { go, href } from './router.js';
import { fmtQty, keyHref } from './stock.js';

const TYPES = ['receipt', 'sale', 'return', 'transfer', 'writeoff', 'count', 'reserve', 'release'];
const PAGE = 30;

function docStatus(d) {
  if (d.status === 'cancelled') return h('span', { class: 'badge badge-cancelled', testid: 'doc-status' }, `cancelled by #${d.reversedByDocumentId}`);
  if (d.reversesDocumentId) return h('span', { class: 'badge badge-held', testid: 'doc-status' }, `cancels #${d.reversesDocumentId}`);
  return h('span', { class: 'badge badge-succeeded', testid: 'doc-status' }, 'posted');
}

export async function documentsView(root, params, isCurrent) {
  const whs = await warehouseList();
  const whName = new Map(whs.map((w) => [w.id, w.name]));
  const f = {
    type: h('select', { testid: 'docs-type', 'aria-label': 'Type' }, h('option', { value: '' }, 'Any type'), TYPES.map((t) => h('option', { value: t }, t))),
    warehouse: h('select', { testid: 'docs-warehouse', 'aria-label': 'Warehouse' }, h('option', { value: '' }, 'All warehouses'), whs.map((w) => h('option', { value: w.id }, w.name))),
    cancelled: h('select', { testid: 'docs-cancelled', 'aria-label': 'Cancelled' }, h('option', { value: '' }, 'Posted and cancelled'), h('option', { value: 'false' }, 'Standing'), h('option', { value: 'true' }, 'Cancelled')),
  };
  f.since = h('input', { type: 'datetime-local', testid: 'docs-since', title: 'posted at or after' });
  f.until = h('input', { type: 'datetime-local', testid: 'docs-until', title: 'posted before' });
  if (params.get('since')) f.since.value = isoToLocal(Date.parse(params.get('since')));
  if (params.get('until')) f.until.value = isoToLocal(Date.parse(params.get('until')));
  f.type.value = params.get('type') || '';
  f.warehouse.value = params.get('warehouseId') || '';
  f.cancelled.value = params.get('cancelled') || '';
  const form = h('form', { class: 'filters' }, Object.values(f), h('button', { type: 'submit', testid: 'docs-apply' }, 'Show'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    go('documents', {
      type: f.type.value || undefined,
      warehouseId: f.warehouse.value || undefined,
      cancelled: f.cancelled.value || undefined,
      since: localToIso(f.since.value),
      until: localToIso(f.until.value),
    });
  });
  const tbody = h('tbody', { testid: 'doc-rows' });
  const more = h('button', { type: 'button', class: 'small', testid: 'docs-more' }, 'Older documents');
  fill(
    root,
    h(
      'section',
      { class: 'card', testid: 'documents-view' },
      h('div', { class: 'card-head' }, h('h2', {}, 'Documents')),
      form,
      h(
        'div',
        { class: 'table-wrap' },
        h('table', { class: 'list' }, h('thead', {}, h('tr', {}, ['#', 'Posted', 'Type', 'Warehouse', 'Reference', 'Lines', 'Status', 'By'].map((c) => h('th', {}, c)))), tbody),
      ),
      h('div', { class: 'pager' }, more),
    ),
  );
  const filter = { limit: PAGE };
  for (const k of ['type', 'warehouseId', 'cancelled', 'since', 'until']) filter[k] = params.get(k) || undefined;
  let cursor;
  const load = async () => {
    const page = await api(`/api/v1/documents${query({ ...filter, cursor })}`);
    if (!isCurrent()) return;
    if (!cursor && page.data.length === 0) tbody.append(h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'No documents match.')));
    tbody.append(...page.data.map((d) => docRow(d, whName)));
    cursor = page.nextCursor;
    more.disabled = !cursor;
  };
  more.addEventListener('click', load);
  await load();
}

function docRow(d, whName) {
  const wh = (id) => whName.get(id) || `#${id}`;
  const tr = h(
    'tr',
    { testid: 'doc-row', 'data-id': d.id, class: 'clickable', tabindex: 0 },
    h('td', {}, h('a', { href: href(`documents/${d.id}`) }, `#${d.id}`)),
    h('td', { class: 'nowrap' }, fmtTime(d.createdAt)),
    h('td', {}, d.type),
    h('td', {}, wh(d.warehouseId), d.toWarehouseId && ` → ${wh(d.toWarehouseId)}`),
    h('td', {}, d.reference || ''),
    h('td', { class: 'num' }, String(d.lines.length)),
    h('td', {}, docStatus(d)),
    h('td', { class: 'muted small' }, authorLabel(d)),
  );
  const open = (e) => !e.target.closest('a') && go(`documents/${d.id}`);
  tr.addEventListener('click', open);
  tr.addEventListener('keydown', (e) => e.key === 'Enter' && open(e));
  return tr;
}

export async function documentView(root, id, isCurrent) {
  const [d, evs, moves] = await Promise.all([
    api(`/api/v1/documents/${id}`),
    api(`/api/v1/documents/${id}/events`),
    api(`/api/v1/movements${query({ documentId: id, limit: 1000 })}`),
  ]);
  const products = await Promise.all(d.lines.map((l) => product(l.productId)));
  const deliveries = await Promise.all(evs.data.map((e) => api(`/api/v1/deliveries${query({ eventId: e.id, limit: 100 })}`)));
  const wh = await warehouseName(d.warehouseId);
  const toWh = d.toWarehouseId ? await warehouseName(d.toWarehouseId) : null;
  const names = new Map();
  for (const m of moves.data) if (!names.has(m.warehouseId)) names.set(m.warehouseId, await warehouseName(m.warehouseId));
  if (!isCurrent()) return;
  const field = (k, v) => [h('dt', {}, k), h('dd', {}, v)];
  fill(
    root,
    h(
      'section',
      { class: 'card', testid: 'document-detail', 'data-id': d.id },
      h('div', { class: 'card-head' }, h('h2', {}, `Document #${d.id} · ${d.type}`), docStatus(d), h('span', { class: 'spacer' }), h('a', { href: href('documents') }, '← Documents')),
      h(
        'dl',
        { class: 'fields' },
        field('Posted', fmtTime(d.createdAt)),
        field('Warehouse', toWh ? `${wh} → ${toWh}` : wh),
        field('Reference', d.reference || '—'),
        field('By', authorLabel(d)),
        d.reversesDocumentId && field('Cancels', h('a', { href: href(`documents/${d.reversesDocumentId}`), testid: 'doc-reverses' }, `#${d.reversesDocumentId}`)),
        d.reversedByDocumentId && field('Cancelled by', h('a', { href: href(`documents/${d.reversedByDocumentId}`), testid: 'doc-reversed-by' }, `#${d.reversedByDocumentId}`)),
      ),
      h('h3', {}, `Lines (${d.lines.length})`),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'list', testid: 'doc-lines' },
          h('thead', {}, h('tr', {}, ['Product', 'Key', 'Quantity'].map((c, i) => h('th', { class: i === 2 ? 'num' : '' }, c)))),
          h(
            'tbody',
            {},
            d.lines.map((l, i) =>
              h(
                'tr',
                {},
                h('td', {}, h('a', { href: href('history', { productId: l.productId }) }, products[i].title), h('div', { class: 'muted small' }, products[i].sku)),
                h('td', {}, keyLabel(l, '') || '—'),
                h('td', { class: 'num' }, fmtQty(l.quantity)),
              ),
            ),
          ),
        ),
      ),
      h('h3', {}, `Movements (${moves.data.length})`),
      h(
        'ul',
        { class: 'plain', testid: 'doc-movements' },
        moves.data.map((m) =>
          h('li', {}, h('a', { href: keyHref(m) }, keyLabel(m, names.get(m.warehouseId))), `: ${m.amountDelta >= 0 ? '+' : ''}${fmtQty(m.amountDelta)}`, m.reservedDelta ? ` (reserved ${m.reservedDelta > 0 ? '+' : ''}${fmtQty(m.reservedDelta)})` : '', ` → amount ${fmtQty(m.amount)}, free ${fmtQty(m.free)}`),
        ),
      ),
      h('h3', {}, `Events and the webhooks they caused (${evs.data.length})`),
      evs.data.length === 0
        ? h('p', { class: 'muted' }, 'No events.')
        : h(
            'ul',
            { class: 'plain events', testid: 'doc-events' },
            evs.data.map((e, i) =>
              h(
                'li',
                { testid: 'doc-event', 'data-id': e.id, 'data-type': e.type },
                h('a', { href: href(`events/${e.id}`), testid: 'doc-event-link' }, `${e.type} #${e.seq}`),
                ' ',
                deliveryChips(deliveries[i].data),
              ),
            ),
          ),
    ),
  );
}

/** A delivery per chip: status and endpoint, linking to the delivery. */
export function deliveryChips(list) {
  if (list.length === 0) return h('span', { class: 'muted small' }, 'no webhook deliveries');
  return h(
    'span',
    { class: 'chips' },
    list.map((x) => h('a', { href: href(`deliveries/${x.id}`), class: 'chip', testid: 'delivery-link', 'data-id': x.id, 'data-status': x.status, title: x.url }, badge(x.status), ' ', x.url.replace(/^https?:\/\//, ''))),
  );
}
