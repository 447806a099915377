// Documents: the list (type, warehouse, cancelled; paged) and one document with its lines, its
// movements and the events and webhook deliveries it caused.
import { api, query } from './api.js';
import { act, badge, fill, fmtTime, h } from './dom.js';
import { timeInput } from './format.js';
import { authorLabel, keyLabel, product, warehouseList, warehouseName } from './names.js';
import { go, href } from './router.js';
import { sortableHead } from './sorting.js';
import { fmtQty, keyHref } from './stock.js';

// 'ship' is written by an outbound order's shipment only, but it is a document like the others.
const TYPES = ['receipt', 'sale', 'return', 'transfer', 'writeoff', 'count', 'reserve', 'release', 'ship'];
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
    q: h('input', { type: 'search', testid: 'docs-search', placeholder: 'Reference', 'aria-label': 'Search by reference', value: params.get('q') || '' }),
    since: timeInput(document, { value: params.get('since'), testid: 'docs-since', title: 'posted at or after', label: 'Posted since' }),
    until: timeInput(document, { value: params.get('until'), testid: 'docs-until', title: 'posted before', label: 'Posted before' }),
  };
  f.type.value = params.get('type') || '';
  f.warehouse.value = params.get('warehouseId') || '';
  f.cancelled.value = params.get('cancelled') || '';
  const apply = h('button', { type: 'submit', testid: 'docs-apply' }, 'Show');
  const form = h('form', { class: 'filters' }, Object.values(f), apply);
  const dir = params.get('dir') === 'asc' ? 'asc' : 'desc';
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void act(apply, async () =>
      go('documents', {
        type: f.type.value || undefined,
        warehouseId: f.warehouse.value || undefined,
        cancelled: f.cancelled.value || undefined,
        q: f.q.value.trim() || undefined,
        since: f.since.iso(),
        until: f.until.iso(),
        dir: dir === 'asc' ? 'asc' : undefined,
      }),
    );
  });
  const tbody = h('tbody', { testid: 'doc-rows' });
  const more = h('button', { type: 'button', class: 'small', testid: 'docs-more' }, dir === 'asc' ? 'Later documents' : 'Older documents');
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
        h(
          'table',
          { class: 'list cards docs' },
          h(
            'thead',
            {},
            // Documents are numbered as they are posted: the number and the time sort alike.
            sortableHead(
              [{ label: '#', sort: 'id' }, { label: 'Posted', sort: 'posted' }, { label: 'Type' }, { label: 'Warehouse' }, { label: 'Reference' }, { label: 'Lines', num: true }, { label: 'Status' }, { label: 'By' }],
              { sort: 'posted', dir },
              (_col, d) => go('documents', { ...Object.fromEntries(params), dir: d === 'asc' ? 'asc' : undefined }),
            ),
          ),
          tbody,
        ),
      ),
      h('div', { class: 'pager' }, more),
    ),
  );
  const filter = { limit: PAGE };
  for (const k of ['type', 'warehouseId', 'cancelled', 'q', 'since', 'until', 'dir']) filter[k] = params.get(k) || undefined;
  let cursor;
  const load = async () => {
    const page = await api(`/api/v1/documents${query({ ...filter, cursor })}`);
    if (!isCurrent()) return;
    if (!cursor && page.data.length === 0) tbody.append(h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'No documents match.')));
    tbody.append(...page.data.map((d) => docRow(d, whName)));
    cursor = page.nextCursor;
    more.disabled = !cursor;
  };
  more.addEventListener('click', () => act(more, load));
  await load();
}

function docRow(d, whName) {
  const wh = (id) => whName.get(id) || `#${id}`;
  const tr = h(
    'tr',
    { testid: 'doc-row', 'data-id': d.id, class: 'clickable', tabindex: 0 },
    h('td', {}, h('a', { href: href(`documents/${d.id}`) }, `#${d.id}`)),
    h('td', { class: 'nowrap', 'data-label': 'Posted' }, fmtTime(d.createdAt)),
    h('td', { 'data-label': 'Type', testid: 'doc-type' }, d.type),
    h('td', { 'data-label': 'Warehouse' }, wh(d.warehouseId), d.toWarehouseId && ` → ${wh(d.toWarehouseId)}`),
    h('td', { 'data-label': 'Reference', testid: 'doc-reference' }, d.reference || ''),
    h('td', { class: 'num', 'data-label': 'Lines' }, String(d.lines.length)),
    h('td', { 'data-label': 'Status' }, docStatus(d)),
    h('td', { class: 'muted small', 'data-label': 'By' }, authorLabel(d)),
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
                h('td', { class: 'num nowrap' }, fmtQty(l.quantity), products[i].unit && h('span', { class: 'muted small' }, ` ${products[i].unit}`)),
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

/**
 * A chip per endpoint: its newest delivery of the event (status, endpoint, link). A replay sends an
 * event again as a new delivery; the earlier ones are counted on the chip, not shown beside it.
 */
export function deliveryChips(list) {
  if (list.length === 0) return h('span', { class: 'muted small' }, 'no webhook deliveries');
  const byEndpoint = new Map();
  for (const x of [...list].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt))) {
    const seen = byEndpoint.get(x.webhookId);
    if (seen) seen.earlier += 1;
    else byEndpoint.set(x.webhookId, { x, earlier: 0 });
  }
  return h(
    'span',
    { class: 'chips' },
    [...byEndpoint.values()].map(({ x, earlier }) =>
      h(
        'a',
        { href: href(`deliveries/${x.id}`), class: 'chip', testid: 'delivery-link', 'data-id': x.id, 'data-status': x.status, 'data-earlier': earlier, title: earlier ? `${x.url} · the newest of ${earlier + 1} deliveries (replays)` : x.url },
        badge(x.status),
        ' ',
        x.url.replace(/^https?:\/\//, ''),
        earlier > 0 && h('span', { class: 'muted' }, ` ×${earlier + 1}`),
      ),
    ),
  );
}
