/**
 * (h)'s rows in the bench table: per load, documents/s end to end with 1, 2 and 4 processes and
 * the ratios to one process, CPU per document, and the graphile-worker outbox beside stockhook's
 * one process. Medians over the repetitions.
 */
import { median } from '../lib/stats.js';
import type { ScaleRep, ScaleSystem } from './scale-out.js';

export interface ScaleRow {
  figure: string;
  value: string;
  target: string;
  met: boolean | null;
}

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

/** The targets under a quota, where a process has a core's share of its own: 2 processes >= 1.8 x one, 4 >= 3.4 x. */
const RATIO_TARGETS: Record<number, number> = { 2: 1.8, 4: 3.4 };
const PEER_RATIO_TARGET = 1.5;
/** One unconfined process, one account, end to end. */
const UNCONFINED_TARGET = 2_000;
/**
 * Under this share of its quota a process was short of CPU the quota did not take (a machine busy
 * with other work): then adding processes adds no CPU, and the ratios say nothing about scaling.
 */
const FED_SHARE = 0.8;

export function scaleRows(reps: ScaleRep[], quota: number | null): ScaleRow[] {
  const rows: ScaleRow[] = [];
  const of = (system: ScaleSystem, accounts: number, processes: number) => reps.filter((r) => r.system === system && r.accounts === accounts && r.processes === processes);
  const docs = (xs: ScaleRep[]) => median(xs.map((x) => x.docsPerSec));
  const late = (xs: ScaleRep[]) => (xs.some((x) => !x.complete) ? ' (not all delivered)' : '');
  const cpu = (xs: ScaleRep[]) => `${fmt(median(xs.map((x) => x.cpuMsPerDoc.servers)), 2)} / ${xs.some((x) => x.cpuMsPerDoc.postgres === null) ? '-' : fmt(median(xs.map((x) => x.cpuMsPerDoc.postgres ?? 0)), 2)}`;
  const where = quota === null ? 'unconfined' : `${quota} core each`;
  const cores = (xs: ScaleRep[]) => median(xs.map((x) => x.coresPerProcess.reduce((a, b) => a + b, 0) / x.coresPerProcess.length));
  let starved = false;
  for (const accounts of [1, 10]) {
    const counts = [...new Set(reps.filter((r) => r.system === 'stockhook' && r.accounts === accounts).map((r) => r.processes))].sort((a, b) => a - b);
    if (counts.length === 0) continue;
    const one = of('stockhook', accounts, 1);
    const base = docs(one);
    const load = accounts === 1 ? 'one account, 100 products' : '10 accounts';
    const unconfinedTarget = quota === null && accounts === 1;
    rows.push({
      figure: `(h) ${load}, 1 process (${where}): documents/s end to end${late(one)}`,
      value: fmt(base),
      target: unconfinedTarget ? `>= ${fmt(UNCONFINED_TARGET)}` : '',
      met: unconfinedTarget ? base >= UNCONFINED_TARGET && !late(one) : null,
    });
    for (const n of counts.filter((c) => c > 1)) {
      const xs = of('stockhook', accounts, n);
      const ratio = docs(xs) / base;
      const target = quota === null ? undefined : RATIO_TARGETS[n];
      rows.push({
        figure: `    ${n} processes: documents/s end to end (x 1 process)${late(xs)}`,
        value: `${fmt(docs(xs))} (${fmt(ratio, 2)} x)`,
        target: target ? `>= ${target} x` : '',
        met: target ? ratio >= target && !late(xs) : null,
      });
    }
    rows.push({
      figure: `    CPU ms per document, stockhook (all threads) / PostgreSQL: ${counts.join(', ')} process${counts.length > 1 ? 'es' : ''}`,
      value: counts.map((n) => cpu(of('stockhook', accounts, n))).join(', '),
      target: '',
      met: null,
    });
    const used = counts.map((n) => cores(of('stockhook', accounts, n)));
    if (quota !== null && used.some((c) => c < FED_SHARE * quota)) starved = true;
    rows.push({
      figure: `    cores used per process${quota === null ? '' : ` (of ${quota})`}: ${counts.join(', ')} process${counts.length > 1 ? 'es' : ''}`,
      value: used.map((c) => fmt(c, 2)).join(', '),
      target: '',
      met: null,
    });
    const peer = of('graphile-outbox', accounts, 1);
    if (peer.length > 0) {
      const ratio = base / docs(peer);
      if (quota !== null && cores(peer) < FED_SHARE * quota) starved = true;
      rows.push({ figure: `    graphile-worker outbox, 1 process (${where}): documents/s end to end${late(peer)}`, value: fmt(docs(peer)), target: '(reference)', met: null });
      rows.push({ figure: '    its CPU ms per document / PostgreSQL; cores it used', value: `${cpu(peer)}; ${fmt(cores(peer), 2)}`, target: '', met: null });
      rows.push({
        figure: '    stockhook / the graphile-worker outbox, 1 process each',
        value: `${fmt(ratio, 2)} x`,
        target: quota === null ? '' : `>= ${PEER_RATIO_TARGET} x`,
        met: quota === null ? null : ratio >= PEER_RATIO_TARGET && !late(one) && !late(peer),
      });
    }
  }
  if (starved) {
    rows.push({
      figure: `    WARNING: some processes got under ${FED_SHARE * 100} % of their quota (the machine was short of CPU): the ratios do not show scaling`,
      value: '-',
      target: '',
      met: null,
    });
  }
  return rows;
}
