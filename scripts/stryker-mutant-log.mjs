// @ts-check
/**
 * A Stryker reporter that appends each mutant's result to a JSON-lines file the moment it is known
 * (reports/mutation/<name>.mutants.jsonl, named by stryker.config.mjs). Stryker's own reports are
 * written only at the end of a run: on a loaded 2-core machine a run stopped before its end would
 * otherwise leave nothing to count.
 */
import { mkdirSync, writeFileSync, appendFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { commonTokens, declareClassPlugin, PluginKind } from '@stryker-mutator/api/plugin';

class MutantLog {
  static inject = /** @type {const} */ ([commonTokens.options]);
  /** @param {import('@stryker-mutator/api/core').StrykerOptions & { mutantLog?: { fileName?: string } }} options */
  constructor(options) {
    this.file = options.mutantLog?.fileName ?? 'reports/mutation/mutants.jsonl';
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileSync(this.file, '');
  }

  /** @param {Readonly<import('@stryker-mutator/api/core').MutantResult>} m */
  onMutantTested(m) {
    const line = { file: m.fileName, id: m.id, line: m.location.start.line, column: m.location.start.column, mutator: m.mutatorName, replacement: m.replacement, status: m.status, killedBy: m.killedBy?.[0] };
    appendFileSync(this.file, `${JSON.stringify(line)}\n`);
  }
}

export const strykerPlugins = [declareClassPlugin(PluginKind.Reporter, 'mutant-log', MutantLog)];
