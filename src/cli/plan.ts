/**
 * `tailwatch plan [--format text|json]`: the Live Tail sessions `run` would
 * open (SPEC §2, §6). With `aws.accountId` it needs no network; otherwise log
 * group names are looked up with DescribeLogGroups. Exit 0 when every rule
 * has a session, 1 when some rule is unplaced (the checked thing failed),
 * 2 when a log group could not be looked up (endpoint unreachable: I/O error).
 */
import { loadProject } from '../config/load.js';
import { formatProblem } from '../problems.js';
import { ClientPool, MINUTES_A_MONTH, planSessions, resolveArns, sessionJson, type Plan } from '../livetail/index.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CommandDef } from './command.js';

export function formatPlanText(plan: Plan, info: { strategy: string; maxConcurrent: number; pricePerMinute: number }): string {
  const usd = (x: number): string => `$${x.toFixed(2)}`;
  const lines: string[] = [];
  const n = plan.sessions.length;
  lines.push(`Live Tail plan: ${n} session${n === 1 ? '' : 's'} (strategy ${info.strategy}, at most ${info.maxConcurrent} per region)`);
  for (const s of plan.sessions) {
    lines.push('');
    lines.push(`${s.id}  ${s.region}  ${MINUTES_A_MONTH} session-minutes/month  ${usd(s.monthlyCost)}/month`);
    lines.push(`  log groups:      ${s.params.logGroupIdentifiers.join('\n                   ')}`);
    if (s.params.logStreamNames) lines.push(`  log streams:     ${s.params.logStreamNames.join(', ')}`);
    if (s.params.logStreamNamePrefixes) lines.push(`  stream prefixes: ${s.params.logStreamNamePrefixes.join(', ')}`);
    lines.push(`  filter pattern:  ${s.params.logEventFilterPattern ?? '(none: every event, each rule filters locally)'}`);
    lines.push(`  rules:           ${s.rules.join(', ')}`);
  }
  if (plan.unplaced.length > 0) {
    lines.push('');
    lines.push(`Unplaced rules (${plan.unplaced.length}):`);
    for (const u of plan.unplaced) lines.push(`  ${u.rule}: ${u.reason}`);
  }
  lines.push('');
  lines.push(`Total: ${n} session${n === 1 ? '' : 's'}, ${n * MINUTES_A_MONTH} session-minutes/month, ${usd(plan.monthlyCost)}/month at $${info.pricePerMinute} per session-minute`);
  return lines.join('\n') + '\n';
}

export const planCommand: CommandDef = {
  name: 'plan',
  summary: 'print the Live Tail sessions run would open',
  configure: (c) => c.option('--format <format>', 'text | json', 'text'),
  async run({ opts, io, configPath, configExplicit }) {
    const format = String(opts['format'] ?? 'text');
    if (format !== 'text' && format !== 'json') {
      io.stderr.write(`tailwatch plan: --format must be text or json, not "${format}"\n`);
      return EXIT_USAGE;
    }
    const { config, ruleSet, warnings } = await loadProject({ configPath, configRequired: configExplicit, env: io.env, cwd: io.cwd });
    for (const w of warnings) io.stderr.write(formatProblem(w) + '\n');
    const pool = new ClientPool(config.aws, io.env);
    let plan: Plan;
    const lookupFailures = new Set<string>();
    try {
      const resolver = await resolveArns(ruleSet, config, (region) => pool.get(region, 'api'));
      plan = planSessions(ruleSet, config, (region, name) => {
        const r = resolver(region, name);
        if (typeof r !== 'string' && r.lookupFailed) lookupFailures.add(r.unresolved);
        return r;
      });
    } finally {
      pool.destroy();
    }
    // The endpoint could not be asked (unreachable, refused): no plan to show — an I/O error.
    if (lookupFailures.size > 0) {
      const [first] = lookupFailures;
      const more = lookupFailures.size > 1 ? ` (and ${lookupFailures.size - 1} more)` : '';
      io.stderr.write(`tailwatch plan: ${first}${more}\n`);
      return EXIT_USAGE;
    }
    // A rule served on only some of its log groups is reported with the unplaced ones (SPEC §2 has no other list).
    const unplaced = [...plan.unplaced, ...plan.partlyServed.map((u) => ({ rule: u.rule, reason: `some of its log groups are unavailable: ${u.reason}` }))].sort((a, b) => (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
    plan = { ...plan, unplaced };
    if (format === 'json') {
      io.stdout.write(JSON.stringify({ sessions: plan.sessions.map(sessionJson), unplaced: plan.unplaced, monthlyCost: plan.monthlyCost }, null, 2) + '\n');
    } else {
      io.stdout.write(formatPlanText(plan, { strategy: config.sessions.strategy, maxConcurrent: config.sessions.maxConcurrent, pricePerMinute: config.sessions.pricePerMinute }));
    }
    return plan.unplaced.length > 0 ? EXIT_FAILED : EXIT_OK;
  },
};
