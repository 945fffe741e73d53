// `tailwatch doctor` in-process against the emulator (real SDK over HTTP) and a real HTTP receiver:
// one line per check, exit 1 on any fail, --format json, no Live Tail session without --live,
// nothing sent to destinations, no secret in the output.
import http from 'node:http';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clockCheck } from '../../src/cli/doctor-checks.js';
import { runCli } from '../kit/cli.js';
import { startEmulator, type StartedEmulator } from '../kit/emulator.js';
import { makeProject } from '../kit/project.js';

let emu: StartedEmulator;
let receiver: http.Server;
let requests: number;
let hookUrl: string;

beforeEach(async () => {
  emu = await startEmulator({ updateIntervalMs: 0 });
  requests = 0;
  receiver = http.createServer((_req, res) => {
    requests++;
    res.end('ok');
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  hookUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hooks/T0K3N-SECRET-PATH?key=QUERY-SECRET`;
});

afterEach(async () => {
  await emu.close();
  receiver.closeAllConnections();
  await new Promise<void>((r) => receiver.close(() => r()));
});

const RULES = `rules:
  - id: api-errors
    source: { logGroups: [/app/api], filterPattern: ERROR }
  - id: payments
    source: { logGroups: [/aws/lambda/payments] }
  - id: secret
    source: { logGroups: [/app/secret] }
`;

function project(opts: { accountId?: string; rules?: string; endpoint?: string; extra?: string } = {}): string {
  const account = opts.accountId === undefined ? '' : `, accountId: "${opts.accountId}"`;
  return makeProject({
    'tailwatch.yaml': `aws: { region: us-east-1${account}, endpoint: "${opts.endpoint ?? emu.endpoint}" }
rules: { paths: [rules] }
destinations:
  oncall: { type: webhook, url: "${hookUrl}" }
  out: { type: console }
defaults: { notify: [oncall] }
sessions: { strategy: precise, pricePerMinute: 0.01 }
${opts.extra ?? ''}`,
    'rules/r.yaml': opts.rules ?? RULES,
  });
}

const doctor = (dir: string, ...args: string[]) => runCli(['doctor', '-c', path.join(dir, 'tailwatch.yaml'), ...args], { cwd: dir, env: {} });

function seed(...groups: string[]): void {
  for (const g of groups) emu.emulator.ingest([{ logGroup: g, logStream: 's', timestamp: Date.now() - 5_000, message: `hello from ${g}` }]);
}

interface DoctorJson {
  checks: { check: string; subject?: string; status: 'ok' | 'warn' | 'fail'; message: string; fix?: string }[];
  summary: { ok: number; warn: number; fail: number };
  live: boolean;
}

describe('tailwatch doctor', () => {
  it('a healthy setup: every line ok, exit 0, no Live Tail session opened, nothing sent to the destination', async () => {
    seed('/app/api', '/aws/lambda/payments', '/app/secret');
    const r = await doctor(project({ accountId: '123456789012' }));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    for (const l of lines.slice(0, -1)) expect(l).toMatch(/^ok {4}/);
    expect(lines).toContain('ok    credentials: placeholder credentials for a local endpoint (no AWS_ACCESS_KEY_ID set), access key …OCAL; account 123456789012 (aws.accountId, matches DescribeLogGroups)');
    expect(lines).toContain('ok    log group /app/api in us-east-1 (account 123456789012): exists, readable, 1 event in the last minute');
    expect(lines).toContain('ok    plan: 3 Live Tail sessions (strategy precise), $1296.00/month at $0.01 per session-minute; tailwatch plan shows each session');
    expect(lines.some((l) => /^ok {4}destination: oncall \(webhook\): http:\/\/127\.0\.0\.1:\d+ \(127\.0\.0\.1\) accepts a connection; nothing sent; tailwatch notify-test oncall sends a sample alert$/.test(l))).toBe(true);
    expect(lines.some((l) => /^ok {4}clock: local clock \d+\.\d s (ahead of|behind) CloudWatch Logs \(±\d+\.\d s, from its Date header\)$/.test(l))).toBe(true);
    expect(lines.at(-1)).toBe('0 failed, 0 warnings, 9 ok (Live Tail not opened: --live opens each planned session once, billed per session-minute)');
    expect(emu.emulator.stats().started).toBe(0);
    expect(requests).toBe(0);
  });

  it('polled rules: the plan line counts their polls and FilterLogEvents calls; over half the budget is a warning', async () => {
    seed('/app/api', '/aws/lambda/payments', '/app/secret');
    const polled = RULES.replace(/^( {4}source: .*)$/gm, '$1\n    feed: { poll: 1s }');
    const r = await doctor(project({ accountId: '123456789012', rules: polled }));
    expect(r.code, r.stdout).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toContain('ok    plan: 0 Live Tail sessions (strategy precise), $0.00/month at $0.01 per session-minute, 3 polls of polled rules (180 FilterLogEvents calls/minute of 300); tailwatch plan shows each session');
    expect(lines).toContain('warn  polls: polled rules need 180 FilterLogEvents calls/minute, over half of the 300 a minute aws.filterLogEventsPerSecond allows: backfills and completions go first, so polls may fall behind (tailwatch_poll_overruns_total) — poll less often (feed.poll), or raise aws.filterLogEventsPerSecond if your account quota allows');
    expect(emu.emulator.stats().started).toBe(0);
  });

  it('a missing and a denied group: each named with region and account and what to do, exit 1; the plan says which rules wait', async () => {
    seed('/app/api', '/app/secret');
    emu.emulator.injectFault({ type: 'refuse', error: 'AccessDeniedException', operation: 'FilterLogEvents', logGroupName: '/app/secret' });
    const r = await doctor(project({ accountId: '123456789012' }));
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toContain('fail  log group /aws/lambda/payments not found in us-east-1 (account 123456789012) — check the name and the region, or create the group (rules: payments)');
    expect(lines, r.stdout).toContain('fail  access denied to log group /app/secret in us-east-1 (account 123456789012): logs:FilterLogEvents (AccessDeniedException (HTTP 400)) — attach the policy tailwatch iam-policy prints to the role tailwatch runs as (rules: secret)');
    expect(lines).toContain('ok    plan: 1 Live Tail session (strategy precise), $432.00/month at $0.01 per session-minute; payments, secret wait for the log groups above; tailwatch plan shows each session');
    expect(lines.at(-1)).toMatch(/^2 failed, 0 warnings, \d+ ok /);
    expect(r.stdout + r.stderr).not.toContain('T0K3N');
    expect(r.stdout + r.stderr).not.toContain('QUERY-SECRET');
  });

  it('--format json: {checks: [{check, subject?, status, message, fix?}], summary, live}', async () => {
    seed('/app/api');
    const r = await doctor(project({ accountId: '123456789012', rules: 'rules:\n  - id: api-errors\n    source: { logGroups: [/app/api, /gone] }\n' }), '--format', 'json');
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as DoctorJson;
    expect(Object.keys(out)).toEqual(['checks', 'summary', 'live']);
    expect(out.live).toBe(false);
    for (const c of out.checks) {
      for (const k of Object.keys(c)) expect(['check', 'subject', 'status', 'message', 'fix']).toContain(k);
      expect(['ok', 'warn', 'fail']).toContain(c.status);
      if (c.status !== 'ok') expect(c.fix).toBeTruthy();
    }
    expect(out.checks.map((c) => c.check)).toEqual(['credentials', 'region', ...out.checks.slice(2, -4).map(() => 'log-group'), 'plan', 'destination', 'destination', 'clock']);
    expect(out.checks.find((c) => c.subject === '/gone')).toEqual({ check: 'log-group', subject: '/gone', status: 'fail', message: 'log group /gone not found in us-east-1 (account 123456789012)', fix: 'check the name and the region, or create the group (rules: api-errors)' });
    expect(out.summary).toEqual({ ok: out.checks.filter((c) => c.status === 'ok').length, warn: 0, fail: 1 });
  });

  it('--live opens each planned session once and closes it; a denied session fails with what to allow', async () => {
    seed('/app/api', '/app/secret');
    emu.emulator.injectFault({ type: 'refuse', error: 'AccessDeniedException', logGroupName: '/app/secret' });
    const r = await doctor(project({ accountId: '123456789012', rules: 'rules:\n  - id: api\n    source: { logGroups: [/app/api] }\n  - id: secret\n    source: { logGroups: [/app/secret] }\n' }), '--live', '--format', 'json');
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as DoctorJson;
    expect(out.live).toBe(true);
    const live = out.checks.filter((c) => c.check === 'live-tail');
    expect(live.map((c) => c.status)).toEqual(['ok', 'fail']);
    expect(live[0]!.message).toMatch(/^session lt-[0-9a-f]{8} \(\/app\/api\) started, then closed$/);
    expect(live[1]).toMatchObject({ message: expect.stringMatching(/^session lt-[0-9a-f]{8} \(\/app\/secret\) refused: access-denied \(AccessDeniedException \(HTTP 400\)\)$/), fix: 'allow logs:StartLiveTail on these groups (tailwatch iam-policy)' });
    expect(emu.emulator.stats().started).toBe(1);
    await emu.emulator.waitFor(() => emu.emulator.activeSessionCount() === 0, 5_000);
  });

  it('without aws.accountId: the account comes from DescribeLogGroups; a configured account that differs fails with the right one', async () => {
    await emu.close();
    emu = await startEmulator({ updateIntervalMs: 0, accountId: '210987654321' });
    seed('/app/api');
    const rules = 'rules:\n  - id: api\n    source: { logGroups: [/app/api] }\n';
    const derived = await doctor(project({ rules }));
    expect(derived.code, derived.stdout).toBe(0);
    expect(derived.stdout).toContain('; account 210987654321 (from DescribeLogGroups)\n');
    const wrong = await doctor(project({ rules, accountId: '123456789012' }));
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain('fail  credentials: placeholder credentials for a local endpoint (no AWS_ACCESS_KEY_ID set), access key …OCAL: the log groups DescribeLogGroups lists belong to account 210987654321, but aws.accountId is 123456789012 — set aws.accountId to 210987654321 (run builds log group ARNs from it), or use credentials of account 123456789012\n');
  });

  it('an unreachable endpoint: one api line, the groups not checked, exit 1; a refused destination fails', async () => {
    const down = await startEmulator();
    const endpoint = down.endpoint;
    await down.close();
    receiver.closeAllConnections();
    await new Promise<void>((r) => receiver.close(() => r()));
    receiver = http.createServer(); // closed in afterEach
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    const r = await doctor(project({ endpoint, accountId: '123456789012', rules: 'rules:\n  - id: api\n    source: { logGroups: [/app/api] }\n' }));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^fail {2}api: cannot reach CloudWatch Logs in us-east-1 at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED \(connect 127\.0\.0\.1:\d+\) — check aws\.endpoint \(is the emulator or proxy running\?\)$/m);
    expect(r.stdout).toContain('fail  log group /app/api in us-east-1: not checked (CloudWatch Logs unreachable)');
    expect(r.stdout).toContain('warn  clock: not checked: no response from CloudWatch Logs carried a Date header');
  });

  it('a destination whose receiver is down fails, naming host and port only', async () => {
    seed('/app/api');
    const port = (receiver.address() as { port: number }).port;
    receiver.closeAllConnections();
    await new Promise<void>((r) => receiver.close(() => r()));
    receiver = http.createServer();
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    const r = await doctor(project({ accountId: '123456789012', rules: 'rules:\n  - id: api\n    source: { logGroups: [/app/api] }\n' }));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`fail  destination: oncall (webhook): http://127.0.0.1:${port} (127.0.0.1) refuses the connection (ECONNREFUSED) — is the receiver running, and reachable from here (firewall, proxy)? (nothing sent; tailwatch notify-test oncall sends a sample alert)\n`);
    expect(r.stdout).not.toContain('T0K3N');
  });

  it('an Alertmanager cluster: a line for every peer, so a peer that is down fails', async () => {
    seed('/app/api');
    const down = http.createServer();
    await new Promise<void>((r) => down.listen(0, '127.0.0.1', () => r()));
    const downPort = (down.address() as { port: number }).port;
    await new Promise<void>((r) => down.close(() => r()));
    const upPort = (receiver.address() as { port: number }).port;
    const dir = makeProject({
      'tailwatch.yaml': `aws: { region: us-east-1, accountId: "123456789012", endpoint: "${emu.endpoint}" }
rules: { paths: [rules] }
destinations:
  am: { type: alertmanager, peers: ["http://127.0.0.1:${upPort}", "http://127.0.0.1:${downPort}"] }
defaults: { notify: [am] }
sessions: { strategy: precise }
`,
      'rules/r.yaml': 'rules:\n  - id: api\n    source: { logGroups: [/app/api] }\n',
    });
    const r = await doctor(dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`ok    destination: am (alertmanager peer 1 of 2): http://127.0.0.1:${upPort} (127.0.0.1) accepts a connection;`);
    expect(r.stdout).toContain(`fail  destination: am (alertmanager peer 2 of 2): http://127.0.0.1:${downPort} (127.0.0.1) refuses the connection (ECONNREFUSED)`);
    expect(requests).toBe(0);
  });
});

