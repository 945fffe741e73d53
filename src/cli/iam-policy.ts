/**
 * `tailwatch iam-policy [--format text|json]`: the least-privilege IAM policy
 * for the configured rules (../livetail/iam.ts says what it grants and why).
 * With `aws.accountId` it needs no network; otherwise log group names are
 * looked up with DescribeLogGroups, as `run` does. `json` prints the policy
 * document alone (for `aws iam put-role-policy --policy-document file://…`);
 * `text` prints what it covers, how to attach it, then the document.
 * Exit 0 when every log group is in the policy, 1 when some could not be
 * (no account known for a name not found), 2 when the lookup failed.
 */
import { loadProject } from '../config/load.js';
import { buildIamPolicy, type PolicyPlan } from '../livetail/iam.js';
import { ClientPool, resolveArns } from '../livetail/index.js';
import { formatProblem } from '../problems.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CommandDef } from './command.js';

export function formatPolicyText(plan: PolicyPlan): string {
  const lines: string[] = [];
  const n = plan.groups.length;
  lines.push(`# Least-privilege IAM policy for tailwatch: ${n} log group${n === 1 ? '' : 's'}`);
  lines.push('#   logs:StartLiveTail, logs:FilterLogEvents (Live Tail sessions, backfill, completion, polled rules) on:');
  for (const g of plan.groups) lines.push(`#     ${g.arn}  (rules: ${g.rules.join(', ')})`);
  if (plan.policy.Statement.some((s) => s.Sid === 'TailwatchDescribeLogGroups')) {
    lines.push('#   logs:DescribeLogGroups on the accounts and regions of the groups named by name');
    lines.push('#     (run looks names up with it when aws.accountId is unset; doctor checks the groups exist)');
  }
  for (const m of plan.missing) lines.push(`#   not in the policy: rule ${m.rule}: ${m.reason}`);
  lines.push('# Attach it to the role or user tailwatch runs as, e.g.:');
  lines.push('#   tailwatch iam-policy --format json > tailwatch-policy.json');
  lines.push('#   aws iam put-role-policy --role-name tailwatch --policy-name tailwatch-live-tail --policy-document file://tailwatch-policy.json');
  return lines.join('\n') + '\n' + JSON.stringify(plan.policy, null, 2) + '\n';
}

export const iamPolicyCommand: CommandDef = {
  name: 'iam-policy',
  summary: 'print the least-privilege IAM policy for the configured rules',
  configure: (c) => c.option('--format <format>', 'text | json', 'text'),
  async run({ opts, io, configPath, configExplicit }) {
    const format = String(opts['format'] ?? 'text');
    if (format !== 'text' && format !== 'json') {
      io.stderr.write(`tailwatch iam-policy: --format must be text or json, not "${format}"\n`);
      return EXIT_USAGE;
    }
    const { config, ruleSet, warnings } = await loadProject({ configPath, configRequired: configExplicit, env: io.env, cwd: io.cwd });
    for (const w of warnings) io.stderr.write(formatProblem(w) + '\n');
    const pool = new ClientPool(config.aws, io.env);
    let plan: PolicyPlan;
    const lookupFailures: string[] = [];
    try {
      const resolver = await resolveArns(ruleSet, config, (region) => pool.get(region, 'api'));
      plan = buildIamPolicy(ruleSet, config, (region, name) => {
        const r = resolver(region, name);
        if (typeof r !== 'string' && r.lookupFailed) lookupFailures.push(r.unresolved);
        return r;
      });
    } finally {
      pool.destroy();
    }
    if (lookupFailures.length > 0) {
      io.stderr.write(`tailwatch iam-policy: ${lookupFailures[0]}${lookupFailures.length > 1 ? ` (and ${lookupFailures.length - 1} more)` : ''}; set aws.accountId to print the policy without calling AWS\n`);
      return EXIT_USAGE;
    }
    io.stdout.write(format === 'json' ? JSON.stringify(plan.policy, null, 2) + '\n' : formatPolicyText(plan));
    for (const m of plan.missing) io.stderr.write(`tailwatch iam-policy: rule ${m.rule}: not in the policy: ${m.reason}${m.needsAccount && !config.aws.accountId ? ' (set aws.accountId to include it)' : ''}\n`);
    return plan.missing.length > 0 ? EXIT_FAILED : EXIT_OK;
  },
};
