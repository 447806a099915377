import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CpuQuotaGroups, findCpuHierarchy, parseCpuStat, pickCpuHierarchy, quotaSettings, throttledShare } from '../../bench/lib/cpu-quota.js';

/**
 * The bench's CPU quotas (bench/lib/cpu-quota.ts): the numbers written, which cgroup version a root
 * offers, and, where this machine lets the test make cgroups (root with a writable cpu
 * controller, as CI has), a real process confined with every one of its threads.
 */
describe('CPU quota settings', () => {
  it('v1 writes the period and the quota in microseconds; v2 writes both into cpu.max', () => {
    expect(quotaSettings('v1', 0.3)).toEqual([
      ['cpu.cfs_period_us', '100000'],
      ['cpu.cfs_quota_us', '30000'],
    ]);
    expect(quotaSettings('v2', 0.25)).toEqual([['cpu.max', '25000 100000']]);
    expect(quotaSettings('v1', 2)[1]).toEqual(['cpu.cfs_quota_us', '200000']);
    expect(quotaSettings('v2', 0.3, 50_000)).toEqual([['cpu.max', '15000 50000']]);
  });

  it('refuses no quota, a negative one and one under the kernel minimum of 1 ms per period', () => {
    for (const bad of [0, -0.5, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => quotaSettings('v1', bad)).toThrow(/above 0/);
    expect(() => quotaSettings('v2', 0.005)).toThrow(/minimum of 1000 µs/);
    expect(quotaSettings('v2', 0.01)).toEqual([['cpu.max', '1000 100000']]);
  });
});

describe('which cgroup hierarchy carries the cpu controller', () => {
  it('v2 when the root cgroup.controllers lists cpu as a word; cpuset alone is not it', () => {
    expect(pickCpuHierarchy('/r', ['cgroup.controllers', 'cgroup.procs'], 'cpuset cpu io memory pids\n')).toEqual({ version: 'v2', dir: '/r' });
    expect(pickCpuHierarchy('/r', ['cgroup.controllers'], 'cpuset io memory\n')).toBeNull();
  });

  it('v1 when the root holds the cpu mount (cpu, or cpu,cpuacct), as a hybrid setup also has', () => {
    expect(pickCpuHierarchy('/r', ['blkio', 'cpu', 'cpuacct', 'memory', 'unified'], null)).toEqual({ version: 'v1', dir: '/r/cpu' });
    expect(pickCpuHierarchy('/r', ['cpu,cpuacct', 'cpuset'], null)).toEqual({ version: 'v1', dir: '/r/cpu,cpuacct' });
    expect(pickCpuHierarchy('/r', ['cpuset', 'memory', 'pids'], null)).toBeNull();
    expect(pickCpuHierarchy('/r', ['cpu'], 'io memory')).toEqual({ version: 'v1', dir: '/r/cpu' });
  });

  it('reads a given root directory: its entries and its cgroup.controllers', () => {
    const v2 = mkdtempSync(join(tmpdir(), 'cgroup-v2-'));
    const v1 = mkdtempSync(join(tmpdir(), 'cgroup-v1-'));
    const none = mkdtempSync(join(tmpdir(), 'cgroup-none-'));
    try {
      writeFileSync(join(v2, 'cgroup.controllers'), 'cpuset cpu io memory hugetlb pids rdma misc\n');
      mkdirSync(join(v1, 'cpu'));
      mkdirSync(join(v1, 'memory'));
      mkdirSync(join(none, 'memory'));
      expect(findCpuHierarchy(v2)).toEqual({ version: 'v2', dir: v2 });
      expect(findCpuHierarchy(v1)).toEqual({ version: 'v1', dir: join(v1, 'cpu') });
      expect(findCpuHierarchy(none)).toBeNull();
      expect(findCpuHierarchy(join(none, 'absent'))).toBeNull();
      const why = CpuQuotaGroups.open(0.3, { root: none });
      expect(why).toBe(`no cgroup cpu controller under ${none} (neither a v1 cpu hierarchy nor v2 cgroup.controllers listing cpu)`);
      // A hierarchy where no group can be made: one line saying so, before any process starts.
      writeFileSync(join(none, 'cpu'), '');
      const unusable = CpuQuotaGroups.open(0.3, { root: none });
      expect(unusable).toBe(`cgroup v1 cpu controller at ${join(none, 'cpu')} is not writable here (ENOTDIR under ${join(none, 'cpu', 'stockhook-bench')})`);
    } finally {
      for (const d of [v2, v1, none]) rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('cpu.stat', () => {
  it('reads v1 and v2 counters and the share of periods throttled between two readings', () => {
    const v1a = parseCpuStat('nr_periods 100\nnr_throttled 10\nthrottled_time 123456789\n');
    const v1b = parseCpuStat('nr_periods 300\nnr_throttled 160\nthrottled_time 223456789\n');
    expect(v1a).toEqual({ nr_periods: 100, nr_throttled: 10, throttled_time: 123456789 });
    expect(throttledShare(v1a, v1b)).toBe(0.75);
    const v2 = parseCpuStat('usage_usec 5000\nuser_usec 4000\nsystem_usec 1000\nnr_periods 4\nnr_throttled 1\nthrottled_usec 20\n');
    expect(v2.usage_usec).toBe(5000);
    expect(throttledShare({}, v2)).toBe(0.25);
    expect(throttledShare(v2, v2)).toBe(0);
  });
});

// Real cgroups only where this process may make them (root and a writable cpu controller).
const parent = `stockhook-bench-test-${process.pid}`;
const groups = CpuQuotaGroups.open(0.5, { parent });
if (typeof groups !== 'string') {
  describe(`a real cgroup ${groups.hierarchy.version} CPU quota`, () => {
    afterAll(() => groups.close());

    it('confines a process with every thread, the ones it starts later too, and leaves no group behind', async () => {
      const child = spawn(process.execPath, ['-e', "console.log('ready'); setInterval(() => {}, 1 << 30)"], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = once(child, 'exit');
      const pid = child.pid as number;
      try {
        // While Node is still starting: the threads it has move with it, those it starts later are born in the group.
        groups.confine('t1', pid);
        await once(child.stdout, 'data');
        const dir = join(groups.hierarchy.dir, parent, 't1');
        const quotaFile = groups.hierarchy.version === 'v1' ? 'cpu.cfs_quota_us' : 'cpu.max';
        expect(readFileSync(join(dir, quotaFile), 'utf8').trim()).toBe(groups.hierarchy.version === 'v1' ? '50000' : '50000 100000');
        const membership = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
        expect(membership.some((l) => (groups.hierarchy.version === 'v1' ? /^\d+:([^:]*,)?cpu(,[^:]*)?:/ : /^0::/).test(l) && l.endsWith(`/${parent}/t1`))).toBe(true);
        const threads = groups.check('t1', pid);
        expect(threads).toBeGreaterThan(1);
        expect(threads).toBe(readdirSync(`/proc/${pid}/task`).length);
        expect(groups.stat('t1')).toHaveProperty('nr_periods');
      } finally {
        child.kill('SIGKILL');
        await exited;
      }
      groups.release('t1');
      expect(existsSync(join(groups.hierarchy.dir, parent, 't1'))).toBe(false);
      groups.close();
      expect(existsSync(join(groups.hierarchy.dir, parent))).toBe(false);
    });

    it('refuses a group name that is not a plain word', () => {
      expect(() => groups.confine('../escape', process.pid)).toThrow(/lowercase letters, digits and dashes only/);
    });
  });
}
