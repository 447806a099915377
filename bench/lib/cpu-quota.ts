/**
 * CPU quotas for (h)'s server processes: each one in a cgroup of its own with a CFS quota, as a
 * small machine of its own, so that adding processes on a 2-core machine can show whether they
 * scale or contend (unconfined, the second process has no core to use). PostgreSQL, the load
 * generator and the sink stay outside.
 *
 * cgroup v1: the `cpu` controller's hierarchy (`/sys/fs/cgroup/cpu`), `cpu.cfs_period_us` and
 * `cpu.cfs_quota_us` per group. cgroup v2: the unified hierarchy at the root when its
 * `cgroup.controllers` lists `cpu`, `cpu.max` per group (and `+cpu` in the parents'
 * `cgroup.subtree_control`). Writing a pid to a group's `cgroup.procs` moves every thread of that
 * process, and threads it starts later are born in the group.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const CGROUP_ROOT = '/sys/fs/cgroup';
export const PERIOD_US = 100_000;
/** The kernel refuses a CFS quota under 1 ms per period. */
const MIN_QUOTA_US = 1_000;

export type CgroupVersion = 'v1' | 'v2';

export interface CpuHierarchy {
  version: CgroupVersion;
  /** The hierarchy's root group: where the bench's parent group is made. */
  dir: string;
}

/**
 * Which hierarchy carries the cpu controller, from the cgroup root's entries and its
 * `cgroup.controllers` text (null when the file is absent): v2 when that file lists `cpu` (a word:
 * `cpuset` is another controller), else v1 when the root has the cpu controller's mount.
 */
export function pickCpuHierarchy(root: string, entries: readonly string[], controllers: string | null): CpuHierarchy | null {
  if (controllers !== null && controllers.split(/\s+/).includes('cpu')) return { version: 'v2', dir: root };
  // Distributions mount it as cpu, or as cpu,cpuacct with cpu a symlink to it.
  const v1 = ['cpu', 'cpu,cpuacct', 'cpuacct,cpu'].find((d) => entries.includes(d));
  return v1 ? { version: 'v1', dir: join(root, v1) } : null;
}

/** pickCpuHierarchy for this machine's (or a given) cgroup root. */
export function findCpuHierarchy(root = CGROUP_ROOT): CpuHierarchy | null {
  let entries: string[] = [];
  let controllers: string | null = null;
  try {
    entries = readdirSync(root);
  } catch {
    return null;
  }
  try {
    controllers = readFileSync(join(root, 'cgroup.controllers'), 'utf8');
  } catch {
    // v1 or hybrid: the root is a tmpfs of controller mounts
  }
  return pickCpuHierarchy(root, entries, controllers);
}

/** The files and values that give a group `quota` cores (0.3 = 30 ms of CPU time per 100 ms period). */
export function quotaSettings(version: CgroupVersion, quota: number, periodUs = PERIOD_US): Array<[file: string, value: string]> {
  if (!Number.isFinite(quota) || quota <= 0) throw new Error(`a CPU quota is a number of cores above 0, got ${quota}`);
  const quotaUs = Math.round(quota * periodUs);
  if (quotaUs < MIN_QUOTA_US) throw new Error(`a CPU quota of ${quota} cores is under the kernel's minimum of ${MIN_QUOTA_US} µs per ${periodUs} µs period`);
  return version === 'v1'
    ? [
        ['cpu.cfs_period_us', String(periodUs)],
        ['cpu.cfs_quota_us', String(quotaUs)],
      ]
    : [['cpu.max', `${quotaUs} ${periodUs}`]];
}

