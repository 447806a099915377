import { quoteValue } from './errors.js';

/**
 * Reading one setting strictly: each reader returns the value, or records one line that says what is
 * wrong and what is accepted and returns the fallback, so a start can report every mistake at once
 * before anything is opened (config.ts).
 */
export class Problems {
  readonly lines: string[] = [];

  add(line: string): void {
    this.lines.push(line);
  }

  /** A decimal integer in [min, max] (no exponent, sign of plus or spaces); absent or empty gives the fallback. */
  int(value: string | undefined, fallback: number, min: number, max: number, name: string): number {
    if (value === undefined || value === '') return fallback;
    const n = Number(value);
    if (!/^-?\d+$/.test(value) || n < min || n > max) {
      this.add(`${name} must be an integer from ${min} to ${max}, not ${quoteValue(value)}`);
      return fallback;
    }
    return n;
  }

  /**
   * `1` or `0`. Anything else is refused: `true`, `yes` or `on` read as off would silently keep
   * the opposite of what the operator meant.
   */
  flag(value: string | undefined, fallback: boolean, name: string): boolean {
    if (value === undefined || value === '') return fallback;
    if (value === '1') return true;
    if (value === '0') return false;
    this.add(`${name} must be 1 or 0, not ${quoteValue(value)}`);
    return fallback;
  }

  /** One of `allowed`. */
  oneOf<T extends string>(value: string, allowed: readonly T[], name: string): T {
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.add(`${name} must be one of ${allowed.join(', ')}, not ${quoteValue(value)}`);
    return allowed[0];
  }
}


/** Edits (insert, delete, replace) between two names: a setting one or two edits from a known one is a typo. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}

/**
 * STOCKHOOK_* names in the environment that are near-misses of a known setting: a mistyped
 * STOCKHOOK_DATABASE_URL would otherwise start on the default SQLite file with nothing said.
 * Names far from every setting (other tools' variables that share the prefix) are left alone.
 */
export function mistypedNames(env: NodeJS.ProcessEnv, known: readonly string[]): string[] {
  const lines: string[] = [];
  for (const name of Object.keys(env)) {
    if (!name.startsWith('STOCKHOOK_') || known.includes(name)) continue;
    const near = known.find((k) => editDistance(name, k) <= 2);
    if (near) lines.push(`${name} is not a setting: did you mean ${near}?`);
  }
  return lines;
}
