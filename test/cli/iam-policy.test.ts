// `tailwatch iam-policy`: the document's shape, and that it grants what every planned session
// (every strategy) and its backfill call, on exactly the rules' log groups.
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProject } from '../../src/config/load.js';
import { SESSION_STRATEGIES } from '../../src/model/config.js';
import { buildIamPolicy, policyAllows, type IamPolicy } from '../../src/livetail/iam.js';
import { accountArnResolver, planSessions } from '../../src/livetail/index.js';
import { runCli } from '../kit/cli.js';
import { startEmulator, type StartedEmulator } from '../kit/emulator.js';
import { makeProject } from '../kit/project.js';

let emu: StartedEmulator | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

const CONFIG = (aws: string) => `aws: { region: us-east-1${aws} }
destinations: { out: { type: console } }
defaults: { notify: [out] }
`;

function manyRules(): string {
  const out = ['rules:'];
  for (let j = 0; j < 30; j++) out.push(`  - id: r${String(j).padStart(2, '0')}\n    source:\n      logGroups: [/svc/g${j % 12}]\n      filterPattern: ERROR${j}`);
  out.push('  - id: cross\n    source: { logGroups: ["arn:aws:logs:eu-west-1:999999999999:log-group:/shared/audit"] }');
  out.push('  - id: china\n    source: { logGroups: ["arn:aws-cn:logs:cn-north-1:222222222222:log-group:/cn/app"] }');
  out.push('  - id: gov\n    source: { logGroups: ["arn:aws-us-gov:logs:us-gov-west-1:111111111111:log-group:/gov/app"] }');
  out.push('  - id: off\n    enabled: false\n    source: { logGroups: [/disabled/group] }');
  return out.join('\n') + '\n';
}

const policyOf = async (dir: string, ...args: string[]) => runCli(['iam-policy', '-c', path.join(dir, 'tailwatch.yaml'), ...args], { cwd: dir, env: {} });