describe('the clock check', () => {
  const at = (skewMs: number, rttMs = 100) => {
    const date = Math.floor(1_800_000_000_000 / 1000) * 1000;
    const sentAt = date + 500 + skewMs - rttMs / 2;
    return { date, sentAt, receivedAt: sentAt + rttMs };
  };
  it('ok within the Date header’s second, warn beyond half of sessions.grace, fail at 5 minutes (SigV4)', () => {
    expect(clockCheck(at(300), 5_000)).toMatchObject({ status: 'ok', message: 'local clock 0.3 s ahead of CloudWatch Logs (±0.6 s, from its Date header)' });
    expect(clockCheck(at(-4_000), 5_000)).toMatchObject({ status: 'warn', message: 'local clock 4.0 s behind CloudWatch Logs (±0.6 s, from its Date header): events may be counted late (sessions.grace is 5 s)' });
    expect(clockCheck(at(6 * 60_000), 5_000)).toMatchObject({ status: 'fail', message: expect.stringContaining('AWS refuses signed requests more than 5 minutes off') });
    expect(clockCheck(undefined, 5_000).status).toBe('warn');
  });
});

describe('tailwatch doctor without a config', () => {
  it('says what to set instead of failing on credentials it had no region to ask with', async () => {
    const dir = makeProject({ 'rules/.keep': '' });
    const r = await runCli(['doctor'], { cwd: dir, env: {} });
    expect(r.stdout).toContain('warn  credentials: not checked: no region to ask CloudWatch Logs in — set aws.region\n');
    expect(r.stdout).toContain('warn  region: no region set and no rule names a log group — set aws.region\n');
    expect(r.code).toBe(0);
  });
});

