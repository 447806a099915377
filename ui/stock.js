// Stock: levels per warehouse, product and key (amount, reserved, free), searchable, sortable and
// paged, with totals over every matching key and a CSV export of them.
import { api, query } from './api.js';
import { act, fill, h } from './dom.js';
import { download } from './download.js';
import { fmtTime, timeInput } from './format.js';
import { keyLabel, rememberProduct, warehouseList } from './names.js';
import { go, href } from './router.js';
import { sortableHead } from './sorting.js';

const PAGE = 50;
const SOON_DAYS = 30;
const DAY = 86400_000;

const today = () => new Date().toISOString().slice(0, 10);
const plusDays = (n) => new Date(Date.now() + n * DAY).toISOString().slice(0, 10);

/** The expiry's badge: expired, or expiring within SOON_DAYS; nothing otherwise. */
export function expiryBadge(expiry) {
  if (!expiry) return null;
  if (expiry < today()) return h('span', { class: 'badge badge-failed', testid: 'expiry-badge', 'data-kind': 'expired' }, 'expired');
  const days = Math.round((Date.parse(expiry) - Date.parse(today())) / DAY);
  if (days <= SOON_DAYS) return h('span', { class: 'badge badge-pending', testid: 'expiry-badge', 'data-kind': 'soon' }, days === 0 ? 'expires today' : `in ${days} d`);
  return null;
}

/** The history route of a stock key: every part named ('' = the key has none). */
export function keyHref(l) {
  return href('history', { productId: l.productId, warehouseId: l.warehouseId, size: l.size ?? '', lot: l.lot ?? '', expiry: l.expiry ?? '', serial: l.serial ?? '', location: l.location ?? '' });
}

const COLUMNS = [
  { label: 'Product', sort: 'title' },
  { label: 'Warehouse' },
  { label: 'Size' },
  { label: 'Lot' },
  { label: 'Expiry', sort: 'expiry' },
  { label: 'Serial' },
  { label: 'Location' },
  { label: 'Amount', sort: 'amount', num: true },
  { label: 'Reserved', sort: 'reserved', num: true },
  { label: 'Free', sort: 'free', num: true },
  { label: 'Unit' },
];

/** The route's filters as API query values (the list, its totals and the export take the same). */
function filtersOf(params) {
  const state = params.get('state') || '';
  // Zero-stock keys (nothing held, nothing reserved) are hidden unless asked for; "out of stock"
  // is about them too, so it shows them.
  const zero = params.get('zero') === '1' || state === 'out';
  return {
    warehouseId: params.get('warehouseId') || undefined,
    q: params.get('q') || undefined,
    nonZero: zero ? undefined : true,
    outOfStock: state === 'out' ? true : undefined,
    expiresBy: state === 'expiring' ? plusDays(SOON_DAYS) : undefined,
    at: params.get('at') || undefined,
    sort: params.get('sort') || undefined,
    dir: params.get('dir') || undefined,
  };
}

