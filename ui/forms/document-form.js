// A posting form for one kind of document (kinds.js): warehouse, lines, post. Every check is the
// API's: the form sends what was typed and shows the API's error beside the field it names.
import { api } from '../api.js';
import { h } from '../dom.js';
import { href } from '../router.js';
import { confirmAction } from './confirm.js';
import { field, setFieldError } from './fields.js';
import { KINDS } from './kinds.js';
import { Line } from './line.js';

/**
 * An Idempotency-Key for one form: made when the form opens, sent with every post of it, so a
 * double click or a post repeated after a lost answer books once (docs/api/idempotency.md).
 * crypto.randomUUID exists only in secure contexts; a dashboard served over plain HTTP on a LAN
 * address still has getRandomValues.
 */
export function newIdempotencyKey() {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((n) => n.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

const bare = (message) => String(message).replace(/\s\([A-Z_]+\)$/, '');

/**
 * The form for `kindName`. onPosted(document) is called once the API has booked it.
 * @returns {{ el: HTMLElement, key: string }}
 */
export function documentForm(kindName, { warehouses, products, onPosted }) {
  const base = KINDS[kindName];
  const key = newIdempotencyKey();
  const active = warehouses.filter((w) => w.active);
  const whSelect = (testid) =>
    h('select', { testid }, h('option', { value: '' }, '— choose a warehouse —'), active.map((w) => h('option', { value: w.id }, w.code ? `${w.name} (${w.code})` : w.name)));
  const fields = {};
  // The action first (reserve or release): it decides what the line shows about the stock.
  if (base.types.length > 1) {
    fields.type = field('Action', h('select', { testid: 'doc-type' }, base.types.map((t) => h('option', { value: t.type }, t.label))), 'type');
  }
  fields.warehouseId = field(base.toWarehouse ? 'From warehouse' : 'Warehouse', whSelect('doc-warehouse'), 'warehouseId');
  if (active.length === 1) fields.warehouseId.control.value = String(active[0].id);
  if (base.toWarehouse) fields.toWarehouseId = field('To warehouse', whSelect('doc-to-warehouse'), 'toWarehouseId');
  fields.reference = field('Reference', h('input', { type: 'text', maxlength: 200, placeholder: 'optional: order, invoice, note', testid: 'doc-reference' }), 'reference');
  const type = () => (fields.type ? fields.type.control.value : base.types[0].type);
  const kind = { ...base, show: () => (type() === 'release' ? 'reserved' : base.show()) };

  const warehouseId = () => Number.parseInt(fields.warehouseId.control.value, 10);
  const lines = [];
  const linesBox = h('div', { class: 'lines', testid: 'lines' });
  const removeLine = (line) => {
    lines.splice(lines.indexOf(line), 1);
    line.el.remove();
    lines.forEach((l, i) => l.setIndex(i));
    syncRemove();
  };
  // A count's line offers every key of its product held here as lines of their own, in its place.
  const countAll = async (line, product, rows) => {
    const before = line.el;
    for (const row of rows) {
      const l = addLine();
      linesBox.insertBefore(l.el, before);
      await l.preset(product, row);
    }
    removeLine(line);
    lines.sort((x, y) => (x.el.compareDocumentPosition(y.el) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1));
    lines.forEach((l, i) => l.setIndex(i));
  };
  const addLine = () => {
    const line = new Line(kind, products, warehouseId, () => lines.length > 1 && removeLine(line), countAll);
    line.setIndex(lines.length);
    lines.push(line);
    linesBox.append(line.el);
    syncRemove();
    return line;
  };
  const syncRemove = () => lines.forEach((l) => (l.remove.hidden = lines.length === 1));
  addLine();
  fields.warehouseId.control.addEventListener('change', () => lines.forEach((l) => void l.refresh()));
  if (fields.type) fields.type.control.addEventListener('change', () => (label(), lines.forEach((l) => l.render())));

  const formError = h('p', { class: 'error form-error', role: 'alert', testid: 'form-error' });
  const submit = h('button', { type: 'submit', testid: 'post-submit' });
  const label = () => {
    const t = base.types.find((x) => x.type === type());
    submit.textContent = base.types.length > 1 ? `Post: ${t.label.toLowerCase()}` : `Post ${base.title.toLowerCase()}`;
  };
  label();
  const more = h('button', { type: 'button', class: 'ghost', testid: 'add-line', onclick: () => addLine().picker.input.focus() }, '+ Add line');
  const discard = h('button', { type: 'button', class: 'ghost', testid: 'form-discard' }, 'Discard');
  const form = h(
    'form',
    { class: 'post-form', testid: 'post-form', 'data-kind': kindName, 'data-idempotency-key': key, novalidate: true, autocomplete: 'off' },
    h('div', { class: 'head-fields' }, Object.values(fields).map((f) => f.el)),
    linesBox,
    more,
    formError,
    h('div', { class: 'row end' }, discard, submit),
  );

  const clearErrors = () => {
    formError.textContent = '';
    for (const f of Object.values(fields)) setFieldError(f, '');
    lines.forEach((l) => l.clearErrors());
  };

  /** Puts a message at the API's field path (`lines[0].size`, `toWarehouseId`); false when no such field shows. */
  const place = (path, message) => {
    const m = /^lines\[(\d+)\](?:\.(\w+))?$/.exec(path);
    if (m) {
      const line = lines[Number(m[1])];
      return line ? line.showError(m[2] ?? '', message) : false;
    }
    const f = fields[path];
    if (!f) return false;
    setFieldError(f, message);
    return true;
  };

  const labelOf = (path) => {
    const el = form.querySelector(`.field[data-field="${CSS.escape(path)}"] > label`);
    return el ? el.textContent : path;
  };

  /** The API's error at the fields it names; what names no field shows above the Post button. */
  const showError = (err, body) => {
    const d = err && err.details;
    let placed = false;
    if (d && Array.isArray(d.fields)) {
      for (const f of d.fields) {
        const path = String(f.field).replace(/^body\./, '');
        placed = place(path, `${labelOf(path)} ${String(f.message).startsWith('must have required') ? 'is required' : f.message}`) || placed;
      }
    } else if (d && typeof d.field === 'string') {
      const rest = bare(err.message).replace(d.field, '').trim();
      const message = err.code === 'UNKNOWN_SIZE' && Array.isArray(d.sizes) ? `Choose one of its sizes: ${d.sizes.join(', ')}` : `${labelOf(d.field)} ${rest}`;
      placed = place(d.field, message);
    } else if (d && d.key && typeof d.key === 'object') {
      const i = lines.findIndex((l) => l.matches(d.key));
      const left = err.code === 'INSUFFICIENT_RESERVED' ? 'Not that much is reserved at this key' : 'Not enough free stock at this key';
      const at = i >= 0 && lines[i].level ? (err.code === 'INSUFFICIENT_RESERVED' ? ` (${lines[i].level.reserved} reserved)` : ` (${lines[i].level.free} free)`) : '';
      // A transfer that reaches the other warehouse is still about the line's quantity.
      placed = i >= 0 && place(`lines[${i}].quantity`, `${left}${at}`);
    } else if (d && d.object === 'product') {
      const i = body.lines.findIndex((l) => l.productId === d.id);
      placed = i >= 0 && place(`lines[${i}].productId`, bare(err.message));
    } else if (d && d.object === 'warehouse') {
      placed = place(body.toWarehouseId === d.id ? 'toWarehouseId' : 'warehouseId', bare(err.message));
    }
    formError.textContent = placed ? 'Not posted: see the fields marked.' : `Not posted: ${err instanceof Error ? err.message : String(err)}`;
  };

  let posting = false;
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    // The button is disabled while a post runs; a second submit (Enter) waits for the first.
    if (posting) return;
    posting = true;
    submit.disabled = true;
    clearErrors();
    const body = { type: type(), warehouseId: warehouseId(), lines: lines.map((l) => l.value()) };
    if (fields.toWarehouseId) body.toWarehouseId = Number.parseInt(fields.toWarehouseId.control.value, 10);
    const ref = fields.reference.control.value.trim();
    if (ref) body.reference = ref;
    void (async () => {
      try {
        const missing = lines.findIndex((l) => !l.product);
        if (!Number.isInteger(body.warehouseId)) throw Object.assign(new Error('Choose a warehouse'), { details: { field: 'warehouseId' }, local: true });
        if (body.toWarehouseId !== undefined && !Number.isInteger(body.toWarehouseId)) throw Object.assign(new Error('Choose a warehouse'), { details: { field: 'toWarehouseId' }, local: true });
        if (missing >= 0) throw Object.assign(new Error('Choose a product'), { details: { field: `lines[${missing}].productId` }, local: true });
        const doc = await api('/api/v1/documents', { method: 'POST', body, headers: { 'idempotency-key': key } });
        onPosted(doc);
      } catch (err) {
        if (err && err.local) {
          place(err.details.field, err.message);
          formError.textContent = 'Not posted: see the fields marked.';
        } else if (err instanceof TypeError) {
          // No answer: it may have been booked. The same key makes posting again safe.
          formError.textContent = 'No answer from the server: the document may or may not be booked. Post again: this form sends the same Idempotency-Key, so it books once.';
        } else if (err && err.code === 'IDEMPOTENCY_KEY_REUSED') {
          formError.replaceChildren('Its first post may already be booked with other lines: look at ', h('a', { href: href('documents') }, 'Documents'), ', then discard this form and start a new one.');
        } else showError(err, body);
      } finally {
        posting = false;
        submit.disabled = false;
      }
    })();
  });

  const dirty = () => Boolean(fields.reference.control.value) || lines.some((l) => l.product || l.fields.quantity.control.value);
  return { el: form, key, discard, dirty, confirmDiscard: () => !dirty() ? Promise.resolve(true) : confirmAction({ title: `Discard this ${base.title.toLowerCase()}?`, message: 'Nothing was posted; what you entered is lost.', confirm: 'Discard' }) };
}
