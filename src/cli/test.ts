/**
 * `tailwatch test [FILE…]`: rule unit tests (SPEC §5, docs/rule-tests.md).
 * No argument: every `rules/**\/*.test.yaml` under the current folder.
 * One line per case (PASS/FAIL, a diff under each failure), then exactly
 * `N passed, N failed`; exit 1 when anything failed.
 */
import { access, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { displayName } from '../config/config.js';
import { loadAll, loadRuleFiles } from '../config/load.js';
import { RuleCompileError } from '../engine/index.js';
import { formatProblem, type Problem } from '../problems.js';
import { parseTestFile, type TestFile } from '../ruletest/format.js';
import { formatDiff, runCase } from '../ruletest/run.js';
import { EXIT_FAILED, EXIT_OK, type CliIO, type CommandDef } from './command.js';

/** Every `*.test.yaml` below `rules/` (sorted, so runs are reproducible). */
export async function findTestFiles(cwd: string): Promise<string[]> {
  const root = path.join(cwd, 'rules');
  try {
    await access(root);
  } catch {
    return [];
  }
  const entries = await readdir(root, { recursive: true });
  return entries
    .filter((e) => e.endsWith('.test.yaml'))
    .map((e) => path.join(root, e))
    .sort();
}

export const testCommand: CommandDef = {
  name: 'test',
  summary: 'run rule unit tests (*.test.yaml)',
  configure: (c) => c.argument('[files...]'),
  async run({ args, io, configPath, configExplicit }) {
    const files = args.length > 0 ? args.map((a) => path.resolve(io.cwd, a)) : await findTestFiles(io.cwd);
    if (files.length === 0) io.stderr.write('tailwatch test: no rule tests found (rules/**/*.test.yaml)\n');

    // The config gives the defaults rules inherit; its own problems stop the run.
    const loaded = await loadAll({ configPath, configRequired: configExplicit, env: io.env, cwd: io.cwd, rulePaths: [] });
    const configErrors = loaded.problems.filter((p) => p.severity === 'error');
    if (configErrors.length > 0) {
      printProblems(io, configErrors);
      return EXIT_FAILED;
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
