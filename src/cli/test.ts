/**
 * `tailwatch test [FILE…]`: rule unit tests (docs/rule-tests.md). No
 * argument: every `*.test.yaml` under the config's `rules.paths` (`-c`,
 * `$TAILWATCH_CONFIG`, `./tailwatch.yaml`; without a config, `rules/` under
 * the current folder). One line per case (PASS/FAIL, a diff under each
 * failure), then exactly `N passed, N failed`; exit 1 when anything failed,
 * or when no test was found (unless `--allow-empty`): a CI job must not pass
 * while testing nothing.
 */
import { access, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { displayName } from '../config/config.js';
import { loadAll, loadRuleFiles } from '../config/load.js';
import { RuleCompileError } from '../engine/index.js';
import { formatProblem, type Problem } from '../problems.js';
import { parseTestFile, type TestFile } from '../ruletest/format.js';
import { formatDiff, runCase } from '../ruletest/run.js';
import { EXIT_FAILED, EXIT_OK, type CliIO, type CommandDef } from './command.js';

const TEST_FILE = /\.test\.ya?ml$/;

/**
 * Every rule test file for the given rules paths (sorted, so runs are reproducible): below a
 * folder every `*.test.yaml`/`*.test.yml` (dot-folders and node_modules skipped, as for rule
 * files); for a rule file `x.yaml`, its `x.test.yaml` beside it. Paths that do not exist give none.
 */
export async function findTestFiles(paths: readonly string[]): Promise<string[]> {
  const out = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const full = path.join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile() && TEST_FILE.test(e.name)) out.add(full);
    }
  };
  for (const p of paths) {
    let info;
    try {
      info = await stat(p);
    } catch {
      continue;
    }
    if (info.isDirectory()) await walk(p);
    else if (TEST_FILE.test(p)) out.add(p);
    else {
      for (const ext of ['.test.yaml', '.test.yml']) {
        const sibling = p.replace(/\.ya?ml$/, ext);
        if (sibling !== p && (await exists(sibling))) out.add(sibling);
      }
    }
  }
  return [...out].sort();
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

export const testCommand: CommandDef = {
  name: 'test',
  summary: 'run rule unit tests (*.test.yaml under the config’s rules.paths)',
  configure: (c) => c.argument('[files...]', 'test files (default: every *.test.yaml under rules.paths)').option('--allow-empty', 'exit 0 when there is no rule test to run'),
  async run({ args, opts, io, configPath, configExplicit }) {
    // The config gives the defaults rules inherit and where the tests are; its own problems stop the run.
    const loaded = await loadAll({ configPath, configRequired: configExplicit, env: io.env, cwd: io.cwd, rulePaths: [] });
    const configErrors = loaded.problems.filter((p) => p.severity === 'error');
    if (configErrors.length > 0) {
      printProblems(io, configErrors);
      return EXIT_FAILED;
    }
    const files = args.length > 0 ? args.map((a) => path.resolve(io.cwd, a)) : await findTestFiles(loaded.config.rules.paths);
    if (files.length === 0) {
      const where = loaded.config.rules.paths.map((p) => displayName(p, io.cwd)).join(', ');
      io.stderr.write(`tailwatch test: no rule tests found (*.test.yaml under ${where})${opts['allowEmpty'] === true ? '' : '; --allow-empty makes that a success'}\n`);
    }

    let passed = 0;
    let failed = 0;
    for (const file of files) {
      const display = displayName(file, io.cwd);
      const parsed = parseTestFile(await readFile(file, 'utf8'), file, display);
      if (!parsed.testFile) {
        printProblems(io, parsed.problems);
        io.stdout.write(`FAIL ${display}: the test file is invalid\n`);
        failed++;
        continue;
      }
      const result = await runFile(parsed.testFile, loaded.config, io);
      passed += result.passed;
      failed += result.failed;
    }
    io.stdout.write(`${passed} passed, ${failed} failed\n`);
    if (files.length === 0 && opts['allowEmpty'] !== true) return EXIT_FAILED;
    return failed > 0 ? EXIT_FAILED : EXIT_OK;
  },
};

async function runFile(tf: TestFile, config: Parameters<typeof loadRuleFiles>[1], io: CliIO): Promise<{ passed: number; failed: number }> {
  const failAll = () => {
    for (const c of tf.cases) io.stdout.write(`FAIL ${tf.display}:${c.pos.line}:${c.pos.col}: ${c.name}\n`);
    return { passed: 0, failed: Math.max(1, tf.cases.length) };
  };
  const missing: Problem[] = [];
  for (const [i, f] of tf.ruleFiles.entries()) {
    try {
      await access(f);
    } catch {
      const p = tf.ruleFilePos[i]!;
      missing.push({ file: tf.display, line: p.line, col: p.col, message: `rule file not found: ${displayName(f, io.cwd)}`, severity: 'error', code: 'rule-test' });
    }
  }
  if (missing.length > 0) {
    printProblems(io, missing);
    return failAll();
  }
  const { ruleSet, problems } = await loadRuleFiles(tf.ruleFiles, config, io.cwd);
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length > 0) {
    printProblems(io, errors);
    return failAll();
  }
  let passed = 0;
  let failed = 0;
  for (const c of tf.cases) {
    const where = `${tf.display}:${c.pos.line}:${c.pos.col}: ${c.name}`;
    let result;
    try {
      result = runCase(c, ruleSet.rules);
    } catch (err) {
      if (!(err instanceof RuleCompileError)) throw err;
      io.stdout.write(`FAIL ${where}\n  rule "${err.ruleId}" cannot run: ${err.message}\n`);
      failed++;
      continue;
    }
    if (result.passed) {
      io.stdout.write(`PASS ${where}\n`);
      passed++;
      continue;
    }
    failed++;
    io.stdout.write(`FAIL ${where}\n`);
    if (result.error) io.stdout.write(`  ${result.error}\n`);
    else io.stdout.write(`  alerts (- expected but not produced, + produced but not expected):\n${formatDiff(c, result).join('\n')}\n`);
  }
  return { passed, failed };
}

function printProblems(io: CliIO, problems: readonly Problem[]): void {
  for (const p of problems) io.stderr.write(formatProblem(p) + '\n');
}
