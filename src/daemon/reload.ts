/**
 * What a reload takes from the files, decided before anything running
 * changes: all or nothing. `prepareReload` loads and validates config and
 * rules again and compiles every rule in a throwaway engine; only a set that
 * passes all of it is handed back to be applied (src/daemon/running.ts).
 */
import type { Logger } from 'pino';
import { loadAll, type Loaded, type LoadOptions } from '../config/load.js';
import { Engine } from '../engine/index.js';
import type { Config } from '../model/config.js';
import { formatProblem } from '../problems.js';

export type ReloadTrigger = 'signal' | 'watch';

/** `failed`: the files could not be read; `rejected`: they were read and are not valid. */
export type PreparedReload = { readonly ok: true; readonly loaded: Loaded } | { readonly ok: false; readonly result: 'failed' | 'rejected' };

/** Loads and checks the new rule set; logs why when it is not usable (the running rules stay). */
export async function prepareReload(o: { readonly load: LoadOptions; readonly running: Config; readonly trigger: ReloadTrigger; readonly log: Logger }): Promise<PreparedReload> {
  const { trigger, log } = o;
  let loaded: Loaded;
  try {
    loaded = await loadAll(o.load);
  } catch (err) {
    log.error({ trigger, error: (err as Error).message }, 'reload failed; the running rules stay');
    return { ok: false, result: 'failed' };
  }
  const errors = loaded.problems.filter((p) => p.severity === 'error');
  if (errors.length) {
    for (const e of errors) log.error({ problem: formatProblem(e), rule: e.ruleId }, 'invalid rule set');
    log.error({ trigger, errors: errors.length }, 'reload rejected; the running rules stay');
    return { ok: false, result: 'rejected' };
  }
  const needsRestart = restartOnlyChanges(o.running, loaded.config);
  if (needsRestart.length) log.warn({ keys: needsRestart }, 'config changes that need a restart were not applied');
  try {
    // Every rule compiles before the running engine changes (reload is all or nothing).
    new Engine({ rules: loaded.ruleSet });
  } catch (err) {
    log.error({ trigger, error: (err as Error).message }, 'reload rejected; the running rules stay');
    return { ok: false, result: 'rejected' };
  }
  return { ok: true, loaded };
}

/** The running config with what a reload applies from the new one: rules, defaults, silences. */
export function reloadedConfig(running: Config, next: Config): Config {
  return { ...running, rules: next.rules, defaults: next.defaults, silences: next.silences };
}

/** Config sections the running daemon does not re-apply (their stages are built once). */
function restartOnlyChanges(running: Config, next: Config): string[] {
  const keys = ['aws', 'destinations', 'delivery', 'sessions', 'state', 'server', 'heartbeat', 'log'] as const;
  return keys.filter((k) => JSON.stringify(running[k]) !== JSON.stringify(next[k]));
}