/** `cpu.stat` as numbers (both versions have nr_periods and nr_throttled). */
export function parseCpuStat(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

/** The share of CFS periods in which the group was throttled (it wanted more than its quota), between two cpu.stat readings. */
export function throttledShare(before: Record<string, number>, after: Record<string, number>): number {
  const periods = (after.nr_periods ?? 0) - (before.nr_periods ?? 0);
  return periods > 0 ? ((after.nr_throttled ?? 0) - (before.nr_throttled ?? 0)) / periods : 0;
}

/** Child groups with one CPU quota each, under one parent group; close() removes them. */
export class CpuQuotaGroups {
  private readonly made = new Set<string>();

  private constructor(
    readonly hierarchy: CpuHierarchy,
    readonly quota: number,
    private readonly parent: string,
  ) {}

  /**
   * Makes the parent group and tries the settings on a probe group, so that an unusable machine is
   * found before any process starts; a one-line reason when it is.
   */
  static open(quota: number, opts: { root?: string; parent?: string } = {}): CpuQuotaGroups | string {
    const root = opts.root ?? CGROUP_ROOT;
    const h = findCpuHierarchy(root);
    if (!h) return `no cgroup cpu controller under ${root} (neither a v1 cpu hierarchy nor v2 cgroup.controllers listing cpu)`;
    const parent = join(h.dir, opts.parent ?? 'stockhook-bench');
    const settings = quotaSettings(h.version, quota);
    try {
      if (h.version === 'v2') writeFileSync(join(h.dir, 'cgroup.subtree_control'), '+cpu');
      mkdirSync(parent, { recursive: true });
      if (h.version === 'v2') writeFileSync(join(parent, 'cgroup.subtree_control'), '+cpu');
      const probe = join(parent, `probe-${process.pid}`);
      mkdirSync(probe, { recursive: true });
      try {
        for (const [file, value] of settings) writeFileSync(join(probe, file), value);
      } finally {
        rmdirSync(probe);
      }
    } catch (e) {
      return `cgroup ${h.version} cpu controller at ${h.dir} is not writable here (${(e as NodeJS.ErrnoException).code ?? (e as Error).message} under ${parent})`;
    }
    return new CpuQuotaGroups(h, quota, parent);
  }

  private dir(name: string): string {
    if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`cgroup name ${JSON.stringify(name)}: lowercase letters, digits and dashes only`);
    return join(this.parent, name);
  }

  /** Puts process `pid` (all its threads, and any it starts later) in group `name` with the quota. */
  confine(name: string, pid: number): void {
    const dir = this.dir(name);
    mkdirSync(dir, { recursive: true });
    this.made.add(dir);
    for (const [file, value] of quotaSettings(this.hierarchy.version, this.quota)) writeFileSync(join(dir, file), value);
    writeFileSync(join(dir, 'cgroup.procs'), String(pid));
  }

  /** Throws unless every thread of `pid` is in group `name`; the number of its threads. */
  check(name: string, pid: number): number {
    const listed = new Set(readFileSync(join(this.dir(name), this.hierarchy.version === 'v1' ? 'tasks' : 'cgroup.threads'), 'utf8').split('\n').filter(Boolean));
    const threads = readdirSync(`/proc/${pid}/task`);
    // A thread that ended between the two reads is in neither: only a live one outside counts.
    const outside = threads.filter((t) => !listed.has(t) && existsSync(`/proc/${pid}/task/${t}`));
    if (outside.length > 0) throw new Error(`cgroup ${name}: threads ${outside.join(', ')} of process ${pid} are outside its CPU quota`);
    return threads.length;
  }

  /** Group `name`'s cpu.stat. */
  stat(name: string): Record<string, number> {
    return parseCpuStat(readFileSync(join(this.dir(name), 'cpu.stat'), 'utf8'));
  }

  /** Removes group `name`, first moving any process still in it back to the hierarchy's root. */
  release(name: string): void {
    const dir = this.dir(name);
    try {
      for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
        writeFileSync(join(this.hierarchy.dir, 'cgroup.procs'), pid);
      }
    } catch {
      // gone already, or the process ended meanwhile
    }
    try {
      rmdirSync(dir);
      this.made.delete(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') this.made.delete(dir);
      else throw e;
    }
  }

  /** Removes every group made here, and the parent. */
  close(): void {
    for (const dir of [...this.made]) this.release(dir.slice(this.parent.length + 1));
    try {
      rmdirSync(this.parent);
    } catch {
      // another run's groups are still in it
    }
  }
}
