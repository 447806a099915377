// One line of a posting form: a product, the stock-key parts it uses, a quantity, and what the
// stock API says about that key while it is being typed (free stock; for a count, the difference).
import { api, query } from '../api.js';
import { h } from '../dom.js';
import { field, keyControl, KEY_PARTS, PART_LABELS, partsInUse, productPicker, qty, setFieldError, signed } from './fields.js';

/** A stock row's part, or '' for an absent one (the API shows absent parts as null). */
const part = (row, p) => row[p] ?? '';

export class Line {
  /**
   * @param kind the form's kind (kinds.js)
   * @param products the account's products
   * @param warehouse () => the warehouse id the line takes from (or counts in), or NaN
   * @param onRemove called by the line's remove button
   */
  constructor(kind, products, warehouse, onRemove, onCountAll = null) {
    this.kind = kind;
    this.warehouse = warehouse;
    this.seq = 0;
    this.fields = {};
    this.rows = [];
    this.picker = productPicker(products, (p) => void this.choose(p));
    this.fields.productId = field('Product', this.picker.el, 'productId');
    this.keys = h('div', { class: 'keys' });
    this.more = h('button', { type: 'button', class: 'small ghost', testid: 'more-keys', hidden: true }, '+ lot, expiry, serial, location');
    this.more.addEventListener('click', () => this.showAllKeys());
    const amount = h('input', { type: 'number', step: 'any', min: 0, inputmode: 'decimal', testid: 'line-quantity', class: 'qty' });
    this.fields.quantity = field(kind.qtyLabel, amount, 'quantity');
    amount.addEventListener('input', () => this.render());
    this.info = h('div', { class: 'line-stock muted small', testid: 'line-stock', 'aria-live': 'polite' });
    this.diff = h('strong', { class: 'line-diff', testid: 'line-diff', hidden: true });
    // A stock take counts every key of a product: one click makes a line per key held here.
    this.countAll = h('button', { type: 'button', class: 'small', testid: 'count-all-keys', hidden: true });
    this.countAll.addEventListener('click', () => onCountAll && onCountAll(this, this.product, this.here));
    this.remove = h('button', { type: 'button', class: 'small ghost', testid: 'line-remove', title: 'Remove this line', onclick: onRemove }, 'Remove');
    this.lineError = h('span', { class: 'field-error', role: 'alert', testid: 'field-error' });
    this.el = h(
      'fieldset',
      { class: 'line', testid: 'line' },
      h('legend', {}, 'Line'),
      h('div', { class: 'line-grid' }, this.fields.productId.el, this.fields.quantity.el),
      this.keys,
      this.more,
      h('div', { class: 'line-foot' }, this.info, this.diff, h('span', { class: 'spacer' }), this.countAll, this.remove),
      this.lineError,
    );
    this.setIndex(0);
  }

  /** Field names follow the API's paths (`lines[2].quantity`) so an error finds its field. */
  setIndex(i) {
    this.index = i;
    setLegend(this.el, `Line ${i + 1}`);
    this.lineError.dataset.errorFor = `lines[${i}]`;
    for (const [name, f] of Object.entries(this.fields)) {
      const path = `lines[${i}].${name}`;
      f.el.dataset.field = path;
      f.error.dataset.errorFor = path;
      f.control.dataset.field = path;
    }
  }

  get product() {
    return this.picker.product;
  }

  async choose(p) {
    const mine = ++this.seq;
    for (const name of KEY_PARTS) delete this.fields[name];
    this.keys.replaceChildren();
    this.more.hidden = true;
    this.rows = [];
    if (!p) return this.render();
    // Every key the product has anywhere: which parts it uses, and the values to suggest.
    const rows = (await api(`/api/v1/stock${query({ productId: p.id, limit: 1000 })}`)).data;
    if (mine !== this.seq) return;
    this.rows = rows;
    const used = partsInUse(p, rows);
    for (const name of KEY_PARTS) {
      // A product without sizes keeps its stock without one: the API refuses any size for it.
      if (name === 'size' && p.sizes.length === 0) continue;
      const f = field(PART_LABELS[name], keyControl(name, p, rows), name);
      f.el.hidden = !used.has(name);
      f.control.addEventListener('input', () => void this.refresh());
      this.fields[name] = f;
      this.keys.append(f.el);
    }
    const unused = KEY_PARTS.filter((name) => this.fields[name] && this.fields[name].el.hidden);
    this.more.textContent = `+ ${unused.join(', ')}`;
    this.more.hidden = unused.length === 0;
    this.setIndex(this.index);
    await this.refresh();
  }

  /** Sets the line to a product and a key (for "count every key"), then reads its level. */
  async preset(p, parts) {
    this.picker.set(p);
    await this.choose(p);
    for (const name of KEY_PARTS) {
      const v = parts[name] ?? '';
      if (this.fields[name] && v !== '') {
        this.fields[name].control.value = v;
        this.fields[name].el.hidden = false;
      }
    }
    await this.refresh();
  }

