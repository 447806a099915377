/** The dimensions of stock besides warehouse and product. Absent parts are '' (see storage/schema.ts). */
export interface KeyParts {
  size: string;
  lot: string;
  expiry: string;
  serial: string;
  location: string;
}

export interface StockKey extends KeyParts {
  warehouseId: number;
  productId: number;
}

export function keyParts(input: Partial<Record<keyof KeyParts, string | null | undefined>>): KeyParts {
  return {
    size: input.size ?? '',
    lot: input.lot ?? '',
    expiry: input.expiry ?? '',
    serial: input.serial ?? '',
    location: input.location ?? '',
  };
}

/** A total order over keys: stock rows are always locked in this order, so writers cannot deadlock. */
export function compareKeys(a: StockKey, b: StockKey): number {
  return (
    a.productId - b.productId ||
    a.warehouseId - b.warehouseId ||
    cmp(a.size, b.size) ||
    cmp(a.lot, b.lot) ||
    cmp(a.expiry, b.expiry) ||
    cmp(a.serial, b.serial) ||
    cmp(a.location, b.location)
  );
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Key fields as the API shows them: absent parts are null. */
export function keyView(k: StockKey): Record<string, string | number | null> {
  return {
    warehouseId: k.warehouseId,
    productId: k.productId,
    size: k.size || null,
    lot: k.lot || null,
    expiry: k.expiry || null,
    serial: k.serial || null,
    location: k.location || null,
  };
}
