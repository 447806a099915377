import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const walk = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));

const PAGES = [join(ROOT, 'README.md'), ...walk(join(ROOT, 'docs')).filter((f) => f.endsWith('.md'))];

/** The lines of a page that render as text: fenced code blocks are left out (a link there is not a link). */
function prose(text: string): string[] {
  let fence: string | undefined;
  return text.split('\n').filter((line) => {
    const m = /^\s*(```|~~~)/.exec(line);
    if (m) {
      if (fence === undefined) fence = m[1];
      else if (fence === m[1]) fence = undefined;
      return false;
    }
    return fence === undefined;
  });
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(file: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of prose(readFileSync(file, 'utf8'))) {
    const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!h) continue;
    const base = (h[1] as string)
      .replace(/`/g, '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Every link and image target of a page outside code. */
function links(file: string): string[] {
  return prose(readFileSync(file, 'utf8')).flatMap((line) =>
    [...line.replace(/`[^`]*`/g, 'code').matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1] as string),
  );
}

describe('documentation links', () => {
  it('finds the pages and their links', () => {
    expect(PAGES.map((p) => relative(ROOT, p))).toEqual(expect.arrayContaining(['README.md', 'docs/operations/configuration.md', 'docs/api/errors.md']));
    expect(links(join(ROOT, 'README.md'))).toEqual(expect.arrayContaining(['docs/stock-view.png', 'docs/operations/deploy.md']));
    // The slug rules on headings these pages link to.
    expect(anchors(join(ROOT, 'docs/webhooks/README.md'))).toContain('formats');
  });

  it('every relative link in README.md and docs/**/*.md points to a file that exists, and to a heading that exists', () => {
    const broken: string[] = [];
    for (const page of PAGES) {
      for (const target of links(page)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: ...
        const [path, hash] = target.split('#') as [string, string | undefined];
        const file = path === '' ? page : resolve(dirname(page), decodeURI(path));
        const where = `${relative(ROOT, page)}: ${target}`;
        if (!file.startsWith(ROOT)) broken.push(`${where} (outside the repository)`);
        else if (!existsSync(file)) broken.push(`${where} (no such file)`);
        else if (hash !== undefined && hash !== '' && statSync(file).isFile() && file.endsWith('.md') && !anchors(file).has(hash)) {
          broken.push(`${where} (no heading #${hash} in ${relative(ROOT, file)})`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('every repository path README.md and docs/ cite in code (`src/...`, `test/...`) exists; the performance journal records the past and is left out', () => {
    const missing: string[] = [];
    for (const page of PAGES.filter((p) => !relative(ROOT, p).startsWith('docs/performance/journal/'))) {
      for (const m of readFileSync(page, 'utf8').matchAll(/`((?:src|test|bench|ui|scripts|docs)\/[\w./-]+)`/g)) {
        const path = (m[1] as string).replace(/[.]$/, '');
        if (!existsSync(join(ROOT, path))) missing.push(`${relative(ROOT, page)}: ${path}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