export async function stockView(root, params, isCurrent) {
  const whs = await warehouseList();
  const routeOf = (over = {}) => {
    const keep = {};
    for (const k of ['warehouseId', 'q', 'state', 'at', 'zero', 'sort', 'dir']) keep[k] = params.get(k) || undefined;
    return { ...keep, ...over };
  };
  const f = {
    warehouse: h('select', { testid: 'stock-warehouse', 'aria-label': 'Warehouse' }, h('option', { value: '' }, 'All warehouses'), whs.map((w) => h('option', { value: w.id }, w.name))),
    q: h('input', { type: 'search', testid: 'stock-search', placeholder: 'Title, SKU or code', 'aria-label': 'Search products', value: params.get('q') || '' }),
    state: h(
      'select',
      { testid: 'stock-state', 'aria-label': 'Show' },
      h('option', { value: '' }, 'All keys'),
      h('option', { value: 'out' }, 'Out of stock (nothing free)'),
      h('option', { value: 'expiring' }, `Expiring within ${SOON_DAYS} days`),
    ),
    at: timeInput(document, { value: params.get('at'), testid: 'stock-at', title: 'Stock as it was at this moment (from the movement ledger); empty = now', label: 'As of' }),
    zero: h('input', { type: 'checkbox', testid: 'stock-zero', checked: params.get('zero') === '1' }),
  };
  f.warehouse.value = params.get('warehouseId') || '';
  f.state.value = ['out', 'expiring'].includes(params.get('state')) ? params.get('state') : '';
  const apply = h('button', { type: 'submit', testid: 'stock-apply' }, 'Show');
  const exportButton = h('button', { type: 'button', class: 'ghost', testid: 'stock-export', title: 'Every key matching these filters, as CSV' }, 'Export CSV');
  const form = h(
    'form',
    { class: 'filters', testid: 'stock-filters' },
    f.warehouse,
    f.q,
    f.state,
    h('label', { class: 'inline muted small' }, 'as of ', f.at),
    h('label', { class: 'inline small', title: 'Keys that hold and reserve nothing' }, f.zero, 'zero stock'),
    apply,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void act(apply, async () =>
      go('stock', routeOf({ warehouseId: f.warehouse.value || undefined, q: f.q.value.trim() || undefined, state: f.state.value || undefined, at: f.at.iso(), zero: f.zero.checked ? '1' : undefined })),
    );
  });
  // The toggle applies at once, with whatever else was typed in the form.
  f.zero.addEventListener('change', () => form.requestSubmit(apply));
  const filters = filtersOf(params);
  const current = { sort: filters.sort || null, dir: filters.dir || 'asc' };
  const tbody = h('tbody', { testid: 'stock-rows' });
  const status = h('span', { class: 'muted small', testid: 'stock-status' });
  const totalsBox = h('div', { class: 'totals', testid: 'stock-totals' }, h('span', { class: 'muted small' }, 'totals…'));
  const prev = h('button', { type: 'button', class: 'small', testid: 'stock-prev' }, '← Previous');
  const next = h('button', { type: 'button', class: 'small', testid: 'stock-next' }, 'Next →');
  const pageLabel = h('span', { class: 'muted' });
  const at = params.get('at');
  fill(
    root,
    h(
      'section',
      { class: 'card', testid: 'stock-view' },
      h('div', { class: 'card-head' }, h('h2', {}, at ? `Stock as of ${fmtTime(at)}` : 'Stock'), status, h('span', { class: 'spacer' }), exportButton),
      form,
      totalsBox,
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'list stock cards' },
          h('thead', {}, sortableHead(COLUMNS, current, (sort, dir) => go('stock', routeOf({ sort, dir })))),
          tbody,
        ),
      ),
      h('div', { class: 'pager' }, prev, pageLabel, next),
    ),
  );
  exportButton.addEventListener('click', () => act(exportButton, () => download(`/api/v1/stock/export${query(filters)}`, `stock${at ? `-${at.slice(0, 16).replace(/[:T]/g, '')}` : ''}.csv`)));

  const cursors = [undefined];
  let nextCursor = null;
  const whName = new Map(whs.map((w) => [w.id, w.name]));
  let productTotals = new Map();
  // After the first page: the page is what a person waits for; the totals read every matching key.
  const totals = () => api(`/api/v1/stock/totals${query(filters)}`).then((t) => {
    if (!isCurrent()) return;
    productTotals = new Map(t.products.map((p) => [p.productId, p]));
    fill(totalsBox, totalsView(t, whName));
    for (const cell of tbody.querySelectorAll('[data-testid=stock-product-total]')) paintProductTotal(cell, productTotals);
  });
  const load = async () => {
    const t = performance.now();
    const page = await api(`/api/v1/stock${query({ ...filters, withProduct: true, limit: PAGE, cursor: cursors[cursors.length - 1] })}`);
    if (!isCurrent()) return;
    nextCursor = page.nextCursor;
    prev.disabled = cursors.length === 1;
    next.disabled = !nextCursor;
    fill(pageLabel, `page ${cursors.length}`);
    fill(tbody, page.data.length ? page.data.map((l) => row(l, whName, productTotals)) : h('tr', {}, h('td', { colspan: COLUMNS.length, class: 'muted' }, 'No stock matches.')));
    const ms = Math.round(performance.now() - t);
    fill(status, `${page.data.length} keys on this page · ${ms} ms`);
    root.querySelector('[data-testid=stock-view]').dataset.loadMs = String(ms);
  };
  prev.addEventListener('click', () => act(prev, () => (cursors.pop(), load())));
  next.addEventListener('click', () => act(next, () => (cursors.push(nextCursor), load())));
  await load();
  await totals();
}