describe('tailwatch iam-policy', () => {
  it('--format json: one Allow statement for the log groups (each ARN and ARN:*), one for DescribeLogGroups per account and region, nothing else', async () => {
    const dir = makeProject({ 'tailwatch.yaml': CONFIG(', accountId: "123456789012"'), 'rules/r.yaml': manyRules() });
    const r = await policyOf(dir, '--format', 'json');
    expect(r.code, r.stderr).toBe(0);
    const policy = JSON.parse(r.stdout) as IamPolicy;
    expect(Object.keys(policy)).toEqual(['Version', 'Statement']);
    expect(policy.Version).toBe('2012-10-17');
    expect(policy.Statement.map((s) => [s.Sid, s.Effect, s.Action])).toEqual([
      ['TailwatchLiveTail', 'Allow', ['logs:StartLiveTail', 'logs:FilterLogEvents']],
      ['TailwatchDescribeLogGroups', 'Allow', ['logs:DescribeLogGroups']],
    ]);
    const groups = policy.Statement[0]!.Resource.filter((a) => !a.endsWith(':*'));
    expect(policy.Statement[0]!.Resource).toEqual(groups.flatMap((a) => [a, `${a}:*`]));
    expect(groups).toEqual([
      ...Array.from({ length: 12 }, (_, i) => `arn:aws:logs:us-east-1:123456789012:log-group:/svc/g${i}`).sort(),
      'arn:aws:logs:eu-west-1:999999999999:log-group:/shared/audit', // another account's ARN, as named
      'arn:aws-cn:logs:cn-north-1:222222222222:log-group:/cn/app',
      'arn:aws-us-gov:logs:us-gov-west-1:111111111111:log-group:/gov/app', // the ARN's partition
    ].sort());
    expect(groups.some((a) => a.includes('/disabled/'))).toBe(false);
    // Describe is account-wide in IAM (a List action): only where groups are named by name.
    expect(policy.Statement[1]!.Resource).toEqual(['arn:aws:logs:us-east-1:123456789012:log-group:*']);
    // Names become ARNs in their region's partition (China, GovCloud), in the plan and the policy alike.
    expect(accountArnResolver('123456789012')('cn-north-1', '/cn/app')).toBe('arn:aws-cn:logs:cn-north-1:123456789012:log-group:/cn/app');
    expect(accountArnResolver('123456789012')('us-gov-east-1', '/g')).toBe('arn:aws-us-gov:logs:us-gov-east-1:123456789012:log-group:/g');
    expect(JSON.stringify(policy)).not.toMatch(/sts:|"\*"/);
  });

  it('covers every planned session’s log groups, for every strategy', async () => {
    const dir = makeProject({ 'tailwatch.yaml': CONFIG(', accountId: "123456789012"'), 'rules/r.yaml': manyRules() });
    const { config, ruleSet } = await loadProject({ configPath: path.join(dir, 'tailwatch.yaml'), configRequired: true, env: {}, cwd: dir });
    const resolver = accountArnResolver('123456789012');
    const { policy } = buildIamPolicy(ruleSet, config, resolver);
    let checked = 0;
    for (const strategy of SESSION_STRATEGIES) {
      const plan = planSessions(ruleSet, { ...config, sessions: { ...config.sessions, strategy } }, resolver);
      expect(plan.unplaced).toEqual([]);
      for (const s of plan.sessions) {
        for (const arn of s.params.logGroupIdentifiers) {
          for (const action of ['logs:StartLiveTail', 'logs:FilterLogEvents']) expect(policyAllows(policy, action, arn), `${strategy} ${action} ${arn}`).toBe(true);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(3 * 14);
    // And nothing more: another group, another account, another action.
    expect(policyAllows(policy, 'logs:StartLiveTail', 'arn:aws:logs:us-east-1:123456789012:log-group:/svc/other')).toBe(false);
    expect(policyAllows(policy, 'logs:StartLiveTail', 'arn:aws:logs:us-east-1:123456789013:log-group:/svc/g1')).toBe(false);
    expect(policyAllows(policy, 'logs:PutLogEvents', 'arn:aws:logs:us-east-1:123456789012:log-group:/svc/g1')).toBe(false);
  });

  it('text: what it covers and how to attach it, then the same document', async () => {
    const dir = makeProject({ 'tailwatch.yaml': CONFIG(', accountId: "123456789012"'), 'rules/r.yaml': 'rules:\n  - id: pay\n    source: { logGroups: [/ecs/payments] }\n' });
    const text = await policyOf(dir);
    const json = await policyOf(dir, '--format', 'json');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('#     arn:aws:logs:us-east-1:123456789012:log-group:/ecs/payments  (rules: pay)\n');
    expect(text.stdout).toContain('#   aws iam put-role-policy --role-name tailwatch --policy-name tailwatch-live-tail --policy-document file://tailwatch-policy.json\n');
    expect(text.stdout.slice(text.stdout.indexOf('\n{') + 1)).toBe(json.stdout);
  });

  it('without aws.accountId: names are looked up (the emulator’s account); a group not found yet gets the account of the others; unreachable: exit 2', async () => {
    emu = await startEmulator({ updateIntervalMs: 0, accountId: '210987654321' });
    emu.emulator.ingest([{ logGroup: '/ecs/payments', logStream: 's', timestamp: Date.now(), message: 'x' }]);
    const rules = 'rules:\n  - id: pay\n    source: { logGroups: [/ecs/payments] }\n  - id: later\n    source: { logGroups: [/aws/lambda/later] }\n';
    const dir = makeProject({ 'tailwatch.yaml': CONFIG(`, endpoint: "${emu.endpoint}"`), 'rules/r.yaml': rules });
    const r = await policyOf(dir, '--format', 'json');
    expect(r.code, r.stderr).toBe(0);
    const policy = JSON.parse(r.stdout) as IamPolicy;
    expect(policy.Statement[0]!.Resource.filter((a) => !a.endsWith(':*'))).toEqual(['arn:aws:logs:us-east-1:210987654321:log-group:/aws/lambda/later', 'arn:aws:logs:us-east-1:210987654321:log-group:/ecs/payments']);
    expect(policy.Statement[1]!.Resource).toEqual(['arn:aws:logs:us-east-1:210987654321:log-group:*']);

    const endpoint = emu.endpoint;
    await emu.close();
    emu = undefined;
    const down = await policyOf(makeProject({ 'tailwatch.yaml': CONFIG(`, endpoint: "${endpoint}"`), 'rules/r.yaml': rules }));
    expect(down.code).toBe(2);
    expect(down.stderr).toMatch(/^tailwatch iam-policy: cannot look up log group "\/[a-z/]+" in us-east-1: ECONNREFUSED .* \(and 1 more\); set aws\.accountId to print the policy without calling AWS\n$/);
  });

  it('a name without an account to put it in (none found, no aws.accountId) is named on stderr, exit 1', async () => {
    emu = await startEmulator({ updateIntervalMs: 0 });
    const dir = makeProject({ 'tailwatch.yaml': CONFIG(`, endpoint: "${emu.endpoint}"`), 'rules/r.yaml': 'rules:\n  - id: later\n    source: { logGroups: [/aws/lambda/later] }\n' });
    const r = await policyOf(dir, '--format', 'json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({ Version: '2012-10-17', Statement: [] });
    expect(r.stderr).toBe('tailwatch iam-policy: rule later: not in the policy: log group /aws/lambda/later not found in us-east-1 (set aws.accountId to include it)\n');
  });

  it('a name without a region is named on stderr with what to set, exit 1', async () => {
    const dir = makeProject({ 'tailwatch.yaml': 'destinations: { out: { type: console } }\ndefaults: { notify: [out] }\n', 'rules/r.yaml': 'rules:\n  - id: pay\n    source: { logGroups: [/ecs/payments] }\n' });
    const r = await policyOf(dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('#   not in the policy: rule pay: no region for log group "/ecs/payments" (set aws.region)\n');
    expect(r.stderr).toBe('tailwatch iam-policy: rule pay: not in the policy: no region for log group "/ecs/payments" (set aws.region)\n');
  });
});

describe('tailwatch iam-policy: a source that assumes a role', () => {
  const ROLE = 'arn:aws:iam::123456789012:role/tailwatch-reader';
  const RULE = 'rules:\n  - id: a\n    source: { logGroups: [/app/api] }\n';

  it('text: the policy is the role’s; the base identity is told it needs sts:AssumeRole on the role (no external id printed)', async () => {
    const dir = makeProject({ 'tailwatch.yaml': CONFIG(`, accountId: "123456789012", profile: ops, roleArn: "${ROLE}", externalId: ext-secret-id`), 'rules/r.yaml': RULE });
    const r = await policyOf(dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`# The policy above is for role ${ROLE}. The base identity (the role or user of profile ops) needs\n#   {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "${ROLE}"}\n`);
    expect(r.stdout).toContain('{"StringEquals": {"sts:ExternalId": "<the source\'s externalId>"}}');
    expect(r.stdout).not.toContain('ext-secret-id');
  });

  it('--format json: only the role’s own policy, no sts:AssumeRole in it', async () => {
    const dir = makeProject({ 'tailwatch.yaml': CONFIG(`, accountId: "123456789012", roleArn: "${ROLE}"`), 'rules/r.yaml': RULE });
    const r = await policyOf(dir, '--format', 'json');
    expect(r.code, r.stderr).toBe(0);
    const policy = JSON.parse(r.stdout) as IamPolicy;
    expect(policy.Statement.flatMap((s) => s.Action)).not.toContain('sts:AssumeRole');
  });
});
