// Stock: levels per warehouse, product and key (amount, reserved, free), searchable and paged.
import { api, query } from './api.js';
import { fill, h, isoToLocal, localToIso, fmtTime } from './dom.js';
import { keyLabel, rememberProduct, warehouseList } from './names.js';
import { go, href } from './router.js';

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

export async function stockView(root, params, isCurrent) {
  const whs = await warehouseList();
  const f = {
    warehouse: h('select', { testid: 'stock-warehouse', 'aria-label': 'Warehouse' }, h('option', { value: '' }, 'All warehouses'), whs.map((w) => h('option', { value: w.id }, w.name))),
    q: h('input', { type: 'search', testid: 'stock-search', placeholder: 'Title, SKU or code', 'aria-label': 'Search products', value: params.get('q') || '' }),
    state: h(
      'select',
      { testid: 'stock-state', 'aria-label': 'Show' },
      h('option', { value: '' }, 'All keys'),
      h('option', { value: 'inStock' }, 'With stock or reservations'),
      h('option', { value: 'out' }, 'Out of stock (nothing free)'),
      h('option', { value: 'expiring' }, `Expiring within ${SOON_DAYS} days`),
    ),
    at: h('input', { type: 'datetime-local', testid: 'stock-at', title: 'Stock as it was at this moment (from the movement ledger); empty = now' }),
  };
  f.warehouse.value = params.get('warehouseId') || '';
  f.state.value = params.get('state') || '';
  if (params.get('at')) f.at.value = isoToLocal(Date.parse(params.get('at')));
  const apply = h('button', { type: 'submit', testid: 'stock-apply' }, 'Show');
  const form = h('form', { class: 'filters', testid: 'stock-filters' }, f.warehouse, f.q, f.state, h('label', { class: 'muted small' }, 'as of ', f.at), apply);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    go('stock', { warehouseId: f.warehouse.value || undefined, q: f.q.value.trim() || undefined, state: f.state.value || undefined, at: localToIso(f.at.value) });
  });
  const tbody = h('tbody', { testid: 'stock-rows' });
  const status = h('span', { class: 'muted small', testid: 'stock-status' });
  const prev = h('button', { type: 'button', class: 'small', testid: 'stock-prev' }, '← Previous');
  const next = h('button', { type: 'button', class: 'small', testid: 'stock-next' }, 'Next →');
  const pageLabel = h('span', { class: 'muted' });
  const at = params.get('at');
  fill(
    root,
    h(
      'section',
      { class: 'card', testid: 'stock-view' },
      h('div', { class: 'card-head' }, h('h2', {}, at ? `Stock as of ${fmtTime(at)}` : 'Stock'), status),
      form,
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'list stock cards' },
          h('thead', {}, h('tr', {}, ['Product', 'Warehouse', 'Size', 'Lot', 'Expiry', 'Serial', 'Location', 'Amount', 'Reserved', 'Free'].map((c, i) => h('th', { class: i >= 7 ? 'num' : '' }, c)))),
          tbody,
        ),
      ),
      h('div', { class: 'pager' }, prev, pageLabel, next),
    ),
  );

  const base = {
    withProduct: true,
    limit: PAGE,
    warehouseId: params.get('warehouseId') || undefined,
    q: params.get('q') || undefined,
    nonZero: params.get('state') === 'inStock' ? true : undefined,
    outOfStock: params.get('state') === 'out' ? true : undefined,
    expiresBy: params.get('state') === 'expiring' ? plusDays(SOON_DAYS) : undefined,
    at: at || undefined,
  };
  const cursors = [undefined];
  let nextCursor = null;
  const whName = new Map(whs.map((w) => [w.id, w.name]));
  const load = async () => {
    const t = performance.now();
    const page = await api(`/api/v1/stock${query({ ...base, cursor: cursors[cursors.length - 1] })}`);
    if (!isCurrent()) return;
    nextCursor = page.nextCursor;
    prev.disabled = cursors.length === 1;
    next.disabled = !nextCursor;
    fill(pageLabel, `page ${cursors.length}`);
    fill(tbody, page.data.length ? page.data.map((l) => row(l, whName)) : h('tr', {}, h('td', { colspan: 10, class: 'muted' }, 'No stock matches.')));
    const ms = Math.round(performance.now() - t);
    fill(status, `${page.data.length} keys on this page · ${ms} ms`);
    root.querySelector('[data-testid=stock-view]').dataset.loadMs = String(ms);
  };
  prev.addEventListener('click', () => (cursors.pop(), load()));
  next.addEventListener('click', () => (cursors.push(nextCursor), load()));
  await load();
}

function row(l, whName) {
  rememberProduct(l.productId, l.product);
  const out = l.free <= 0;
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
    ),
    h('td', { 'data-label': 'Warehouse' }, whName.get(l.warehouseId) || `#${l.warehouseId}`),
    h('td', { 'data-label': 'Size' }, l.size || ''),
    h('td', { 'data-label': 'Lot' }, l.lot || ''),
    h('td', { class: 'nowrap', 'data-label': 'Expiry' }, l.expiry && [l.expiry, ' ', expiryBadge(l.expiry)]),
    h('td', { 'data-label': 'Serial' }, l.serial || ''),
    h('td', { 'data-label': 'Location' }, l.location || ''),
    h('td', { class: 'num', testid: 'stock-amount', 'data-label': 'Amount' }, fmtQty(l.amount)),
    h('td', { class: 'num', 'data-label': 'Reserved' }, fmtQty(l.reserved)),
    h('td', { class: 'num nowrap', testid: 'stock-free', 'data-label': 'Free' }, out && [h('span', { class: 'badge badge-failed', testid: 'out-badge' }, 'out'), ' '], fmtQty(l.free)),
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
