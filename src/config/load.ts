/**
 * Loading entry points (public surface of config/): the config file, then
 * every rule file, then cross-file checks. All problems of one run are
 * collected; a set with any error must not replace a running one.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Problem } from '../problems.js';
import { UserError } from '../problems.js';
import { displayName, readConfig, type ConfigFileResult } from './config.js';
import { findRuleFiles } from './discover.js';
import type { Config, Rule, RuleSet, SourcePos } from './model.js';
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

/** Reads and validates config and rules; never throws for user mistakes (a missing explicit config or path throws ENOENT). */
export async function loadAll(opts: LoadOptions): Promise<Loaded> {
  const cfg = await readConfig({ ...opts, now: opts.now ?? Date.now() });
  const problems: Problem[] = [...cfg.problems];
  const targets = opts.rulePaths
    ? opts.rulePaths.map((p) => ({ abs: path.resolve(opts.cwd, p), configIndex: undefined }))
    : cfg.config.rules.paths.map((abs, i) => ({ abs, configIndex: i }));

  const files: string[] = [];
  for (const t of targets) {
    try {
      for (const f of await findRuleFiles(t.abs)) if (!files.includes(f) && f !== opts.configPath) files.push(f);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      if (t.configIndex === undefined || !cfg.source) throw missingPath(t.abs, t.configIndex !== undefined, opts);
      // A rules path named in the config that does not exist: point at it in the config.
      problems.push(cfg.source.problem(['rules', 'paths', t.configIndex], `rules.paths[${t.configIndex}]: no such file or folder`, 'rules-path'));
    }
  }
  const rules = await loadFiles(files, cfg, opts.cwd, problems);
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
  const rules = await loadFiles(abs, { config }, cwd, problems);
  return { ruleSet: Object.freeze({ rules: Object.freeze(rules), files: Object.freeze(abs) }), problems: sortProblems(problems) };
}

async function loadFiles(files: readonly string[], cfg: Pick<ConfigFileResult, 'config' | 'destinationNames'> & { problems?: readonly Problem[] }, cwd: string, problems: Problem[]): Promise<Rule[]> {
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
  for (const file of files) {
    const text = await readFile(file, 'utf8');
    const result = parseRuleFile(file, displayName(file, cwd), text, ctx);
    problems.push(...result.problems);
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
    rules.push(...result.rules);
  }
  return rules.filter((r) => !dup.has(r.id));
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