  showAllKeys() {
    for (const name of KEY_PARTS) if (this.fields[name]) this.fields[name].el.hidden = false;
    this.more.hidden = true;
  }

  /** The key parts as typed; absent parts are ''. */
  keyParts() {
    const out = {};
    for (const name of KEY_PARTS) out[name] = this.fields[name] ? this.fields[name].control.value.trim() : '';
    return out;
  }

  /** Whether a stock key (from an error's details) is this line's. */
  matches(key) {
    const mine = this.keyParts();
    return this.product !== null && key.productId === this.product.id && KEY_PARTS.every((name) => part(key, name) === mine[name]);
  }

  /** The line as the API takes it: parts left empty are left out, the quantity as typed. */
  value() {
    const line = { productId: this.product ? this.product.id : undefined };
    for (const [name, v] of Object.entries(this.keyParts())) if (v !== '') line[name] = v;
    const raw = this.fields.quantity.control.value;
    // '' (empty, or not a number) is left out: the API names the missing quantity.
    if (raw !== '') line.quantity = Number(raw);
    return line;
  }

  /** Reads the level at the chosen key again (the warehouse or a key part changed). */
  async refresh() {
    const mine = ++this.seq;
    const p = this.product;
    const wh = this.warehouse();
    this.level = undefined;
    this.here = [];
    if (!p || !Number.isInteger(wh)) return this.render();
    setText(this.info, 'Reading the stock…');
    const rows = (await api(`/api/v1/stock${query({ productId: p.id, warehouseId: wh, limit: 1000 })}`)).data;
    if (mine !== this.seq) return;
    this.here = rows.filter((r) => r.amount !== 0 || r.reserved !== 0);
    const key = this.keyParts();
    const row = rows.find((r) => KEY_PARTS.every((name) => part(r, name) === key[name]));
    this.level = row ? { amount: row.amount, reserved: row.reserved, free: row.free } : { amount: 0, reserved: 0, free: 0 };
    this.render();
  }

  /** The stock line under the fields: free (or reserved) at the key, and a count's difference. */
  render() {
    const p = this.product;
    this.diff.hidden = true;
    this.countAll.hidden = true;
    this.info.classList.remove('warn');
    if (!p) return setText(this.info, 'Choose a product to see its stock.');
    // Offered while no key part is typed yet: a line with a key counts that key.
    if (this.kind.show() === 'diff' && this.here && this.here.length > 1 && Object.values(this.keyParts()).every((v) => v === '')) {
      this.countAll.hidden = false;
      this.countAll.textContent = `Count all ${this.here.length} keys here`;
    }
    if (this.fields.size && !this.fields.size.control.value) return setText(this.info, 'Choose a size to see its stock.');
    if (!this.level) return setText(this.info, 'Choose a warehouse to see its stock.');
    const unit = p.unit ? ` ${p.unit}` : '';
    const { amount, reserved, free } = this.level;
    const raw = this.fields.quantity.control.value;
    const n = raw === '' ? NaN : Number(raw);
    const show = this.kind.show();
    this.info.dataset.free = String(free);
    this.info.dataset.amount = String(amount);
    if (show === 'diff') {
      setText(this.info, `On hand now: ${qty(amount)}${unit}${reserved ? ` (${qty(reserved)} reserved)` : ''}`);
      if (Number.isFinite(n)) {
        this.diff.hidden = false;
        const d = Math.round((n - amount) * 1e6) / 1e6;
        this.diff.textContent = `Difference: ${signed(d)}${unit}`;
        this.diff.dataset.value = String(d);
        this.diff.className = `line-diff ${d < 0 ? 'neg' : d > 0 ? 'pos' : ''}`;
      }
      return;
    }
    if (show === 'reserved') {
      setText(this.info, `Reserved here: ${qty(reserved)}${unit} · on hand ${qty(amount)}`);
      if (Number.isFinite(n) && n > reserved) this.flag(`more than is reserved (${qty(reserved)})`);
      return;
    }
    setText(this.info, `Free here: ${qty(free)}${unit} · on hand ${qty(amount)}${reserved ? ` · reserved ${qty(reserved)}` : ''}`);
    if (show === 'free' && Number.isFinite(n) && n > free) this.flag(`more than is free (${qty(free)})`);
  }

  flag(text) {
    this.info.classList.add('warn');
    this.info.append(` — ${text}`);
  }

  clearErrors() {
    for (const f of Object.values(this.fields)) setFieldError(f, '');
    this.lineError.textContent = '';
  }

  /** Shows an error at the named part ('quantity', 'size', ..., or '' for the whole line). */
  showError(name, message) {
    if (!name) {
      this.lineError.textContent = message;
      return true;
    }
    const f = this.fields[name];
    if (!f) return false;
    f.el.hidden = false;
    setFieldError(f, message);
    return true;
  }
}

function setText(el, text) {
  el.textContent = text;
}

function setLegend(fieldset, text) {
  fieldset.querySelector('legend').textContent = text;
}
