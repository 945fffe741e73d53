/**
 * Loading entry points (public surface of config/): the config file, then
 * every rule file, then cross-file checks. All problems of one run are
 * collected; a set with any error must not replace a running one.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type { Problem } from '../problems.js';
import { InputFileError, pathProblem, UserError } from '../problems.js';
import { displayName, readConfig, type ConfigFileResult } from './config.js';
import { findRuleFiles } from './discover.js';
import { NO_SUCH_FILE, readInputFile } from './input-file.js';
import type { Config, Rule, RuleSet, SourcePos } from '../model/config.js';
import { parseRuleFile } from './rules.js';

export interface LoadOptions {
  /** Absolute path of the config file. */
  readonly configPath: string;
  /** When false, a missing config file means built-in defaults (rule paths: `rules/` under cwd). */
  readonly configRequired: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Replaces the config's `rules.paths` (files or folders, relative to cwd). */
  readonly rulePaths?: readonly string[] | undefined;
  /** Epoch ms for time-dependent checks (expired silences); default now. */
  readonly now?: number | undefined;
}

export interface Loaded {
  readonly config: Config;
  readonly ruleSet: RuleSet;
  /** Errors and warnings, positioned. Any error means `ruleSet` must not be used. */
  readonly problems: readonly Problem[];
}

/**
 * Reads and validates config and rules; never throws for mistakes inside the
 * files. A config or a path given in `rulePaths` that cannot be read as one
 * (missing, a FIFO or device, a symlink loop, too big) throws `InputFileError`.
 */
export async function loadAll(opts: LoadOptions): Promise<Loaded> {
  const cfg = await readConfig({ ...opts, now: opts.now ?? Date.now() });
  const problems: Problem[] = [...cfg.problems];
  const targets = opts.rulePaths
    ? opts.rulePaths.map((p) => ({ abs: path.resolve(opts.cwd, p), configIndex: undefined }))
    : cfg.config.rules.paths.map((abs, i) => ({ abs, configIndex: i }));

  const files: string[] = [];
  /** Real paths of the files loaded (and of the config): a file reached by two paths is loaded once. */
  const seen = new Set<string>([await realpath(opts.configPath).catch(() => opts.configPath)]);
  /** Files the user named on the command line: a file that cannot be read is an I/O error, not a problem. */
  const named = new Set<string>();
  const show = (abs: string) => displayName(abs, opts.cwd);
  for (const t of targets) {
    let found;
    try {
      found = await findRuleFiles(t.abs, show);
    } catch (err) {
      if (!(err instanceof InputFileError)) throw err;
      if (t.configIndex === undefined || !cfg.source) throw err.reason === NO_SUCH_FILE ? missingPath(t.abs, t.configIndex !== undefined, opts) : err;
      // A rules path named in the config that cannot be read: point at it in the config.
      problems.push(cfg.source.problem(['rules', 'paths', t.configIndex], `rules.paths[${t.configIndex}]: ${err.reason}`, 'rules-path'));
      continue;
    }
    for (const p of found.problems) problems.push(pathProblem(show(p.path), p.reason, 'io'));
    for (const f of found.files) {
      if (seen.has(f.real)) continue;
      seen.add(f.real);
      files.push(f.path);
      if (t.configIndex === undefined && f.path === t.abs) named.add(f.path);
    }
  }
  const { rules, defined } = await loadFiles(files, cfg, opts.cwd, problems, named);
  if (rules.length === 0 && targets.length > 0 && !cfg.config.rules.allowEmpty && !problems.some((p) => p.severity === 'error')) {
    problems.push(emptyRuleSetWarning(files.length, defined, opts, cfg, targets[0]!.abs));
  }
  return { config: cfg.config, ruleSet: Object.freeze({ rules: Object.freeze(rules), files: Object.freeze(files) }), problems: sortProblems(problems) };
}

/**
 * A rules path that does not exist, said in one line (an ENOENT error, so commands report it as an
 * I/O error): the default `rules/` of a folder without a config, or a path given on the command line.
 */
function missingPath(abs: string, isDefault: boolean, opts: LoadOptions): Error {
  const shown = displayName(abs, opts.cwd);
  const message = isDefault
    ? `no rules to read: ${displayName(opts.configPath, opts.cwd)} does not exist and neither does ${shown}/ ` +
      '(run `tailwatch init` to start a project, or give -c CONFIG or rule files and folders)'
    : `${shown}: no such file or folder`;
  return Object.assign(new Error(message), { code: 'ENOENT' });
}

/** Like `loadAll` but throws `UserError` when there is any error. */
export async function loadProject(opts: LoadOptions): Promise<{ config: Config; ruleSet: RuleSet; warnings: readonly Problem[] }> {
  const loaded = await loadAll(opts);
  const errors = loaded.problems.filter((p) => p.severity === 'error');
  if (errors.length > 0) throw new UserError(errors);
  return { config: loaded.config, ruleSet: loaded.ruleSet, warnings: loaded.problems.filter((p) => p.severity === 'warning') };
}

