// The parts of a posting form: a product search, the stock-key fields a product uses, and a
// field wrapper with a place for the API's error about that field.
import { h } from '../dom.js';

/** The parts of a stock key besides warehouse and product, in the API's order. */
export const KEY_PARTS = ['size', 'lot', 'expiry', 'serial', 'location'];
export const PART_LABELS = { size: 'Size', lot: 'Lot', expiry: 'Expiry', serial: 'Serial', location: 'Location' };

let uid = 0;

/**
 * A labelled control with an error line under it. `name` is the API's field path
 * (`lines[0].quantity`, `warehouseId`): errors are matched to fields by it.
 */
export function field(label, control, name, extra = null) {
  const id = `f${++uid}`;
  const input = inputOf(control);
  input.id = id;
  const error = h('span', { class: 'field-error', role: 'alert', testid: 'field-error', 'data-error-for': name, id: `${id}-err` });
  input.setAttribute('aria-describedby', `${id}-err`);
  input.dataset.field = name;
  const el = h('div', { class: 'field', 'data-field': name }, h('label', { for: id }, label), control, extra, error);
  const f = { el, control: input, error };
  // An error is about what was sent: once the field is changed it no longer applies.
  input.addEventListener('input', () => setFieldError(f, ''));
  return f;
}

/** Shows a message under a field (and marks the control invalid), or clears it with ''. */
export function setFieldError(f, message) {
  f.error.textContent = message;
  if (message) f.control.setAttribute('aria-invalid', 'true');
  else f.control.removeAttribute('aria-invalid');
}

/** The input inside a control (text key parts wrap theirs with a datalist, the product search with its list). */
export const inputOf = (control) => (control.tagName === 'SPAN' || control.tagName === 'DIV' ? control.querySelector('input') : control);

const norm = (s) => String(s ?? '').toLowerCase();

/**
 * Searches the account's products (the list `GET /api/v1/products` returns) by title, SKU or code;
 * picking one calls onPick(product), typing again after a pick calls onPick(null).
 */
export function productPicker(products, onPick) {
  const input = h('input', {
    type: 'search',
    class: 'grow',
    placeholder: 'Search title, SKU or code',
    autocomplete: 'off',
    role: 'combobox',
    'aria-autocomplete': 'list',
    'aria-expanded': 'false',
    testid: 'product-search',
  });
  const list = h('ul', { class: 'picks', role: 'listbox', testid: 'product-options', hidden: true });
  const wrap = h('div', { class: 'picker' }, input, list);
  let chosen = null;
  let shown = [];

  const matches = (q) => {
    const words = norm(q).split(/\s+/).filter(Boolean);
    return products.filter((p) => words.every((w) => norm(p.title).includes(w) || norm(p.sku).includes(w) || norm(p.code).includes(w))).slice(0, 8);
  };
  const open = (items) => {
    shown = items;
    list.replaceChildren(
      ...(items.length
        ? items.map((p) =>
            h(
              'li',
              { role: 'option' },
              h('button', { type: 'button', class: 'pick', testid: 'product-option', 'data-id': p.id, onclick: () => pick(p) }, h('span', {}, p.title), h('span', { class: 'muted small' }, [p.sku, p.code].filter(Boolean).join(' · '))),
            ),
          )
        : [h('li', { class: 'muted small none' }, 'No product matches')]),
    );
    list.hidden = false;
    input.setAttribute('aria-expanded', 'true');
  };
  const close = () => {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
  };
  const pick = (p) => {
    chosen = p;
    input.value = p.sku ? `${p.title} · ${p.sku}` : p.title;
    close();
    onPick(p);
  };
  input.addEventListener('input', () => {
    if (chosen) {
      chosen = null;
      onPick(null);
    }
    open(matches(input.value));
  });
  input.addEventListener('focus', () => !chosen && open(matches(input.value)));
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      // Enter picks the first match rather than posting a half-filled form.
      e.preventDefault();
      if (!chosen && shown[0]) pick(shown[0]);
    } else if (e.key === 'Escape') close();
    else if (e.key === 'ArrowDown') {
      e.preventDefault();
      if (list.hidden) open(matches(input.value));
      const first = list.querySelector('button');
      if (first) first.focus();
    }
  });
  // Arrow keys move through the matches; Escape goes back to typing.
  list.addEventListener('keydown', (e) => {
    const buttons = [...list.querySelectorAll('button')];
    const i = buttons.indexOf(/** @type {HTMLButtonElement} */ (document.activeElement));
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const next = e.key === 'ArrowDown' ? i + 1 : i - 1;
      if (next < 0) input.focus();
      else if (buttons[next]) buttons[next].focus();
    } else if (e.key === 'Escape') {
      close();
      input.focus();
    }
  });
  wrap.addEventListener('focusout', (e) => {
    if (!wrap.contains(/** @type {Node|null} */ (e.relatedTarget))) close();
  });
  /** Shows a product as chosen without telling onPick (the caller sets the line up itself). */
  const set = (p) => {
    chosen = p;
    input.value = p.sku ? `${p.title} · ${p.sku}` : p.title;
    close();
  };
  return { el: wrap, input, get product() { return chosen; }, pick, set };
}

/** Which key parts a product uses: size when it declares sizes, the others when its stock has them. */
export function partsInUse(product, rows) {
  const used = new Set();
  if (product.sizes.length > 0) used.add('size');
  for (const r of rows) for (const part of KEY_PARTS) if (r[part] !== null && r[part] !== '') used.add(part);
  return used;
}

/** A control for one key part: sizes as a choice, dates as a date, the rest as text with suggestions. */
export function keyControl(part, product, rows) {
  if (part === 'size') {
    return h(
      'select',
      { testid: 'key-size' },
      h('option', { value: '' }, '— choose a size —'),
      product.sizes.map((s) => h('option', { value: s.value }, s.value)),
    );
  }
  // Text, not a date input: the browser would show its locale's mm/dd/yyyy, the dashboard writes
  // dates as the API does (YYYY-MM-DD), and the API says when one is not a real date.
  if (part === 'expiry') return h('input', { type: 'text', placeholder: 'YYYY-MM-DD', inputmode: 'numeric', maxlength: 10, testid: 'key-expiry' });
  const seen = [...new Set(rows.map((r) => r[part]).filter((v) => v !== null && v !== ''))].sort().slice(0, 200);
  const listId = `dl${++uid}`;
  const input = h('input', { type: 'text', maxlength: part === 'location' || part === 'lot' || part === 'serial' ? 100 : 50, testid: `key-${part}`, list: listId, autocomplete: 'off' });
  return h('span', { class: 'with-list' }, input, h('datalist', { id: listId }, seen.map((v) => h('option', { value: v }))));
}


/** A quantity as the API shows it: at most six decimals, no trailing zeros. */
export const qty = (n) => (Number.isFinite(n) ? String(Math.round(n * 1e6) / 1e6) : '—');

/** "+2", "−3" or "0" for a difference. */
export const signed = (n) => (n > 0 ? `+${qty(n)}` : n < 0 ? `−${qty(-n)}` : '0');
