// The documents a shop posts every day, as forms. Each names its document type(s), what its
// quantity means and what the line shows about the stock at the chosen key while typing.

/**
 * show(): 'stock' (on hand and free), 'free' (and warns above it), 'reserved' (and warns above
 * it), 'diff' (a count: the difference from the level on hand).
 */
export const KINDS = {
  receipt: {
    title: 'Receipt',
    lead: 'Goods arrive: the quantities are added to the warehouse.',
    types: [{ type: 'receipt', label: 'Receipt' }],
    qtyLabel: 'Quantity received',
    show: () => 'stock',
  },
  sale: {
    title: 'Sale',
    lead: 'Goods leave: the quantities are taken from the free stock.',
    types: [{ type: 'sale', label: 'Sale' }],
    qtyLabel: 'Quantity sold',
    show: () => 'free',
  },
  count: {
    title: 'Count',
    lead: 'Stock take: enter what you counted at each key; the difference from the level on hand is booked.',
    types: [{ type: 'count', label: 'Count' }],
    qtyLabel: 'Counted',
    show: () => 'diff',
  },
  transfer: {
    title: 'Transfer',
    lead: 'Moves free stock from one warehouse to another, keeping its lot, expiry, serial and location.',
    types: [{ type: 'transfer', label: 'Transfer' }],
    qtyLabel: 'Quantity moved',
    toWarehouse: true,
    show: () => 'free',
  },
  reservation: {
    title: 'Reservation',
    lead: 'Reserve free stock for an order (it stays on hand but is no longer free), or release a reservation.',
    types: [
      { type: 'reserve', label: 'Reserve' },
      { type: 'release', label: 'Release' },
    ],
    qtyLabel: 'Quantity',
    show: () => 'free',
  },
};

export const KIND_NAMES = Object.keys(KINDS);
