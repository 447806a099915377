// Sortable column headers: a button per sortable column that sets ?sort=&dir= on the route, so the
// server orders every page (and a reload keeps the order).
import { h } from './dom.js';

/**
 * A header row. columns: [{ label, sort?, num? }]; current: { sort, dir }; onSort(sort, dir).
 * Clicking the sorted column flips its direction; another column starts ascending.
 */
export function sortableHead(columns, current, onSort) {
  return h(
    'tr',
    {},
    columns.map((c) => {
      if (!c.sort) return h('th', { class: c.num ? 'num' : '' }, c.label);
      const active = current.sort === c.sort;
      const dir = active ? current.dir : null;
      const b = h(
        'button',
        { type: 'button', class: 'sort', testid: `sort-${c.sort}`, 'data-dir': dir || '', title: `Sort by ${c.label.toLowerCase()}` },
        c.label,
        h('span', { class: 'arrow', 'aria-hidden': 'true' }, dir === 'asc' ? ' ▲' : dir === 'desc' ? ' ▼' : ''),
      );
      b.addEventListener('click', () => onSort(c.sort, active && dir === 'asc' ? 'desc' : 'asc'));
      return h('th', { class: c.num ? 'num' : '', 'aria-sort': dir === 'asc' ? 'ascending' : dir === 'desc' ? 'descending' : 'none' }, b);
    }),
  );
}
