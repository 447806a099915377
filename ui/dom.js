// Small DOM helpers. Data only ever enters the page as text nodes or attribute values, never as markup.

/**
 * h('button', { class: 'x', testid: 'retry', onclick: fn }, 'Retry') creates an element.
 * Children may be strings (inserted as text), nodes, null/false (skipped) or arrays of those.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** The same for SVG elements. */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'testid') el.setAttribute('data-testid', String(v));
    else if (k === 'value' && 'value' in el) el.value = String(v);
    else if (k === 'checked' || k === 'selected' || k === 'disabled') el[k] = Boolean(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);

// Times: one style everywhere, from format.js (kept importable from here as before).
export { fmtTime } from './format.js';

export function fmtMs(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms === 0) return '0 ms';
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
}

/** The value of a datetime-local input as ISO, or undefined when empty (the views type times as text: format.js timeInput). */
export function localToIso(value) {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** A time as the value of a datetime-local input. */
export function isoToLocal(ms) {
  const d = new Date(ms);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** A JSON body pretty-printed when it parses, as it came otherwise. */
export function pretty(body) {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

export function badge(status) {
  return h('span', { class: `badge badge-${String(status).replace(/[^a-z]/g, '')}`, testid: 'status' }, status);
}

/** A two-column table of headers (or any flat object). */
export function kvTable(obj, testid) {
  const rows = Object.entries(obj ?? {});
  if (rows.length === 0) return h('p', { class: 'muted' }, 'none');
  return h('table', { class: 'kv', testid }, h('tbody', {}, rows.map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, Array.isArray(v) ? v.join(', ') : String(v))))));
}

let toastTimer;
/** A short message at the bottom of the page; errors stay until the next message. */
export function toast(message, kind = 'info') {
  const el = $('#toast');
  fill(el, message);
  el.className = `toast toast-${kind}`;
  el.hidden = false;
  clearTimeout(toastTimer);
  if (kind !== 'error') toastTimer = setTimeout(() => (el.hidden = true), 4000);
}

/** Runs an action from a button, disabling it meanwhile and reporting errors as a toast. */
export async function act(button, fn) {
  if (button) button.disabled = true;
  try {
    return await fn();
  } catch (err) {
    toast(err instanceof Error ? err.message : String(err), 'error');
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}
