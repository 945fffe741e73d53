/**
 * Loading entry points (public surface of config/). Placeholder signatures;
 * the implementation lands with the foundation issue.
 */
import type { Problem } from '../problems.js';
import { UserError } from '../problems.js';
import type { Config, RuleSet } from './model.js';

export interface LoadOptions {
  /** Absolute path of the config file. */
  readonly configPath: string;
  /** When false, a missing config file means built-in defaults (rule paths: `rules/` under cwd). */
  readonly configRequired: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Replaces the config's `rules.paths` (files or folders, relative to cwd). */
  readonly rulePaths?: readonly string[] | undefined;
}

export interface Loaded {
  readonly config: Config;
  readonly ruleSet: RuleSet;
  /** Errors and warnings, positioned. Any error means `ruleSet` must not be used. */
  readonly problems: readonly Problem[];
}

/** Reads and validates config and rules; never throws for user mistakes. */
export async function loadAll(_opts: LoadOptions): Promise<Loaded> {
  throw new Error('config loading not implemented yet');
}

/** Like `loadAll` but throws `UserError` when there is any error. */
export async function loadProject(opts: LoadOptions): Promise<{ config: Config; ruleSet: RuleSet; warnings: readonly Problem[] }> {
  const loaded = await loadAll(opts);
  const errors = loaded.problems.filter((p) => p.severity === 'error');
  if (errors.length > 0) throw new UserError(errors);
  return { config: loaded.config, ruleSet: loaded.ruleSet, warnings: loaded.problems.filter((p) => p.severity === 'warning') };
}

/** Loads only the given rule files against an already loaded config (rule unit tests). */
export async function loadRuleFiles(_files: readonly string[], _config: Config): Promise<{ ruleSet: RuleSet; problems: readonly Problem[] }> {
  throw new Error('rule loading not implemented yet');
}
