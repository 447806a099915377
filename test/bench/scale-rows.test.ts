import { describe, expect, it } from 'vitest';
import type { ScaleRep } from '../../bench/scenarios/scale-out.js';
import { scaleRows } from '../../bench/scenarios/scale-rows.js';

/** (h)'s table rows (bench/scenarios/scale-rows.ts): ratios to one process, targets, the peer's ratio, and the warning when processes were short of CPU. */
function rep(system: ScaleRep['system'], accounts: number, processes: number, docsPerSec: number, cores: number, rep = 1): ScaleRep {
  return {
    system,
    rep,
    processes,
    accounts,
    quota: 0.3,
    documents: docsPerSec * 3,
    docsPerSec,
    postedPerSec: docsPerSec,
    complete: true,
    cpuMsPerDoc: { machine: 5, postgres: 1, servers: 2.5, perProcess: Array(processes).fill(2.5 / processes) },
    coresPerProcess: Array(processes).fill(cores),
    throttled: Array(processes).fill(0.5),
  };
}

describe('(h) rows', () => {
  it('gives each process count its ratio to one process against the quota targets, the medians over repetitions', () => {
    const reps = [
      rep('stockhook', 1, 1, 100, 0.29),
      rep('graphile-outbox', 1, 1, 50, 0.29),
      rep('stockhook', 1, 2, 190, 0.29),
      rep('stockhook', 1, 4, 330, 0.28),
      rep('stockhook', 1, 1, 120, 0.29, 2),
      rep('graphile-outbox', 1, 1, 70, 0.29, 2),
      rep('stockhook', 1, 2, 200, 0.29, 2),
      rep('stockhook', 1, 4, 350, 0.28, 2),
    ];
    const rows = scaleRows(reps, 0.3);
    const byFigure = (start: string) => rows.find((r) => r.figure.trimStart().startsWith(start));
    // Nearest-rank median of two is the lower one: 100, 190, 330, peer 50.
    expect(byFigure('(h) one account')).toMatchObject({ value: '100', met: null });
    expect(byFigure('2 processes')).toMatchObject({ value: '190 (1.90 x)', target: '>= 1.8 x', met: true });
    expect(byFigure('4 processes')).toMatchObject({ value: '330 (3.30 x)', target: '>= 3.4 x', met: false });
    expect(byFigure('cores used')).toMatchObject({ value: '0.29, 0.29, 0.28' });
    expect(byFigure('stockhook / the graphile-worker outbox')).toMatchObject({ value: '2.00 x', target: '>= 1.5 x', met: true });
    expect(rows.some((r) => r.figure.includes('WARNING'))).toBe(false);
    expect(rows.some((r) => r.figure.startsWith('(h) 10 accounts'))).toBe(false);
  });

  it('warns when processes got under 80 % of their quota, and holds unconfined runs to the one-process target only', () => {
    const starved = scaleRows([rep('stockhook', 10, 1, 100, 0.29), rep('stockhook', 10, 2, 120, 0.15)], 0.3);
    expect(starved.at(-1)?.figure).toMatch(/WARNING: some processes got under 80 % of their quota/);
    const unconfined = scaleRows([rep('stockhook', 1, 1, 2_100, 1.2), rep('stockhook', 1, 2, 2_000, 0.8)], null);
    expect(unconfined[0]).toMatchObject({ figure: expect.stringContaining('(unconfined)'), target: '>= 2,000', met: true });
    expect(unconfined[1]).toMatchObject({ target: '', met: null });
    expect(unconfined.some((r) => r.figure.includes('WARNING'))).toBe(false);
  });
});