/** Loads only the given rule files against an already loaded config (rule unit tests). */
export async function loadRuleFiles(files: readonly string[], config: Config, cwd = process.cwd()): Promise<{ ruleSet: RuleSet; problems: readonly Problem[] }> {
  const problems: Problem[] = [];
  const abs = files.map((f) => path.resolve(cwd, f));
  const { rules } = await loadFiles(abs, { config }, cwd, problems);
  return { ruleSet: Object.freeze({ rules: Object.freeze(rules), files: Object.freeze(abs) }), problems: sortProblems(problems) };
}

async function loadFiles(
  files: readonly string[],
  cfg: Pick<ConfigFileResult, 'config' | 'destinationNames'> & { problems?: readonly Problem[] },
  cwd: string,
  problems: Problem[],
  named: ReadonlySet<string> = new Set(files),
): Promise<{ rules: Rule[]; defined: number }> {
  const ctx = {
    defaults: cfg.config.defaults,
    // Without a config file there are no destinations to check `notify` against.
    destinations: cfg.config.file ? new Set(cfg.destinationNames ?? Object.keys(cfg.config.destinations)) : undefined,
    region: cfg.config.aws.region,
    defaultsKnown: !(cfg.problems ?? []).some((p) => p.severity === 'error'),
  };
  const rules: Rule[] = [];
  const firstSeen = new Map<string, () => SourcePos>();
  const dup = new Set<string>();
  let defined = 0;
  for (const file of files) {
    const display = displayName(file, cwd);
    let text: string;
    try {
      text = await readInputFile(file, display);
    } catch (err) {
      // A file found in a rules folder is one problem among the others; one named on the command line is an I/O error.
      if (!(err instanceof InputFileError) || named.has(file)) throw err;
      problems.push(pathProblem(display, err.reason, 'io'));
      continue;
    }
    const result = parseRuleFile(file, display, text, ctx);
    // One at a time: a file can hold hundreds of thousands (a spread would overflow the stack).
    for (const p of result.problems) problems.push(p);
    defined += result.ids.length;
    for (const { id, locate } of result.ids) {
      const locateFirst = firstSeen.get(id);
      if (!locateFirst) {
        firstSeen.set(id, locate);
        continue;
      }
      const first = locateFirst();
      const pos = locate();
      dup.add(id);
      // Report both places, each pointing at the other.
      problems.push({ ...first, message: `duplicate rule id "${id}" (also defined at ${pos.file}:${pos.line}:${pos.col})`, code: 'duplicate-id', severity: 'error', ruleId: id });
      problems.push({ ...pos, message: `duplicate rule id "${id}" (first defined at ${first.file}:${first.line}:${first.col})`, code: 'duplicate-id', severity: 'error', ruleId: id });
    }
    for (const r of result.rules) rules.push(r);
  }
  return { rules: rules.filter((r) => !dup.has(r.id)), defined };
}

/**
 * An otherwise valid set without a rule to run (no rule file, empty files,
 * every rule disabled): a warning, since the daemon would watch nothing
 * (`/readyz` answers 503 until rules come). At `rules.paths` when the config
 * sets it, else at the rules folder (no position).
 */
function emptyRuleSetWarning(files: number, defined: number, opts: LoadOptions, cfg: ConfigFileResult, firstTarget: string): Problem {
  const what = files === 0 ? 'no rule files (*.yaml, *.yml) found' : defined === 0 ? `no rules in ${files} rule file(s)` : `all ${defined} rule(s) are disabled`;
  const message = `${what}: \`tailwatch run\` would watch nothing and /readyz would answer 503; set rules: { allowEmpty: true } if an empty rule set is intended`;
  const written = cfg.source?.toJS() as { rules?: { paths?: unknown } } | undefined;
  if (!opts.rulePaths && cfg.source && written?.rules?.paths !== undefined) {
    return cfg.source.problem(['rules', 'paths'], `rules.paths: ${message}`, 'no-rules', { severity: 'warning' });
  }
  return pathProblem(displayName(firstTarget, opts.cwd), message, 'no-rules', 'warning');
}

/** Without repeats; files in the order they were read, positions ascending within a file. */
function sortProblems(problems: readonly Problem[]): Problem[] {
  const seen = new Set<string>();
  const fileOrder = new Map<string, number>();
  const unique = problems.filter((p) => {
    if (!fileOrder.has(p.file)) fileOrder.set(p.file, fileOrder.size);
    const key = `${p.file}:${p.line}:${p.col}:${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique.sort((a, b) => fileOrder.get(a.file)! - fileOrder.get(b.file)! || a.line - b.line || a.col - b.col);
}
