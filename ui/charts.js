// Inline SVG charts: bars for counts, lines for latency. No library; every label is a text node.
import { fmtMs, h, s, fill } from './dom.js';
import { fmtClock } from './format.js';

const H = 180;
const M = { l: 48, r: 12, t: 12, b: 26 };

/** 1, 2, 5 × 10^k at or above v: round axis maxima. */
function niceCeil(v) {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

// Axis and tooltip times in the dashboard's zone (the header's UTC switch).
const hhmm = fmtClock;

/**
 * Draws a chart into `container` (replacing what was there).
 * opts: { title, kind: 'bar' | 'line', times: [ms], bucketMs, unit: 'count' | 'ms', series: [{ name, color, values }] , testid }
 */
export function drawChart(container, opts) {
  const { times, series, kind, unit, bucketMs } = opts;
  // Drawn at the container's own width (a phone's too), so the labels keep their size.
  const W = Math.max(280, Math.min(760, container.clientWidth || 560));
  const n = times.length;
  const all = series.flatMap((x) => x.values).filter((v) => v !== null && v !== undefined);
  const max = niceCeil(Math.max(0, ...all));
  const iw = W - M.l - M.r;
  const ih = H - M.t - M.b;
  const step = n > 0 ? iw / n : iw;
  const x = (i) => M.l + i * step;
  const y = (v) => M.t + ih - (v / max) * ih;
  const fmt = (v) => (unit === 'ms' ? fmtMs(v) : String(Math.round(v * 100) / 100));

  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': opts.title, testid: opts.testid, class: 'chart' });
  // Grid and y labels at 0, half and max.
  for (const f of [0, 0.5, 1]) {
    const yy = y(max * f);
    svg.append(s('line', { x1: M.l, x2: W - M.r, y1: yy, y2: yy, class: 'grid' }));
    svg.append(s('text', { x: M.l - 6, y: yy + 4, class: 'axis', 'text-anchor': 'end' }, fmt(max * f)));
  }
  // x labels at the start, middle and end of the range.
  if (n > 0) {
    const span = n * bucketMs;
    for (const [i, anchor] of [[0, 'start'], [Math.floor(n / 2), 'middle'], [n, 'end']]) {
      svg.append(s('text', { x: x(i), y: H - 8, class: 'axis', 'text-anchor': anchor }, hhmm(times[0] + i * bucketMs, span)));
    }
  }
  if (all.every((v) => v === 0) || all.length === 0) {
    svg.append(s('text', { x: M.l + iw / 2, y: M.t + ih / 2, class: 'empty', 'text-anchor': 'middle' }, 'no attempts in this range'));
  }
  if (kind === 'bar') {
    for (const sr of series) {
      sr.values.forEach((v, i) => {
        if (!v) return;
        const bw = Math.max(1, step * 0.8);
        svg.append(
          s(
            'rect',
            { x: x(i) + (step - bw) / 2, y: y(v), width: bw, height: Math.max(1, y(0) - y(v)), fill: sr.color, 'data-point': '', 'data-value': v },
            s('title', {}, `${hhmm(times[i], 0)} · ${sr.name}: ${fmt(v)}`),
          ),
        );
      });
    }
  } else {
    for (const sr of series) {
      // Buckets without attempts have no latency: the line breaks there instead of dropping to 0.
      let d = '';
      let pen = false;
      sr.values.forEach((v, i) => {
        if (v === null || v === undefined) return void (pen = false);
        d += `${pen ? 'L' : 'M'}${(x(i) + step / 2).toFixed(1)},${y(v).toFixed(1)}`;
        pen = true;
      });
      if (d) svg.append(s('path', { d, fill: 'none', stroke: sr.color, 'stroke-width': 2, class: 'series' }));
      sr.values.forEach((v, i) => {
        if (v === null || v === undefined) return;
        svg.append(
          s('circle', { cx: x(i) + step / 2, cy: y(v), r: 3, fill: sr.color, 'data-point': '', 'data-value': v }, s('title', {}, `${hhmm(times[i], 0)} · ${sr.name}: ${fmt(v)}`)),
        );
      });
    }
  }
  const legend = h('div', { class: 'legend' }, series.map((sr) => h('span', {}, h('i', { class: `swatch swatch-${sr.key}` }), `${sr.name} ${total(sr, unit)}`)));
  fill(container, h('h3', {}, opts.title), svg, legend);
}

/** The legend's summary: the range's sum for counts, the latest value for latency. */
function total(sr, unit) {
  const vals = sr.values.filter((v) => v !== null && v !== undefined);
  if (unit === 'ms') return vals.length ? `(latest ${fmtMs(vals[vals.length - 1])})` : '';
  return `(${vals.reduce((a, b) => a + b, 0)})`;
}