describe('tailwatch doctor: a source that assumes a role', () => {
  const ROLE = 'arn:aws:iam::123456789012:role/tailwatch-reader';

  it('says which role was assumed from which credentials, temporary and refreshed by the SDK', async () => {
    seed('/app/api', '/aws/lambda/payments', '/app/secret');
    const dir = makeProject({
      'tailwatch.yaml': `aws: { region: us-east-1, accountId: "123456789012", endpoint: "${emu.endpoint}", roleArn: "${ROLE}", externalId: ext-secret-id, duration: 30m }\nrules: { paths: [rules] }\n`,
      'rules/r.yaml': RULES,
    });
    const out = await doctor(dir);
    expect(out.stdout).toMatch(new RegExp(`^ok {4}credentials: role ${ROLE.replace(/[/.]/g, '\\$&')} assumed from placeholder credentials for a local endpoint \\(no AWS_ACCESS_KEY_ID set\\), access key …\\w{4}, temporary, expires in 30 min \\(refreshed by the SDK\\); account 123456789012`, 'm'));
    expect(emu.emulator.assumeRoleCalls()[0]).toMatchObject({ roleArn: ROLE, externalId: 'ext-secret-id', roleSessionName: 'tailwatch-default', durationSeconds: 1800 });
    expect(out.stdout + out.stderr).not.toContain('ext-secret-id');
  });

  it('a refused AssumeRole: the credentials line fails naming the role, no secret', async () => {
    await emu.close();
    emu = await startEmulator({ updateIntervalMs: 0, roles: { [ROLE]: { externalId: 'the-right-one' } } });
    const dir = makeProject({
      'tailwatch.yaml': `aws: { region: us-east-1, accountId: "123456789012", endpoint: "${emu.endpoint}", roleArn: "${ROLE}", externalId: the-wrong-one }\nrules: { paths: [rules] }\n`,
      'rules/r.yaml': RULES,
    });
    const out = await doctor(dir);
    expect(out.code).toBe(1);
    expect(out.stdout).toContain(`fail  credentials: no credentials from role ${ROLE} assumed from placeholder credentials for a local endpoint (no AWS_ACCESS_KEY_ID set): AccessDenied (HTTP 403) assuming role ${ROLE} — check that the base identity may sts:AssumeRole on ${ROLE} and that the role's trust policy lets it in`);
    expect(out.stdout + out.stderr).not.toContain('the-wrong-one');
  });
});
