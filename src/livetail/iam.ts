/**
 * The least-privilege IAM policy for a rule set (`tailwatch iam-policy`):
 * what the daemon calls, on exactly the log groups its rules name.
 * - `logs:StartLiveTail` (the sessions), `logs:FilterLogEvents` (backfill,
 *   completion of sampled seconds, the probe of a refused group) on each log
 *   group ARN, and that ARN with `:*` (the form DescribeLogGroups' `arn` and
 *   older policies use; IAM matches resources as strings, so both are listed).
 *   Cross-account ARNs a rule names are listed as they are, in their partition.
 * - `logs:DescribeLogGroups`, which IAM authorizes on the whole account and
 *   region (`log-group:*`, it is a List action), for the accounts and regions
 *   of the log groups named by name: `run` looks names up with it when
 *   `aws.accountId` is unset, `doctor` checks that groups exist with it.
 * No `sts:GetCallerIdentity`: nothing in tailwatch calls STS (names become
 * ARNs from `aws.accountId` or DescribeLogGroups, ./arns.ts).
 */
import type { Config, RuleSet } from '../model/config.js';
import type { ArnResolver } from './planner.js';
import { parseGroupArn } from './spec.js';

export interface IamStatement {
  readonly Sid: string;
  readonly Effect: 'Allow';
  readonly Action: readonly string[];
  readonly Resource: readonly string[];
}

export interface IamPolicy {
  readonly Version: '2012-10-17';
  readonly Statement: readonly IamStatement[];
}

/** One log group the policy covers, and the rules that name it. */
export interface PolicyGroup {
  readonly arn: string;
  readonly rules: readonly string[];
  /** Named by name (looked up with DescribeLogGroups), not by ARN. */
  readonly byName: boolean;
}

export interface PolicyPlan {
  readonly policy: IamPolicy;
  readonly groups: readonly PolicyGroup[];
  /** Log groups left out: no ARN could be made for them (the reason says why; `needsAccount`: `aws.accountId` would give one). */
  readonly missing: readonly { readonly rule: string; readonly reason: string; readonly needsAccount: boolean }[];
}

export const LOG_GROUP_ACTIONS = ['logs:StartLiveTail', 'logs:FilterLogEvents'] as const;
export const DESCRIBE_ACTION = 'logs:DescribeLogGroups';

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The policy for the enabled rules. `resolveArn` turns names into ARNs as the
 * daemon does; a name it cannot resolve (not found) still gets an ARN when the
 * account of its region is known from another group, as the daemon would find it
 * there once it exists.
 */
export function buildIamPolicy(ruleSet: RuleSet, config: Config, resolveArn: ArnResolver): PolicyPlan {
  const groups = new Map<string, { rules: Set<string>; byName: boolean }>();
  const pending: { rule: string; region: string; name: string; reason: string }[] = [];
  const add = (arn: string, rule: string, byName: boolean): void => {
    const g = groups.get(arn) ?? { rules: new Set<string>(), byName };
    g.rules.add(rule);
    groups.set(arn, g);
  };
  for (const rule of ruleSet.rules) {
    if (!rule.enabled) continue;
    for (const g of rule.source.logGroups) {
      if (g.startsWith('arn:')) {
        const arn = g.endsWith(':*') ? g.slice(0, -2) : g;
        if (parseGroupArn(arn)) add(arn, rule.id, false);
        else pending.push({ rule: rule.id, region: '', name: g, reason: `"${g}" is not a log group ARN` });
        continue;
      }
      const region = rule.source.region ?? config.aws.region;
      if (!region) {
        pending.push({ rule: rule.id, region: '', name: g, reason: `no region for log group "${g}" (set aws.region)` });
        continue;
      }
      const r = resolveArn(region, g);
      if (typeof r === 'string') add(r, rule.id, true);
      else pending.push({ rule: rule.id, region, name: g, reason: r.unresolved });
    }
  }
  // The account (and partition) of each region, from the groups resolved by name.
  const accounts = new Map<string, { partition: string; account: string }>();
  for (const [arn, g] of groups) {
    const a = parseGroupArn(arn);
    if (a && g.byName && !accounts.has(a.region)) accounts.set(a.region, { partition: a.partition, account: a.account });
  }
  const missing: { rule: string; reason: string; needsAccount: boolean }[] = [];
  for (const p of pending) {
    const acct = p.region ? accounts.get(p.region) : undefined;
    if (acct) add(`arn:${acct.partition}:logs:${p.region}:${acct.account}:log-group:${p.name}`, p.rule, true);
    else missing.push({ rule: p.rule, reason: p.reason, needsAccount: p.region !== '' });
  }
  const arns = [...groups.keys()].sort(cmp);
  const describe = new Set<string>();
  for (const arn of arns) {
    const a = parseGroupArn(arn)!;
    if (groups.get(arn)!.byName) describe.add(`arn:${a.partition}:logs:${a.region}:${a.account}:log-group:*`);
  }
  const statements: IamStatement[] = [];
  if (arns.length > 0) {
    statements.push({ Sid: 'TailwatchLiveTail', Effect: 'Allow', Action: [...LOG_GROUP_ACTIONS], Resource: arns.flatMap((a) => [a, `${a}:*`]) });
  }
  if (describe.size > 0) statements.push({ Sid: 'TailwatchDescribeLogGroups', Effect: 'Allow', Action: [DESCRIBE_ACTION], Resource: [...describe].sort(cmp) });
  return {
    policy: { Version: '2012-10-17', Statement: statements },
    groups: arns.map((arn) => ({ arn, rules: [...groups.get(arn)!.rules].sort(cmp), byName: groups.get(arn)!.byName })),
    missing,
  };
}

/** IAM's string match of a resource pattern: `*` any run of characters, `?` one. */
function resourceMatches(pattern: string, resource: string): boolean {
  const re = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$', 's');
  return re.test(resource);
}

/** Whether the policy's Allow statements grant `action` on `resource` (no Deny, no conditions: the policy has neither). */
export function policyAllows(policy: IamPolicy, action: string, resource: string): boolean {
  return policy.Statement.some((s) => s.Effect === 'Allow' && s.Action.includes(action) && s.Resource.some((r) => resourceMatches(r, resource)));
}
