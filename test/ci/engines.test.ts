import { readFileSync } from 'node:fs';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

interface LockEntry {
  version?: string;
  dev?: boolean;
  optional?: boolean;
  os?: string[];
  cpu?: string[];
  engines?: { node?: string } | string[];
}

const root = new URL('../../', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(new URL('package-lock.json', root), 'utf8')) as { packages: Record<string, LockEntry> };
const installed = Object.entries(lock.packages).filter(([path]) => path !== '');

/** The packages whose `engines.node` refuses this Node version: what npm prints EBADENGINE for. */
function refusing(entries: [string, LockEntry][], node: string): string[] {
  return entries.flatMap(([path, e]) => {
    const range = Array.isArray(e.engines) ? undefined : e.engines?.node;
    return range && !semver.satisfies(node, range) ? [`${path}@${e.version} wants node ${range}`] : [];
  });
}

/** npm skips an optional package built for another system, so it never checks its engines. */
const installsHere = (e: LockEntry) =>
  !(e.optional && ((e.os && !e.os.includes(process.platform)) || (e.cpu && !e.cpu.includes(process.arch))));

describe('engines: npm installs without EBADENGINE', () => {
  it('every package stockhook needs at run time accepts the oldest Node its package.json accepts', () => {
    const oldest = semver.minVersion(pkg.engines.node)?.version;
    expect(oldest).toBe('20.18.1');
    // What `npm install -g stockhook-*.tgz` installs: the dependencies, not the dev tools.
    expect(refusing(installed.filter(([, e]) => !e.dev), oldest as string)).toEqual([]);
  });

  it('every package `npm ci` installs on this machine accepts the Node running it', () => {
    expect(refusing(installed.filter(([, e]) => installsHere(e)), process.versions.node)).toEqual([]);
  });
});
