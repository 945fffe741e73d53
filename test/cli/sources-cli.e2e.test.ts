// doctor and iam-policy with several sources: each source is checked in its own account and
// region (two emulators stand for two), and each gets its own policy document.
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../kit/cli.js';
import { startEmulator, type StartedEmulator } from '../kit/emulator.js';
import { makeProject } from '../kit/project.js';

let eu: StartedEmulator;
let us: StartedEmulator;

beforeEach(async () => {
  eu = await startEmulator({ updateIntervalMs: 0, region: 'eu-west-1', accountId: '111111111111' });
  us = await startEmulator({ updateIntervalMs: 0, region: 'us-east-1', accountId: '222222222222' });
  eu.emulator.ingest([{ logGroup: '/app', logStream: 's', timestamp: Date.now() - 10_000, message: 'x' }]);
  us.emulator.ingest([{ logGroup: '/web', logStream: 's', timestamp: Date.now() - 10_000, message: 'x' }]);
});

afterEach(async () => {
  await eu.close();
  await us.close();
});

const project = (accounts: boolean) =>
  makeProject({
    'tailwatch.yaml': `aws: { region: eu-west-1${accounts ? ', accountId: "111111111111"' : ''}, endpoint: "${eu.endpoint}" }
sources:
  us: { region: us-east-1${accounts ? ', accountId: "222222222222"' : ''}, endpoint: "${us.endpoint}", profile: prod-us }
rules: { paths: [rules] }
destinations: { out: { type: console } }
defaults: { notify: [out] }
`,
    'rules/r.yaml': `rules:
  - id: eu-app
    source: { logGroups: [/app] }
  - id: us-web
    source: { from: us, logGroups: [/web] }
  - id: us-missing
    source: { from: us, logGroups: [/missing] }
`,
  });

describe('doctor with several sources', () => {
  it('checks each source’s log groups in its own account and region and names the source on each line', async () => {
    const dir = project(false);
    const r = await runCli(['doctor', '-c', path.join(dir, 'tailwatch.yaml'), '--format', 'json'], { cwd: dir, env: {} });
    const out = JSON.parse(r.stdout) as { checks: { check: string; subject?: string; status: string; source?: string; message: string }[] };
    const groups = out.checks.filter((c) => c.check === 'log-group');
    expect(groups.map((c) => [c.source, c.subject, c.status])).toEqual(
      expect.arrayContaining([
        ['default', '/app', 'ok'],
        ['us', '/web', 'ok'],
        ['us', '/missing', 'fail'],
      ]),
    );
    expect(groups.find((c) => c.subject === '/missing')!.message).toContain('not found in us-east-1');
    expect(out.checks.filter((c) => c.check === 'plan').map((c) => c.source)).toEqual(['default', 'us']);
    expect(out.checks.find((c) => c.check === 'region' && c.source === 'us')!.message).toContain('(sources.us.region)');
    // Destinations are checked once, for every source.
    expect(out.checks.filter((c) => c.check === 'destination')).toHaveLength(1);
    expect(r.code).toBe(1);
  });
});

describe('doctor credentials with several sources', () => {
  it('gives every source its own credentials line, naming the source, checked against its own account', async () => {
    const dir = project(true);
    const json = await runCli(['doctor', '-c', path.join(dir, 'tailwatch.yaml'), '--format', 'json'], { cwd: dir, env: {} });
    const out = JSON.parse(json.stdout) as { checks: { check: string; status: string; source?: string; message: string }[] };
    const creds = out.checks.filter((c) => c.check === 'credentials');
    expect(creds.map((c) => c.source)).toEqual(['default', 'us']);
    // Each resolved through its own client (a local endpoint: placeholder keys, as run uses) and matched with its own account.
    expect(creds.map((c) => c.status)).toEqual(['ok', 'ok']);
    expect(creds[0]!.message).toContain('account 111111111111 (aws.accountId, matches DescribeLogGroups)');
    expect(creds[1]!.message).toContain('account 222222222222 (sources.us.accountId, matches DescribeLogGroups)');
    const text = await runCli(['doctor', '-c', path.join(dir, 'tailwatch.yaml')], { cwd: dir, env: {} });
    expect(text.stdout.split('\n').filter((l) => / source (default|us): credentials/.test(l))).toHaveLength(2);
  });
});

describe('iam-policy with several sources', () => {
  it('prints one policy per source (its account and region only), or one source alone with --source', async () => {
    const dir = project(true);
    const json = await runCli(['iam-policy', '-c', path.join(dir, 'tailwatch.yaml'), '--format', 'json'], { cwd: dir });
    expect(json.code, json.stderr).toBe(0);
    const out = JSON.parse(json.stdout) as { sources: Record<string, { accountId: string; credentials: string; policy: { Statement: { Resource: string[] }[] } }> };
    expect(Object.keys(out.sources)).toEqual(['default', 'us']);
    expect(out.sources['default']!.policy.Statement[0]!.Resource).toEqual(['arn:aws:logs:eu-west-1:111111111111:log-group:/app', 'arn:aws:logs:eu-west-1:111111111111:log-group:/app:*']);
    expect(out.sources['us']!.policy.Statement[0]!.Resource).toContain('arn:aws:logs:us-east-1:222222222222:log-group:/web');
    expect(out.sources['us']!.credentials).toBe('the role or user of profile prod-us');
    const one = await runCli(['iam-policy', '-c', path.join(dir, 'tailwatch.yaml'), '--format', 'json', '--source', 'us'], { cwd: dir });
    expect(JSON.parse(one.stdout)).toEqual(out.sources['us']!.policy);
    const text = await runCli(['iam-policy', '-c', path.join(dir, 'tailwatch.yaml')], { cwd: dir });
    expect(text.stdout).toContain('# ===== Source us: us-east-1, account 222222222222 — attach to the role or user of profile prod-us');
    const bad = await runCli(['iam-policy', '-c', path.join(dir, 'tailwatch.yaml'), '--source', 'nope'], { cwd: dir });
    expect(bad.code).toBe(2);
  });
});
