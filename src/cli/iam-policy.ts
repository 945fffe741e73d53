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
import type { AwsSource, Config, RuleSet } from '../model/config.js';
import { configForSource, rulesForSource, sourcesOf } from '../config/sources.js';
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
  configure: (c) => c.option('--format <format>', 'text | json', 'text').option('--source <name>', 'only the policy of this source (sources:; default: every source)'),
  async run({ opts, io, configPath, configExplicit }) {
    const format = String(opts['format'] ?? 'text');
    if (format !== 'text' && format !== 'json') {
      io.stderr.write(`tailwatch iam-policy: --format must be text or json, not "${format}"\n`);
      return EXIT_USAGE;
    }
    const { config, ruleSet, warnings } = await loadProject({ configPath, configRequired: configExplicit, env: io.env, cwd: io.cwd });
    for (const w of warnings) io.stderr.write(formatProblem(w) + '\n');
    // One policy per source: each source's credentials (its profile or role) get the policy of its own log groups.
    const all = new Map(sourcesOf(config));
    const several = config.sources !== undefined;
    const only = opts['source'] === undefined ? undefined : String(opts['source']);
    if (only !== undefined && !all.has(only)) {
      io.stderr.write(`tailwatch iam-policy: --source ${only}: no such source (${[...all.keys()].join(', ')})\n`);
      return EXIT_USAGE;
    }
    const names = only !== undefined ? [only] : [...all.keys()];
    const plans: { name: string; plan: PolicyPlan }[] = [];
    for (const name of names) {
      const plan = await policyOf(rulesForSource(ruleSet, name), configForSource(config, name), name === 'default' ? 'aws' : `sources.${name}`, io.env, (line) => io.stderr.write(`tailwatch iam-policy: ${several ? `source ${name}: ` : ''}${line}\n`));
      if (!plan) return EXIT_USAGE;
      plans.push({ name, plan });
    }
    if (!several || only !== undefined) {
      const { name, plan } = plans[0]!;
      io.stdout.write(format === 'json' ? JSON.stringify(plan.policy, null, 2) + '\n' : formatPolicyText(plan) + assumeRoleNote(all.get(name) ?? config.aws));
    } else if (format === 'json') {
      io.stdout.write(JSON.stringify({ sources: Object.fromEntries(plans.map(({ name, plan }) => [name, { region: all.get(name)?.region, accountId: all.get(name)?.accountId, credentials: credentialsText(all.get(name)!), policy: plan.policy }])) }, null, 2) + '\n');
    } else {
      for (const { name, plan } of plans) {
        const s = all.get(name)!;
        io.stdout.write(`# ===== Source ${name}: ${s.region ?? 'region from the environment'}${s.accountId ? `, account ${s.accountId}` : ''} — attach to ${credentialsText(s)} (tailwatch iam-policy --source ${name} --format json prints it alone)\n`);
        io.stdout.write(formatPolicyText(plan) + assumeRoleNote(s) + '\n');
      }
    }
    const missing = plans.flatMap(({ name, plan }) => plan.missing.map((m) => ({ ...m, name })));
    for (const m of missing) io.stderr.write(`tailwatch iam-policy: ${several ? `source ${m.name}: ` : ''}rule ${m.rule}: not in the policy: ${m.reason}${m.needsAccount && !all.get(m.name)?.accountId ? ` (set ${m.name === 'default' ? 'aws' : `sources.${m.name}`}.accountId to include it)` : ''}\n`);
    return missing.length > 0 ? EXIT_FAILED : EXIT_OK;
  },
};

/** Whose credentials a source's policy is for. */
function credentialsText(s: AwsSource): string {
  if (s.roleArn) return `role ${s.roleArn}`;
  return baseCredentialsText(s);
}

function baseCredentialsText(s: AwsSource): string {
  return s.profile ? `the role or user of profile ${s.profile}` : 'the role or user of the default credential chain';
}

/**
 * Guidance for a source that assumes a role (text form only: the JSON document is the role's own policy):
 * the base identity needs sts:AssumeRole on it, and the role's trust policy must let that identity in.
 */
function assumeRoleNote(s: AwsSource): string {
  if (!s.roleArn) return '';
  return (
    `# The policy above is for role ${s.roleArn}. The base identity (${baseCredentialsText(s)}) needs\n` +
    `#   {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "${s.roleArn}"}\n` +
    `# and the role's trust policy must allow that identity sts:AssumeRole${s.externalId ? ' with the condition {"StringEquals": {"sts:ExternalId": "<the source\'s externalId>"}}' : ''}.\n`
  );
}

/** One source's policy; undefined when a lookup failed (said through `fail`). */
async function policyOf(ruleSet: RuleSet, config: Config, key: string, env: Readonly<Record<string, string | undefined>>, fail: (line: string) => void): Promise<PolicyPlan | undefined> {
    const pool = new ClientPool(config.aws, env);
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
      fail(`${lookupFailures[0]}${lookupFailures.length > 1 ? ` (and ${lookupFailures.length - 1} more)` : ''}; set ${key}.accountId to print the policy without calling AWS`);
      return undefined;
    }
    return plan;
}
