// Names for ids: warehouses (one list) and products (one read each), cached for the session.
import { api } from './api.js';

let warehouses = null;
const products = new Map();

export async function warehouseList() {
  if (!warehouses) warehouses = (await api('/api/v1/warehouses')).data;
  return warehouses;
}

export async function warehouseName(id) {
  const w = (await warehouseList()).find((x) => x.id === id);
  return w ? w.name : `#${id}`;
}

/** A product by id, or a stand-in when it was removed. */
export async function product(id) {
  if (!products.has(id)) {
    products.set(
      id,
      api(`/api/v1/products/${id}`).catch(() => ({ id, title: `product #${id}`, sku: '', code: '', unit: '' })),
    );
  }
  return products.get(id);
}

/** Remembers products a list already brought (stock rows with withProduct=true). */
export function rememberProduct(id, p) {
  if (!products.has(id)) products.set(id, Promise.resolve({ id, ...p }));
}

export function forgetNames() {
  warehouses = null;
  products.clear();
}

/** "North · size 42 · lot L1 · exp 2027-01-31" for a stock key's parts. */
export function keyLabel(k, whName) {
  return [
    whName,
    k.size && `size ${k.size}`,
    k.lot && `lot ${k.lot}`,
    k.expiry && `exp ${k.expiry}`,
    k.serial && `serial ${k.serial}`,
    k.location && `@ ${k.location}`,
  ]
    .filter(Boolean)
    .join(' · ');
}

/** Who posted a document: the user, an application, or what in stockhook wrote it. */
export function authorLabel(d) {
  if (d.author && d.author.kind === 'application') return `application #${d.author.applicationId}`;
  if (d.author) return 'user';
  if (d.source) return d.source.replace(':', ' #').replace('_', ' ');
  return '—';
}
