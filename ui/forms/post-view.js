// #/post/<kind>: the posting forms (receipt, sale, count, transfer, reservation) for a token that
// may write. A read token is told so instead of being shown a form the API would refuse.
import { api, query } from '../api.js';
import { fill, h } from '../dom.js';
import { href } from '../router.js';
import { documentForm } from './document-form.js';
import { KEY_PARTS, qty } from './fields.js';
import { KIND_NAMES, KINDS } from './kinds.js';

export async function postView(root, kindName, isCurrent) {
  const name = KINDS[kindName] ? kindName : 'receipt';
  const [me, warehouses, products] = await Promise.all([api('/api/v1/tokens/current'), api('/api/v1/warehouses'), api('/api/v1/products')]);
  if (!isCurrent()) return;
  const tabs = h(
    'nav',
    { class: 'post-tabs', 'aria-label': 'Document type' },
    KIND_NAMES.map((k) =>
      h(
        'a',
        {
          href: href(`post/${k}`),
          class: k === name ? 'active' : '',
          testid: `post-tab-${k}`,
          'aria-current': k === name ? 'page' : null,
          // The link to where the page already is changes no hash: it opens a fresh form instead.
          onclick: k === name ? (e) => (e.preventDefault(), void fresh()) : null,
        },
        KINDS[k].title,
      ),
    ),
  );
  const card = h('section', { class: 'card post-view', testid: 'post-view', 'data-kind': name });
  fill(root, card);
  if (me.scope !== 'write') {
    fill(card, h('h2', {}, 'Post a document'), h('p', { class: 'muted', testid: 'post-read-only' }, 'This token may only read. Sign in with a write token to post documents.'));
    return;
  }
  if (warehouses.data.every((w) => !w.active) || products.data.length === 0) {
    fill(card, h('h2', {}, 'Post a document'), tabs, h('p', { class: 'muted', testid: 'post-empty' }, 'Posting needs an active warehouse and a product: create them with the API first.'));
    return;
  }
  let current = null;
  // A fresh form in place of the current one; a filled one is only dropped after asking.
  const fresh = async () => {
    if (!current || (await current.confirmDiscard())) open();
  };
  const open = () => {
    const form = (current = documentForm(name, { warehouses: warehouses.data, products: products.data, onPosted: (doc) => done(doc) }));
    form.discard.addEventListener('click', () => void fresh());
    fill(card, h('div', { class: 'card-head' }, h('h2', {}, `Post a ${KINDS[name].title.toLowerCase()}`)), tabs, h('p', { class: 'muted' }, KINDS[name].lead), form.el);
  };
  // The result replaces the form: a late second click has nothing left to post, and the next
  // document gets a fresh form with a fresh Idempotency-Key.
  const done = (doc) => {
    current = null;
    const levels = h('ul', { class: 'plain small', testid: 'posted-levels' });
    const again = h('button', { type: 'button', testid: 'post-another', onclick: open }, `Post another ${KINDS[name].title.toLowerCase()}`);
    fill(
      card,
      h('div', { class: 'card-head' }, h('h2', {}, `Post a ${KINDS[name].title.toLowerCase()}`)),
      tabs,
      h(
        'div',
        { class: 'posted', testid: 'posted', 'data-id': doc.id },
        h('p', {}, 'Booked: ', h('a', { href: href(`documents/${doc.id}`), testid: 'posted-link' }, `${doc.type} #${doc.id}`), ` with ${doc.lines.length} line${doc.lines.length === 1 ? '' : 's'}.`),
        levels,
        h('div', { class: 'row' }, again, h('a', { href: href('stock', { warehouseId: doc.warehouseId }) }, 'See the stock')),
      ),
    );
    again.focus();
    void showLevels(doc, products.data, warehouses.data, levels);
  };
  open();
}

/** Each line's key as it stands after the post (what the shop checks next), from the stock API. */
async function showLevels(doc, products, warehouses, list) {
  const whName = (id) => (warehouses.find((w) => w.id === id) || { name: `#${id}` }).name;
  const items = [];
  for (const l of doc.lines.slice(0, 20)) {
    const p = products.find((x) => x.id === l.productId);
    const where = doc.type === 'transfer' ? [doc.warehouseId, doc.toWarehouseId] : [doc.warehouseId];
    for (const wh of where) {
      const rows = (await api(`/api/v1/stock${query({ productId: l.productId, warehouseId: wh, limit: 1000 })}`)).data;
      const row = rows.find((r) => KEY_PARTS.every((k) => (r[k] ?? '') === (l[k] ?? '')));
      const key = KEY_PARTS.filter((k) => l[k]).map((k) => `${k} ${l[k]}`).join(' · ');
      const unit = p && p.unit ? ` ${p.unit}` : '';
      items.push(
        h('li', { testid: 'posted-level' }, `${p ? p.title : `#${l.productId}`}${key ? ` (${key})` : ''} at ${whName(wh)}: `, row ? `${qty(row.amount)}${unit} on hand, ${qty(row.free)} free` : 'none'),
      );
    }
  }
  list.replaceChildren(...items);
}
