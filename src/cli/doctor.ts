/**
 * `tailwatch doctor [--live] [--format text|json]`: checks a setup against
 * the configured account (./doctor-checks.ts) and prints one line per
 * check, `ok` / `warn` / `fail` with what to do. Exit 1 on any fail, 0
 * otherwise (warnings included), 2 for usage errors or an invalid config.
 * No Live Tail session is opened unless `--live` (a session is billed per
 * minute); no alert is sent (`notify-test` does that).
 */
import { loadProject } from '../config/load.js';
import { configForSource, rulesForSource, shardPart } from '../config/sources.js';
import { formatProblem } from '../problems.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CommandDef } from './command.js';
import { runDoctor, type CheckResult } from './doctor-checks.js';

/** A named source's checks speak of its keys (`sources.us.region`), not `aws.region`. */
function sourceKeys(r: CheckResult, name: string): CheckResult {
  if (name === 'default') return r;
  const key = (text: string): string => text.replace(/\baws\.(region|profile|accountId|endpoint|filterLogEventsPerSecond)\b/g, `sources.${name}.$1`);
  return { ...r, message: key(r.message), ...(r.fix !== undefined ? { fix: key(r.fix) } : {}) };
}

export function formatDoctorText(results: readonly CheckResult[], live: boolean): string {
  // A log group's line names the group (`log group /x …`, `access denied to log group /x …`): no label.
  const label = (r: CheckResult): string => (r.check === 'log-group' ? '' : `${r.check}: `);
  const lines = results.map((r) => `${r.status.padEnd(4)}  ${r.source ? `source ${r.source}: ` : ''}${label(r)}${r.message}${r.fix && r.status !== 'ok' ? ` — ${r.fix}` : ''}`);
  const count = (s: CheckResult['status']): number => results.filter((r) => r.status === s).length;
  const fail = count('fail');
  const warn = count('warn');
  lines.push(`${fail} failed, ${warn} warning${warn === 1 ? '' : 's'}, ${count('ok')} ok${live ? '' : ' (Live Tail not opened: --live opens each planned session once, billed per session-minute)'}`);
  return lines.join('\n') + '\n';
}

export function doctorJson(results: readonly CheckResult[], live: boolean): Record<string, unknown> {
  const count = (s: CheckResult['status']): number => results.filter((r) => r.status === s).length;
  return { checks: results, summary: { ok: count('ok'), warn: count('warn'), fail: count('fail') }, live };
}

export const doctorCommand: CommandDef = {
  name: 'doctor',
  summary: 'check credentials, region, log groups, destinations, the plan and its cost, clock skew',
  configure: (c) => c.option('--live', 'also open each planned Live Tail session once (billed per session-minute)').option('--format <format>', 'text | json', 'text'),
  async run({ opts, io, configPath, configExplicit }) {
    const format = String(opts['format'] ?? 'text');
    if (format !== 'text' && format !== 'json') {
      io.stderr.write(`tailwatch doctor: --format must be text or json, not "${format}"\n`);
      return EXIT_USAGE;
    }
    const live = opts['live'] === true;
    const { config, ruleSet, warnings } = await loadProject({ configPath, configRequired: configExplicit, env: io.env, cwd: io.cwd });
    for (const w of warnings) io.stderr.write(formatProblem(w) + '\n');
    // Every source of this daemon's shard, in its own account and region; the destinations once.
    const names = shardPart(ruleSet, config).names;
    const several = config.sources !== undefined;
    const results: CheckResult[] = [];
    for (const [i, name] of names.entries()) {
      const checked = await runDoctor({ config: configForSource(config, name), ruleSet: rulesForSource(ruleSet, name), env: io.env, live, destinations: i === names.length - 1 });
      results.push(...(several ? checked.map((r) => (r.check === 'destination' ? r : { ...sourceKeys(r, name), source: name })) : checked));
    }
    io.stdout.write(format === 'json' ? JSON.stringify(doctorJson(results, live), null, 2) + '\n' : formatDoctorText(results, live));
    return results.some((r) => r.status === 'fail') ? EXIT_FAILED : EXIT_OK;
  },
};