function totalsView(t, whName) {
  const q = (x) => `${fmtQty(x.amount)} held · ${fmtQty(x.reserved)} reserved · ${fmtQty(x.free)} free`;
  return [
    h('div', { testid: 'stock-total-all', 'data-amount': t.all.amount, 'data-free': t.all.free }, h('strong', {}, 'Total '), `${t.all.keys} keys · ${q(t.all)}`),
    t.warehouses.map((w) =>
      h('div', { class: 'small', testid: 'stock-total-warehouse', 'data-warehouse-id': w.warehouseId, 'data-amount': w.amount, 'data-free': w.free }, h('strong', {}, whName.get(w.warehouseId) || `#${w.warehouseId}`), ` ${w.keys} keys · ${q(w)}`),
    ),
    !t.productsComplete && h('div', { class: 'muted small' }, 'Totals per product for the first 1,000 products only.'),
  ];
}

function paintProductTotal(cell, productTotals) {
  const p = productTotals.get(Number(cell.dataset.productId));
  // A product in one key needs no total: its row is the total.
  fill(cell, p && p.keys > 1 ? `all ${p.keys} keys: ${fmtQty(p.amount)} held, ${fmtQty(p.free)} free` : '');
  if (p) cell.dataset.amount = String(p.amount);
}

function row(l, whName, productTotals) {
  rememberProduct(l.productId, l.product);
  const out = l.free <= 0;
  const total = h('div', { class: 'muted small', testid: 'stock-product-total', 'data-product-id': l.productId });
  paintProductTotal(total, productTotals);
  const tr = h(
    'tr',
    {
      testid: 'stock-row',
      class: `clickable${out ? ' out' : ''}`,
      tabindex: 0,
      'data-product-id': l.productId,
      'data-warehouse-id': l.warehouseId,
      title: `History of ${l.product.title} · ${keyLabel(l, whName.get(l.warehouseId))}`,
    },
    h(
      'td',
      {},
      h('a', { href: href('history', { productId: l.productId }), testid: 'stock-product', title: `History of ${l.product.title} in every warehouse` }, l.product.title),
      h('div', { class: 'muted small' }, [l.product.sku, l.product.code].filter(Boolean).join(' · ')),
      total,
    ),
    h('td', { 'data-label': 'Warehouse' }, whName.get(l.warehouseId) || `#${l.warehouseId}`),
    h('td', { 'data-label': 'Size' }, l.size || ''),
    h('td', { 'data-label': 'Lot' }, l.lot || ''),
    h('td', { class: 'nowrap', 'data-label': 'Expiry' }, l.expiry && [l.expiry, ' ', expiryBadge(l.expiry)]),
    h('td', { 'data-label': 'Serial' }, l.serial || ''),
    h('td', { 'data-label': 'Location' }, l.location || ''),
    h('td', { class: 'num', testid: 'stock-amount', 'data-label': 'Amount', 'data-unit': l.product.unit || '' }, fmtQty(l.amount)),
    h('td', { class: 'num', 'data-label': 'Reserved', 'data-unit': l.product.unit || '' }, fmtQty(l.reserved)),
    h('td', { class: 'num nowrap', testid: 'stock-free', 'data-label': 'Free', 'data-unit': l.product.unit || '' }, out && [h('span', { class: 'badge badge-failed', testid: 'out-badge' }, 'out'), ' '], fmtQty(l.free)),
    h('td', { class: 'muted', testid: 'stock-unit', 'data-label': 'Unit' }, l.product.unit || ''),
  );
  const open = (e) => {
    if (e.target.closest('a')) return;
    location.hash = keyHref(l);
  };
  tr.addEventListener('click', open);
  tr.addEventListener('keydown', (e) => e.key === 'Enter' && open(e));
  return tr;
}

export const fmtQty = (n) => (Number.isInteger(n) ? String(n) : String(Math.round(n * 1000) / 1000));
