// History of a product or one stock key: current level, level-over-time chart, movements table.
import { api, query } from './api.js';
import { act, fill, fmtTime, h } from './dom.js';
import { download } from './download.js';
import { drawLevelChart, levelSeries } from './level-chart.js';
import { authorLabel, keyLabel, product, warehouseName } from './names.js';
import { go, href } from './router.js';
import { expiryBadge, fmtQty } from './stock.js';

const PARTS = ['size', 'lot', 'expiry', 'serial', 'location'];
const CHART_MOVEMENTS = 500;

export async function historyView(root, params, isCurrent) {
  const productId = Number(params.get('productId'));
  if (!Number.isInteger(productId) || productId < 1) {
    fill(root, h('section', { class: 'card' }, h('h2', {}, 'History'), h('p', { class: 'muted' }, 'Pick a product in the Stock view.')));
    return;
  }
  const scope = { productId, warehouseId: params.get('warehouseId') || undefined };
  for (const p of PARTS) if (params.has(p)) scope[p] = params.get(p);
  const isKey = PARTS.every((p) => params.has(p)) && scope.warehouseId;
  const [prod, levelsNow, first] = await Promise.all([
    product(productId),
    api(`/api/v1/stock${query({ productId, warehouseId: scope.warehouseId })}`),
    api(`/api/v1/movements${query({ ...scope, limit: CHART_MOVEMENTS })}`),
  ]);
  if (!isCurrent()) return;
  const inScope = levelsNow.data.filter((l) => PARTS.every((p) => !(p in scope) || (l[p] ?? '') === scope[p]));
  const total = inScope.reduce((a, l) => ({ amount: a.amount + l.amount, reserved: a.reserved + l.reserved, free: a.free + l.free }), { amount: 0, reserved: 0, free: 0 });
  const scopeLabel = isKey
    ? keyLabel({ ...Object.fromEntries(PARTS.map((p) => [p, scope[p]])) }, await warehouseName(Number(scope.warehouseId)))
    : scope.warehouseId
      ? await warehouseName(Number(scope.warehouseId))
      : `all warehouses · ${inScope.length} stock keys`;

  const chart = h('figure', { testid: 'history-chart' });
  const tbody = h('tbody', { testid: 'movement-rows' });
  const older = h('button', { type: 'button', class: 'small', testid: 'movements-older' }, 'Older movements');
  const exportButton = h('button', { type: 'button', class: 'ghost', testid: 'movements-export', title: 'Every movement in this scope, as CSV' }, 'Export CSV');
  exportButton.addEventListener('click', () => act(exportButton, () => download(`/api/v1/movements/export${query(scope)}`, `movements-${prod.sku || productId}.csv`)));
  const expiry = isKey && scope.expiry ? expiryBadge(scope.expiry) : null;
  fill(
    root,
    h(
      'section',
      { class: 'card', testid: 'history-view', 'data-product-id': productId },
      h('div', { class: 'card-head' }, h('h2', { testid: 'history-title' }, prod.title), h('span', { class: 'muted' }, [prod.sku, prod.code].filter(Boolean).join(' · ')), h('span', { class: 'spacer' }), h('a', { href: href('stock', { q: prod.sku || prod.title }) }, '← Stock')),
      h('p', { class: 'muted', testid: 'history-scope' }, isKey ? 'Stock key: ' : 'Scope: ', scopeLabel, ' ', expiry, isKey && [' · ', h('a', { href: href('history', { productId }), testid: 'history-product-link' }, 'whole product')]),
      h(
        'div',
        { class: 'levels' },
        h('div', { class: 'level' }, h('span', { class: 'muted small' }, 'Amount'), h('strong', { testid: 'level-amount' }, fmtQty(total.amount)), h('span', { class: 'muted small' }, prod.unit)),
        h('div', { class: 'level' }, h('span', { class: 'muted small' }, 'Reserved'), h('strong', { testid: 'level-reserved' }, fmtQty(total.reserved)), h('span', { class: 'muted small' }, prod.unit)),
        h('div', { class: `level${total.free <= 0 ? ' out' : ''}` }, h('span', { class: 'muted small' }, 'Free'), h('strong', { testid: 'level-free' }, fmtQty(total.free)), h('span', { class: 'muted small' }, prod.unit)),
      ),
      h('h3', {}, `Level over time (last ${CHART_MOVEMENTS} movements at most)`),
      chart,
      h('div', { class: 'card-head sub' }, h('h3', {}, 'Movements'), h('span', { class: 'spacer' }), exportButton),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'list cards' },
          h('thead', {}, h('tr', {}, ['When', 'Document', 'Warehouse · key', 'Δ amount', 'Δ reserved', 'Amount after', 'Free after', 'By'].map((c, i) => h('th', { class: i >= 3 && i <= 6 ? 'num' : '' }, c)))),
          tbody,
        ),
      ),
      h('div', { class: 'pager' }, older),
    ),
  );
  drawLevelChart(chart, levelSeries(first.data), { onPoint: (p) => go(`documents/${p.documentId}`) });
  const names = new Map();
  const addRows = async (rows) => {
    for (const m of rows) if (!names.has(m.warehouseId)) names.set(m.warehouseId, await warehouseName(m.warehouseId));
    if (!isCurrent()) return;
    tbody.append(...rows.map((m) => movementRow(m, names.get(m.warehouseId))));
  };
  if (first.data.length === 0) tbody.append(h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'No movements yet.')));
  await addRows(first.data);
  let cursor = first.nextCursor;
  older.disabled = !cursor;
  older.addEventListener('click', () =>
    act(older, async () => {
      const page = await api(`/api/v1/movements${query({ ...scope, limit: 100, cursor })}`);
      await addRows(page.data);
      cursor = page.nextCursor;
    }).then(() => (older.disabled = !cursor)),
  );
}

function movementRow(m, whName) {
  const d = m.document;
  const signed = (n) => (n > 0 ? `+${fmtQty(n)}` : n < 0 ? `−${fmtQty(-n)}` : '0');
  return h(
    'tr',
    { testid: 'movement-row', 'data-document-id': d.id, 'data-movement-id': m.id },
    h('td', { class: 'nowrap', testid: 'movement-time' }, fmtTime(m.createdAt)),
    h(
      'td',
      { class: 'nowrap', 'data-label': 'Document' },
      h('a', { href: href(`documents/${d.id}`), testid: 'movement-document' }, `#${d.id} ${d.type}`),
      d.reversesDocumentId && h('span', { class: 'tag' }, `cancels #${d.reversesDocumentId}`),
      d.reference && h('div', { class: 'muted small' }, d.reference),
    ),
    h('td', { 'data-label': 'Warehouse · key' }, keyLabel(m, whName)),
    h('td', { class: `num ${m.amountDelta < 0 ? 'neg' : m.amountDelta > 0 ? 'pos' : ''}`, 'data-label': 'Δ amount' }, signed(m.amountDelta)),
    h('td', { class: 'num', 'data-label': 'Δ reserved' }, m.reservedDelta ? signed(m.reservedDelta) : ''),
    h('td', { class: 'num', testid: 'movement-amount', 'data-label': 'Amount after' }, fmtQty(m.amount)),
    h('td', { class: 'num', 'data-label': 'Free after' }, fmtQty(m.free)),
    h('td', { class: 'muted small', 'data-label': 'By' }, authorLabel(d)),
  );
}
