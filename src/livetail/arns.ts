/**
 * Log group names → ARNs: from `aws.accountId` with no network, else with
 * DescribeLogGroups (`logGroupNamePrefix` = the name, the exact match's
 * `logGroupArn`). STS GetCallerIdentity would need @aws-sdk/client-sts,
 * which the project does not depend on.
 */
import { DescribeLogGroupsCommand, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { Config, RuleSet } from '../model/config.js';
import { describeError } from './errors.js';
import { accountArnResolver, type ArnResolver } from './planner.js';
import { groupRefusalText, parseGroupArn } from './spec.js';

export async function resolveArns(ruleSet: RuleSet, config: Config, clientFor: (region: string) => CloudWatchLogsClient): Promise<ArnResolver> {
  if (config.aws.accountId) return accountArnResolver(config.aws.accountId);
  const wanted = new Map<string, Set<string>>();
  for (const r of ruleSet.rules) {
    if (!r.enabled) continue;
    const region = r.source.region ?? config.aws.region;
    if (!region) continue;
    for (const g of r.source.logGroups) {
      if (g.startsWith('arn:')) continue;
      const set = wanted.get(region) ?? new Set<string>();
      set.add(g);
      wanted.set(region, set);
    }
  }
  const found = new Map<string, string | { unresolved: string; lookupFailed?: boolean }>();
  await Promise.all(
    [...wanted].flatMap(([region, names]) =>
      [...names].map(async (name) => {
        found.set(`${region}\n${name}`, await describe(clientFor(region), region, name));
      }),
    ),
  );
  // A group not found is named with the account of the region's groups that were (when one was).
  const accounts = new Map<string, string>();
  for (const [key, r] of found) {
    const account = typeof r === 'string' ? parseGroupArn(r)?.account : undefined;
    if (account) accounts.set(key.split('\n')[0]!, account);
  }
  for (const [key, r] of found) {
    if (typeof r === 'string' || r.lookupFailed) continue;
    const [region, name] = key.split('\n') as [string, string];
    found.set(key, { unresolved: groupRefusalText(name, region, 'not-found', accounts.get(region)) });
  }
  return (region, name) => found.get(`${region}\n${name}`) ?? { unresolved: `log group "${name}" was not looked up in ${region}` };
}

async function describe(client: CloudWatchLogsClient, region: string, name: string): Promise<string | { unresolved: string; lookupFailed?: boolean }> {
  let nextToken: string | undefined;
  try {
    for (let page = 0; page < 20; page++) {
      const res = await client.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name, nextToken }));
      for (const g of res.logGroups ?? []) {
        if (g.logGroupName !== name) continue;
        const arn = g.logGroupArn ?? g.arn;
        if (arn) return arn.endsWith(':*') ? arn.slice(0, -2) : arn;
      }
      nextToken = res.nextToken;
      if (!nextToken) break;
    }
  } catch (err) {
    return { unresolved: `cannot look up log group "${name}" in ${region}: ${describeError(err)}`, lookupFailed: true };
  }
  return { unresolved: groupRefusalText(name, region, 'not-found') };
}
