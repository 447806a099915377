// The level of a product or stock key over time: a step line per series, a point per movement
// (click: its document). Inline SVG, every label a text node, like charts.js.
import { fill, h, s } from './dom.js';
import { fmtTime } from './format.js';

const M = { l: 52, r: 14, t: 14, b: 28 };

function niceCeil(v) {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/**
 * points: ascending [{ t, amount, free, documentId, label }], the level right after each document.
 * The time axis spans the movements (a little margin each side), not up to now: a product whose
 * movements all happened one afternoon last week fills the chart with that afternoon. The lines
 * run on to the right edge, where the level still stands.
 */
export function drawLevelChart(container, points, { onPoint } = {}) {
  // Drawn at the container's own width, so labels keep their size on a phone.
  const W = Math.max(300, Math.min(1000, container.clientWidth || 1000));
  const H = W < 600 ? 200 : 240;
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Level over time', testid: 'level-chart', class: 'chart level' });
  if (points.length === 0) {
    svg.append(s('text', { x: W / 2, y: H / 2, class: 'empty', 'text-anchor': 'middle' }, 'no movements'));
    return fill(container, svg);
  }
  const first = points[0].t;
  const last = points[points.length - 1].t;
  // One movement (or several at once) still gets an hour's span around it.
  const pad = Math.max((last - first) * 0.04, last === first ? 30 * 60_000 : 1000);
  const t0 = first - pad;
  const t1 = last + pad;
  const vals = points.flatMap((p) => [p.amount, p.free]);
  const lo = Math.min(0, ...vals);
  const hi = niceCeil(Math.max(...vals, 1));
  const iw = W - M.l - M.r;
  const ih = H - M.t - M.b;
  const x = (t) => M.l + ((t - t0) / (t1 - t0)) * iw;
  const y = (v) => M.t + ih - ((v - lo) / (hi - lo)) * ih;
  for (const v of [lo, (lo + hi) / 2, hi]) {
    svg.append(s('line', { x1: M.l, x2: W - M.r, y1: y(v), y2: y(v), class: 'grid' }));
    svg.append(s('text', { x: M.l - 6, y: y(v) + 4, class: 'axis', 'text-anchor': 'end' }, String(Math.round(v * 100) / 100)));
  }
  // Axis labels at the first and last movement (and between them on a wide chart); a label on the
  // same day as the one before it shows the time only.
  const ticks = W < 600 || last === first ? [first, last] : [first, (first + last) / 2, last];
  let prevDay = '';
  ticks.forEach((t, i) => {
    if (i > 0 && t === ticks[i - 1]) return;
    const full = fmtTime(t);
    const label = full.slice(0, 10) === prevDay ? full.slice(11) : full;
    prevDay = full.slice(0, 10);
    const anchor = i === 0 ? 'start' : i === ticks.length - 1 ? 'end' : 'middle';
    svg.append(s('text', { x: anchor === 'start' ? Math.max(M.l, x(t) - 4) : anchor === 'end' ? Math.min(W - M.r, x(t) + 4) : x(t), y: H - 8, class: 'axis', 'text-anchor': anchor, testid: 'chart-axis-time' }, label));
    svg.append(s('line', { x1: x(t), x2: x(t), y1: M.t + ih, y2: M.t + ih + 4, class: 'grid' }));
  });
  for (const [key, cls] of [['free', 'series-free'], ['amount', 'series-amount']]) {
    let d = `M${x(first).toFixed(1)},${y(points[0][key]).toFixed(1)}`;
    for (const p of points.slice(1)) d += `H${x(p.t).toFixed(1)}V${y(p[key]).toFixed(1)}`;
    d += `H${x(t1).toFixed(1)}`;
    svg.append(s('path', { d, fill: 'none', class: cls, testid: `chart-line-${key}` }));
  }
  for (const p of points) {
    const c = s(
      'circle',
      { cx: x(p.t), cy: y(p.amount), r: 5, class: 'point', tabindex: 0, testid: 'chart-point', 'data-document-id': p.documentId, 'data-value': p.amount },
      s('title', {}, `${fmtTime(p.t, { seconds: true })} · ${p.label} → amount ${p.amount}, free ${p.free}`),
    );
    if (onPoint) {
      c.addEventListener('click', () => onPoint(p));
      c.addEventListener('keydown', (e) => e.key === 'Enter' && onPoint(p));
    }
    svg.append(c);
  }
  const legend = h('div', { class: 'legend' }, h('span', {}, h('i', { class: 'swatch swatch-amount' }), 'amount'), h('span', {}, h('i', { class: 'swatch swatch-free' }), 'free'), h('span', {}, 'click a point for its document'));
  return fill(container, svg, legend);
}

/**
 * The scope's level after each document, oldest first, from movements newest first (the API's
 * order, each with its key's level after it). Keys that moved before the oldest movement loaded
 * start from their level before it.
 */
export function levelSeries(movements) {
  const asc = [...movements].reverse();
  const keyOf = (m) => JSON.stringify([m.warehouseId, m.size, m.lot, m.expiry, m.serial, m.location]);
  const level = new Map();
  for (const m of asc) {
    const k = keyOf(m);
    if (!level.has(k)) level.set(k, { amount: m.amount - m.amountDelta, reserved: m.reserved - m.reservedDelta });
  }
  const sum = () => {
    let a = 0;
    let r = 0;
    for (const v of level.values()) {
      a += v.amount;
      r += v.reserved;
    }
    return { amount: Math.round(a * 1e6) / 1e6, free: Math.round((a - r) * 1e6) / 1e6 };
  };
  // One point per document: a transfer's two movements are one step, not a dip and a rise.
  const points = [];
  for (const m of asc) {
    level.set(keyOf(m), { amount: m.amount, reserved: m.reserved });
    const p = { t: Date.parse(m.createdAt), ...sum(), documentId: m.document.id, label: `#${m.document.id} ${m.document.type}` };
    if (points.length && points[points.length - 1].documentId === p.documentId) points[points.length - 1] = p;
    else points.push(p);
  }
  return points;
}
