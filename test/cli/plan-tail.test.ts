// `tailwatch plan` and `tailwatch tail` as child processes (bin/tailwatch.js, the built dist/),
// plan's text output in-process.
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../kit/cli.js';
import { startEmulator, type StartedEmulator } from '../kit/emulator.js';
import { until } from '../kit/until.js';
import { makeProject } from '../kit/project.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/tailwatch.js');

beforeAll(async () => {
  // The child runs dist/: build when it is missing or older than the sources it runs.
  const built = await stat(path.join(ROOT, 'dist/cli/tail.js')).catch(() => undefined);
  const sources = ['src/cli/plan.ts', 'src/cli/tail.ts', 'src/cli/commands.ts', 'src/livetail/planner.ts', 'src/livetail/session.ts', 'src/livetail/source.ts', 'src/livetail/union.ts', 'src/livetail/adaptive.ts', 'src/livetail/probe.ts', 'src/livetail/errors.ts', 'src/livetail/arns.ts'];
  const newest = Math.max(...(await Promise.all(sources.map(async (s) => (await stat(path.join(ROOT, s))).mtimeMs))));
  if (!built || built.mtimeMs < newest) execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', ROOT], { stdio: 'ignore' });
}, 120_000);

const CONFIG = (extra = '') => `
aws:
  region: us-east-1
  accountId: "123456789012"
${extra}
destinations:
  stdout: { type: console }
defaults:
  notify: [stdout]
`;

function fortyRules(): string {
  const out = ['rules:'];
  for (let j = 0; j < 40; j++) out.push(`  - id: r${String(j).padStart(2, '0')}\n    source:\n      logGroups: [/svc/g${j % 25}]\n      filterPattern: ERROR${j}`);
  return out.join('\n') + '\n';
}

describe('tailwatch plan', () => {
  it('--format json prints the SPEC §2 shape; precise and economical differ in session count; no network needed with accountId', () => {
    for (const [strategy, max] of [['precise', 15], ['economical', 3]] as const) {
      const dir = makeProject({ 'tailwatch.yaml': CONFIG(`  endpoint: http://127.0.0.1:9\nsessions:\n  strategy: ${strategy}\n  pricePerMinute: 0.01`), 'rules/many.yaml': fortyRules() });
      const r = spawnSync(process.execPath, [BIN, 'plan', '-c', 'tailwatch.yaml', '--format', 'json'], { cwd: dir, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const plan = JSON.parse(r.stdout) as { sessions: Record<string, unknown>[]; unplaced: unknown[]; monthlyCost: number };
      // The SPEC §2 fields first, as they were; then the polls and feeds, the strategy comparison.
      expect(Object.keys(plan)).toEqual(['sessions', 'unplaced', 'monthlyCost', 'polls', 'filterLogEventsPerMinute', 'feeds', 'strategy', 'strategies']);
      if (strategy === 'economical') expect(plan.sessions).toHaveLength(3);
      else expect(plan.sessions.length).toBeLessThanOrEqual(max);
      expect(plan.unplaced).toEqual([]);
      for (const s of plan.sessions) {
        for (const k of Object.keys(s)) expect(['region', 'logGroupIdentifiers', 'logStreamNames', 'logStreamNamePrefixes', 'logEventFilterPattern', 'rules', 'monthlyCost']).toContain(k);
        expect(s).toMatchObject({ region: 'us-east-1', monthlyCost: 432 });
      }
      expect(plan.monthlyCost).toBe(432 * plan.sessions.length);
      expect(new Set(plan.sessions.flatMap((s) => s['rules'] as string[])).size).toBe(40);
    }
  });

  it('reports unplaced rules with a reason and exits 1', () => {
    const dir = makeProject({ 'tailwatch.yaml': CONFIG('sessions:\n  strategy: economical\n  maxConcurrent: 2'), 'rules/many.yaml': fortyRules() });
    const r = spawnSync(process.execPath, [BIN, 'plan', '-c', 'tailwatch.yaml', '--format', 'json'], { cwd: dir, encoding: 'utf8' });
    expect(r.status).toBe(1);
    const plan = JSON.parse(r.stdout) as { sessions: unknown[]; unplaced: { rule: string; reason: string }[] };
    expect(plan.sessions).toHaveLength(2);
    expect(plan.unplaced.length).toBeGreaterThan(0);
    expect(plan.unplaced[0]!.reason).toContain('maxConcurrent');
  });

  it('text output shows each session, its cost, and the total', async () => {
    const dir = makeProject({
      'tailwatch.yaml': CONFIG('sessions:\n  strategy: precise'),
      'rules/r.yaml': `rules:
  - id: pay-errors
    source: { logGroups: [/ecs/payments], logStreamPrefixes: [api-], filterPattern: ERROR }
  - id: orders-json
    source: { logGroups: [/ecs/orders], filterPattern: '{ $.status >= 500 }' }
`,
    });
    const r = await runCli(['plan', '-c', path.join(dir, 'tailwatch.yaml')], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Live Tail plan: 2 sessions (strategy precise, at most 15 per region)');
    expect(r.stdout).toMatch(/lt-[0-9a-f]{8} {2}us-east-1 {2}43200 session-minutes\/month {2}\$432\.00\/month/);
    expect(r.stdout).toContain('arn:aws:logs:us-east-1:123456789012:log-group:/ecs/payments');
    expect(r.stdout).toContain('stream prefixes: api-');
    expect(r.stdout).toContain('filter pattern:  { $.status >= 500 }');
    expect(r.stdout).toContain('rules:           pay-errors');
    expect(r.stdout).toContain('Total: 2 sessions, 86400 session-minutes/month, $864.00/month at $0.01 per session-minute');
    expect(r.stdout).toContain(['Monthly cost by strategy:', '  precise (configured)  2 sessions  $864.00/month', '  adaptive              1 session   $432.00/month', '  economical            1 session   $432.00/month'].join('\n'));
    const again = await runCli(['plan', '-c', path.join(dir, 'tailwatch.yaml')], { cwd: dir });
    expect(again.stdout).toBe(r.stdout); // deterministic
  });

  it('an ARN written with a trailing :* (as the console shows it) is planned without the :*', async () => {
    const arn = 'arn:aws:logs:eu-west-1:123456789012:log-group:/app';
    const dir = makeProject({ 'tailwatch.yaml': CONFIG(), 'rules/r.yaml': `rules:\n  - id: starred\n    source: { logGroups: ["${arn}:*"] }\n` });
    const r = await runCli(['plan', '-c', path.join(dir, 'tailwatch.yaml')], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(arn);
    expect(r.stdout).not.toContain(`${arn}:*`);
    const json = await runCli(['plan', '-c', path.join(dir, 'tailwatch.yaml'), '--format', 'json'], { cwd: dir });
    const plan = JSON.parse(json.stdout) as { sessions: { region: string; logGroupIdentifiers: string[] }[]; unplaced: unknown[] };
    expect(plan.unplaced).toEqual([]);
    expect(plan.sessions).toMatchObject([{ region: 'eu-west-1', logGroupIdentifiers: [arn] }]);
  });

  it('without accountId, resolves names with DescribeLogGroups against the endpoint', async () => {
    const emu = await startEmulator({ updateIntervalMs: 0, accountId: '210987654321' });
    try {
      emu.emulator.ingest([{ logGroup: '/ecs/payments', logStream: 'a', timestamp: Date.now(), message: 'x' }]);
      const dir = makeProject({
        'tailwatch.yaml': `aws: { region: us-east-1, endpoint: "${emu.endpoint}" }\ndestinations: { stdout: { type: console } }\ndefaults: { notify: [stdout] }\n`,
        'rules/r.yaml': 'rules:\n  - id: pay\n    source: { logGroups: [/ecs/payments] }\n  - id: ghost\n    source: { logGroups: [/nope] }\n  - id: half\n    source: { logGroups: [/ecs/payments, /nope] }\n',
      });
      const r = await runCli(['plan', '-c', path.join(dir, 'tailwatch.yaml'), '--format', 'json'], { cwd: dir, env: {} });
      expect(r.code).toBe(1);
      const plan = JSON.parse(r.stdout) as { sessions: { logGroupIdentifiers: string[]; rules: string[] }[]; unplaced: { rule: string; reason: string }[] };
      expect(plan.sessions.map((s) => [s.logGroupIdentifiers, s.rules])).toEqual([[['arn:aws:logs:us-east-1:210987654321:log-group:/ecs/payments'], ['half', 'pay']]]);
      expect(plan.unplaced).toEqual([
        { rule: 'ghost', reason: 'log group /nope not found in us-east-1 (account 210987654321)' },
        { rule: 'half', reason: 'some of its log groups are unavailable: served without log group /nope not found in us-east-1 (account 210987654321)' },
      ]);
    } finally {
      await emu.close();
    }
  });
});

describe('tailwatch plan: strategies side by side, and what the daemon observed', () => {
  const RULES = `rules:
  - id: a-errors
    source: { logGroups: [/a], filterPattern: ERROR }
  - id: b-fatal
    source: { logGroups: [/b], filterPattern: '{ $.level = "FATAL" }' }
  - id: b-slow
    source: { logGroups: [/b], filterPattern: '{ $.ms > 5000 }' }
`;
  const arn = (g: string) => `arn:aws:logs:us-east-1:123456789012:log-group:${g}`;

  it('adaptive by default: one economical session; every strategy costed; the SPEC fields unchanged', async () => {
    const dir = makeProject({ 'tailwatch.yaml': CONFIG(), 'rules/r.yaml': RULES });
    const r = await runCli(['plan', '-c', path.join(dir, 'tailwatch.yaml')], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Live Tail plan: 1 session (strategy adaptive, at most 15 per region)');
    expect(r.stdout).not.toContain('observed:');
    expect(r.stdout).toContain(
      [
        'Monthly cost by strategy:',
        '  adaptive (configured)  1 session   $432.00/month',
        '  precise                3 sessions  $1296.00/month',
        '  economical             1 session   $432.00/month',
        '  adaptive starts as economical and splits only sessions Live Tail samples (at most 3 sessions, $1296.00/month)',
      ].join('\n'),
    );
    const j = await runCli(['plan', '-c', path.join(dir, 'tailwatch.yaml'), '--format', 'json'], { cwd: dir });
    const plan = JSON.parse(j.stdout) as Record<string, unknown>;
    expect(plan).toEqual({
      sessions: [{ region: 'us-east-1', logGroupIdentifiers: [arn('/a'), arn('/b')], rules: ['a-errors', 'b-fatal', 'b-slow'], monthlyCost: 432 }],
      polls: [],
      unplaced: [],
      monthlyCost: 432,
      filterLogEventsPerMinute: 0,
      feeds: { 'a-errors': 'live', 'b-fatal': 'live', 'b-slow': 'live' },
      strategy: 'adaptive',
      strategies: { adaptive: { sessions: 1, monthlyCost: 432, unplaced: 0 }, precise: { sessions: 3, monthlyCost: 1296, unplaced: 0 }, economical: { sessions: 1, monthlyCost: 432, unplaced: 0 } },
    });
  });

  it("with the daemon's plan state: the split sessions, each session's observed rate and sampled share", async () => {
    const dir = makeProject({ 'tailwatch.yaml': CONFIG('state:\n  dir: st'), 'rules/r.yaml': RULES });
    const cfg = path.join(dir, 'tailwatch.yaml');
    // What `run` writes after splitting the one economical session (its id is the hash of its parameters).
    const econId = /^(lt-[0-9a-f]{8}) /m.exec((await runCli(['plan', '-c', cfg], { cwd: dir })).stdout)![1]!;
    const state = {
      version: 1,
      savedAt: '2026-01-01T10:00:00.000Z',
      strategy: 'adaptive',
      splits: [{ region: 'us-east-1', logGroups: [arn('/a'), arn('/b')], from: econId, since: '2026-01-01T09:00:00.000Z', reason: 'sampled in 34 of 60 updates', cap: 500, merges: 0, active: true }],
      sessions: [] as Record<string, unknown>[],
    };
    mkdirSync(path.join(dir, 'st'));
    writeFileSync(path.join(dir, 'st/plan-state.json'), JSON.stringify(state));
    // Split as precise places them: a session per source, each with its own pattern.
    const split = JSON.parse((await runCli(['plan', '-c', cfg, '--format', 'json'], { cwd: dir })).stdout) as { sessions: { logGroupIdentifiers: string[]; logEventFilterPattern?: string; rules: string[] }[] };
    expect(split.sessions.map((s) => [s.rules, s.logGroupIdentifiers, s.logEventFilterPattern]).sort()).toEqual([
      [['a-errors'], [arn('/a')], 'ERROR'],
      [['b-fatal'], [arn('/b')], '{ $.level = "FATAL" }'],
      [['b-slow'], [arn('/b')], '{ $.ms > 5000 }'],
    ]);
    const txt = (await runCli(['plan', '-c', cfg], { cwd: dir })).stdout;
    const partIds = [...txt.matchAll(/^(lt-[0-9a-f]{8}) /gm)].map((m) => m[1]!);
    state.sessions = [{ id: partIds[0], region: 'us-east-1', rules: ['a-errors'], updates: 3600, eventsPerUpdate: 12.5, peakEventsPerUpdate: 40, sampledUpdates: 0, windowUpdates: 60, sampledShare: 0 }];
    writeFileSync(path.join(dir, 'st/plan-state.json'), JSON.stringify(state));
    const r = await runCli(['plan', '-c', cfg], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Observed by tailwatch run (${path.join('st', 'plan-state.json')}, saved 2026-01-01T10:00:00.000Z)`);
    expect(r.stdout).toContain('  observed:        12.5 events/update (peak 40), sampled in 0 of the last 60 updates (0%), 3600 updates in all');
    expect(r.stdout).toContain('  observed:        (not running when the state was saved)');
    expect(r.stdout.split('\n').filter((l) => l === `  split:           from ${econId} since 2026-01-01T09:00:00.000Z: sampled in 34 of 60 updates`)).toHaveLength(3);
    expect(r.stdout).toContain('  adaptive (configured)  3 sessions  $1296.00/month  3 of them split off sampled sessions');
    expect(r.stdout).toContain('  economical             1 session   $432.00/month');
    const j = JSON.parse((await runCli(['plan', '-c', cfg, '--format', 'json'], { cwd: dir })).stdout) as { sessions: Record<string, unknown>[]; observedAt: string; strategies: Record<string, unknown> };
    expect(j.observedAt).toBe('2026-01-01T10:00:00.000Z');
    expect(j.strategies['adaptive']).toEqual({ sessions: 3, monthlyCost: 1296, unplaced: 0, split: 3 });
    expect(j.sessions[0]).toMatchObject({
      rules: ['a-errors'],
      monthlyCost: 432,
      observed: { updates: 3600, eventsPerUpdate: 12.5, peakEventsPerUpdate: 40, sampledUpdates: 0, windowUpdates: 60, sampledShare: 0 },
      split: { from: econId, since: '2026-01-01T09:00:00.000Z', reason: 'sampled in 34 of 60 updates', stays: false },
    });
    expect(j.sessions[1]).not.toHaveProperty('observed');
    // The existing fields come first, unchanged.
    expect(Object.keys(j.sessions[0]!)).toEqual(['region', 'logGroupIdentifiers', 'logEventFilterPattern', 'rules', 'monthlyCost', 'observed', 'split']);
  });

  it('lists every rule\'s feed and the polls (no session, their calls a minute); --suggest names the rules with long windows and what polling them saves', async () => {
    const rules = `rules:
  - { id: fatal, source: { logGroups: [/a], filterPattern: FATAL } }
  - { id: errors-15m, source: { logGroups: [/b], filterPattern: ERROR }, window: { type: threshold, count: 50, within: 15m } }
  - { id: nightly, source: { logGroups: [/c] }, window: { type: absence, within: 25h }, feed: { poll: 5m } }
  - { id: short, source: { logGroups: [/b], filterPattern: WARN }, window: { type: threshold, count: 5, within: 5m } }
`;
    const dir = makeProject({ 'tailwatch.yaml': CONFIG('sessions: { strategy: precise }'), 'rules/r.yaml': rules });
    const cfg = path.join(dir, 'tailwatch.yaml');
    const r = await runCli(['plan', '-c', cfg, '--suggest'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Live Tail plan: 3 sessions');
    expect(r.stdout).toMatch(/^pl-[0-9a-f]{8} {2}us-east-1 {2}polled every 5m, lag 30s {2}0\.2 FilterLogEvents calls\/minute {2}no session$/m);
    expect(r.stdout).toContain(`  log group:       ${arn('/c')}`);
    expect(r.stdout).toMatch(/^ {2}nightly +polled every 5m, lag 30s {2}pl-[0-9a-f]{8}$/m);
    expect(r.stdout).toMatch(/^ {2}fatal +live +lt-[0-9a-f]{8}$/m);
    expect(r.stdout).toContain('Polls: 1 poll, 0.2 FilterLogEvents calls/minute of the 300 a minute aws.filterLogEventsPerSecond allows');
    expect(r.stdout).toContain('Suggestions: 1 rule with windows long enough to poll');
    expect(r.stdout).toMatch(/^ {2}errors-15m {2}threshold within 15m {2}feed: \{ poll: 1m \} {2}at most 1m30s later$/m);
    expect(r.stdout).toContain('  precise (configured): 3 sessions → 2 sessions, $1296.00 → $864.00/month (saves $432.00), FilterLogEvents 0.2 → 1.2 calls/minute');
    const j = JSON.parse((await runCli(['plan', '-c', cfg, '--format', 'json', '--suggest'], { cwd: dir })).stdout) as Record<string, unknown>;
    expect(j['polls']).toEqual([{ region: 'us-east-1', logGroupIdentifier: arn('/c'), interval: 300, lag: 30, rules: ['nightly'], callsPerMinute: 0.2 }]);
    expect(j['feeds']).toEqual({ 'errors-15m': 'live', fatal: 'live', nightly: { poll: 300, lag: 30 }, short: 'live' });
    expect(j['filterLogEventsPerMinute']).toBe(0.2);
    expect((j['suggest'] as { rules: unknown[] }).rules).toEqual([{ rule: 'errors-15m', window: 'threshold within 15m', feed: { poll: 60, lag: 30 }, laterBy: 90 }]);
  });

  it("the example config's costs are the ones the README states", async () => {
    const r = await runCli(['plan', '-c', 'config.example.yaml', '--format', 'json'], { cwd: ROOT, env: { TAILWATCH_STATE_DIR: '/nonexistent/tw-state' } });
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout) as { strategy: string; strategies: Record<string, { sessions: number; monthlyCost: number }> };
    expect(plan.strategy).toBe('adaptive');
    expect(plan.strategies['precise']).toMatchObject({ sessions: 5, monthlyCost: 2160 });
    expect(plan.strategies['adaptive']).toMatchObject({ sessions: 1, monthlyCost: 432 });
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8').replace(/\s+/g, ' ');
    expect(readme).toContain('before, with `precise` (the default until `adaptive`) and every rule live, 6 sessions, 259,200 session-minutes, **$2,592 a month**; now, with `adaptive`, 1 session');
    expect(readme).toContain('**$432 a month**');
    // The Cost section's figures: as shipped (one polled rule) and with plan --suggest applied.
    const suggested = JSON.parse((await runCli(['plan', '-c', 'config.example.yaml', '--format', 'json', '--suggest'], { cwd: ROOT, env: { TAILWATCH_STATE_DIR: '/nonexistent/tw-state' } })).stdout) as { suggest: { rules: { rule: string }[]; strategies: Record<string, { after: { sessions: number; monthlyCost: number; filterLogEventsPerMinute: number } }> } };
    expect(suggested.suggest.rules.map((r) => r.rule)).toEqual(['lambda-timeouts', 'payments-settlement-silent']);
    expect(suggested.suggest.strategies['precise']!.after).toMatchObject({ sessions: 3, monthlyCost: 1296, filterLogEventsPerMinute: 2 });
    expect(suggested.suggest.strategies['adaptive']!.after).toMatchObject({ sessions: 1, monthlyCost: 432, filterLogEventsPerMinute: 2 });
    expect(readme).toContain('| precise | 6 sessions, $2,592 | 5 sessions + 1 poll, $2,160, 1 call/min | 3 sessions + 2 polls, $1,296, 2 calls/min |');
  });

  it('a plan state it cannot read is named on stderr and left out', async () => {
    const dir = makeProject({ 'tailwatch.yaml': CONFIG('state:\n  dir: st'), 'rules/r.yaml': RULES, 'st/plan-state.json': '{"version": 99}' });
    const r = await runCli(['plan', '-c', path.join(dir, 'tailwatch.yaml')], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`tailwatch plan: ${path.join('st', 'plan-state.json')}: not a plan state this version of tailwatch wrote; shown without observed rates\n`);
    expect(r.stdout).toContain('Live Tail plan: 1 session (strategy adaptive');
  });
});

describe('tailwatch plan: an unreachable endpoint', () => {
  it('is an I/O error: exit 2, one stderr line naming the group, the region and ECONNREFUSED, nothing on stdout', async () => {
    const emu = await startEmulator({ updateIntervalMs: 0 });
    const endpoint = emu.endpoint;
    await emu.close(); // nothing listens there now
    const dir = makeProject({
      'tailwatch.yaml': `aws: { region: eu-west-1, endpoint: "${endpoint}" }\ndestinations: { stdout: { type: console } }\ndefaults: { notify: [stdout] }\n`,
      'rules/r.yaml': 'rules:\n  - id: one\n    source: { logGroups: [/app/one] }\n',
    });
    const r = await runCli(['plan', '-c', path.join(dir, 'tailwatch.yaml')], { cwd: dir, env: {} });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const port = new URL(endpoint).port;
    expect(r.stderr).toBe(`tailwatch plan: cannot look up log group "/app/one" in eu-west-1: ECONNREFUSED (connect 127.0.0.1:${port})\n`);
  }, 20_000);
});

describe('tailwatch tail --rule ID', () => {
  let emu: StartedEmulator | undefined;
  let child: ChildProcess | undefined;
  afterEach(async () => {
    child?.kill('SIGKILL');
    child = undefined;
    await emu?.close();
    emu = undefined;
  });

  it('prints the events that pass the rule filter and conditions; SIGINT closes the session and exits 0', async () => {
    emu = await startEmulator({ updateIntervalMs: 100 });
    const e = emu.emulator;
    e.ingest([{ logGroup: '/ecs/payments', logStream: 'api-1', timestamp: Date.now(), message: 'seed' }]);
    const dir = makeProject({
      'tailwatch.yaml': CONFIG(`  endpoint: "${emu.endpoint}"`),
      'rules/r.yaml': `rules:
  - id: pay-5xx
    source: { logGroups: [/ecs/payments], filterPattern: '{ $.status >= 500 }' }
    match: { field: $.path, startsWith: /v1/charges }
  - id: other
    source: { logGroups: [/ecs/other] }
`,
    });
    const env = { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' };
    delete (env as Record<string, string | undefined>)['AWS_ACCESS_KEY_ID'];
    const c = spawn(process.execPath, [BIN, 'tail', '--rule', 'pay-5xx', '-c', 'tailwatch.yaml'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    let stdout = '';
    let stderr = '';
    c.stdout!.on('data', (d) => (stdout += d));
    c.stderr!.on('data', (d) => (stderr += d));
    const exit = new Promise<number | null>((resolve) => c.once('exit', (code) => resolve(code)));
    await e.waitForActiveSessions(1, 10_000);
    await until(() => stderr.includes('tailing rule pay-5xx'), 5_000, 'the banner');
    const now = Date.now();
    const put = (message: object, stream = 'api-1') => e.ingest([{ logGroup: '/ecs/payments', logStream: stream, timestamp: now, message: JSON.stringify(message) }]);
    put({ status: 503, path: '/v1/charges/1' });
    put({ status: 200, path: '/v1/charges/2' }); // the pattern drops it
    put({ status: 500, path: '/v1/refunds' }); // the match condition drops it
    put({ status: 502, path: '/v1/charges/3' });
    await until(() => stdout.split('\n').filter(Boolean).length >= 2, 5_000, 'two printed events');
    await new Promise((r) => setTimeout(r, 300));
    const lines = stdout.split('\n').filter(Boolean);
    expect(lines).toEqual([
      `${new Date(now).toISOString()} /ecs/payments api-1 {"status":503,"path":"/v1/charges/1"}`,
      `${new Date(now).toISOString()} /ecs/payments api-1 {"status":502,"path":"/v1/charges/3"}`,
    ]);
    c.kill('SIGINT');
    expect(await exit).toBe(0);
    await e.waitForActiveSessions(0, 2_000);
    expect(e.stats().ended['closed']).toBe(1);
  }, 30_000);

  it('a polled rule is tailed by polling: no session, FilterLogEvents every interval; a missing log group ends it with exit 2', async () => {
    emu = await startEmulator({ updateIntervalMs: 100, ingestionDelayMs: 500 });
    const e = emu.emulator;
    e.ingest([{ logGroup: '/jobs', logStream: 'n', timestamp: Date.now() - 60_000, message: 'seed' }]);
    const dir = makeProject({
      'tailwatch.yaml': CONFIG(`  endpoint: "${emu.endpoint}"`),
      'rules/r.yaml': `rules:
  - id: nightly
    source: { logGroups: [/jobs], filterPattern: done }
    feed: { poll: 1s, lag: 1s }
  - id: gone
    source: { logGroups: [/nope] }
    feed: { poll: 1s, lag: 0s }
`,
    });
    const env = { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' };
    delete (env as Record<string, string | undefined>)['AWS_ACCESS_KEY_ID'];
    const c = spawn(process.execPath, [BIN, 'tail', '--rule', 'nightly', '-c', 'tailwatch.yaml'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    let stdout = '';
    let stderr = '';
    c.stdout!.on('data', (d) => (stdout += d));
    c.stderr!.on('data', (d) => (stderr += d));
    const exit = new Promise<number | null>((resolve) => c.once('exit', (code) => resolve(code)));
    await until(() => stderr.includes('tailing rule nightly (polled)'), 10_000, `the banner; stderr: ${stderr}`);
    expect(stderr).toContain('/jobs read with FilterLogEvents every 1s, up to 1s before now');
    const now = Date.now();
    e.ingest([{ logGroup: '/jobs', logStream: 'n', timestamp: now, message: 'export done' }, { logGroup: '/jobs', logStream: 'n', timestamp: now, message: 'export started' }]);
    await until(() => stdout.includes("export done"), 10_000, `the polled event; stderr: ${stderr}`);
    expect(stdout).toBe(`${new Date(now).toISOString()} /jobs n export done\n`);
    expect(e.stats().started).toBe(0);
    expect(e.stats().calls['FilterLogEvents']).toBeGreaterThan(0);
    c.kill('SIGINT');
    expect(await exit).toBe(0);

    // (Not spawnSync: the emulator answers from this process.)
    const g = spawn(process.execPath, [BIN, 'tail', '--rule', 'gone', '-c', 'tailwatch.yaml'], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
    child = g;
    let gErr = '';
    g.stderr!.on('data', (d) => (gErr += d));
    const code = await new Promise<number | null>((resolve) => g.once('exit', (n) => resolve(n)));
    expect(code, gErr).toBe(2);
    expect(gErr).toContain('tailwatch tail: rule "gone" cannot be tailed: FilterLogEvents refused poll pl-');
    expect(gErr).toContain('a log group does not exist');
  }, 40_000);

  const childEnv = () => {
    const env: Record<string, string | undefined> = { ...process.env };
    delete env['AWS_ACCESS_KEY_ID'];
    delete env['AWS_SECRET_ACCESS_KEY'];
    return env;
  };

  /** `tail --rule RULE` in dir until it exits on its own: its exit code and stderr. */
  const tailUntilExit = (dir: string, rule: string) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const c = spawn(process.execPath, [BIN, 'tail', '--rule', rule, '-c', 'tailwatch.yaml'], { cwd: dir, env: childEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
      child = c;
      let stderr = '';
      c.stderr!.on('data', (d) => (stderr += d));
      c.once('exit', (code) => resolve({ code, stderr }));
    });

  it('a session refused for a missing log group ends tail with exit 2 and one clear line (no JSON)', async () => {
    emu = await startEmulator({ updateIntervalMs: 50 });
    const dir = makeProject({
      'tailwatch.yaml': CONFIG(`  endpoint: "${emu.endpoint}"`),
      'rules/r.yaml': 'rules:\n  - id: ghost\n    source: { logGroups: [/aws/lambda/not-yet-invoked] }\n',
    });
    const r = await tailUntilExit(dir, 'ghost');
    expect(r.code).toBe(2);
    const lines = r.stderr.split('\n').filter((l) => l && !l.includes('NodeVersionSupportWarning') && l.startsWith('tail'));
    expect(r.stderr).not.toContain('{"');
    expect(lines.at(-1)).toMatch(/^tailwatch tail: rule "ghost" cannot be tailed: Live Tail refused session lt-[0-9a-f]{8}: a log group does not exist \(ResourceNotFoundException \(HTTP 400\)\) — log groups: arn:aws:logs:us-east-1:123456789012:log-group:\/aws\/lambda\/not-yet-invoked$/);
    expect(lines.filter((l) => l.startsWith('tailwatch tail:'))).toHaveLength(1);
  }, 30_000);

  it('credentials the service does not accept (an emulator checking signatures) end tail with exit 2 and one clear line', async () => {
    emu = await startEmulator({ updateIntervalMs: 50, credentials: [{ accessKeyId: 'AKIDSOMEONEELSE', secretAccessKey: 'not-ours' }] });
    emu.emulator.ingest([{ logGroup: '/ecs/payments', logStream: 's', timestamp: Date.now(), message: 'seed' }]);
    const dir = makeProject({
      'tailwatch.yaml': CONFIG(`  endpoint: "${emu.endpoint}"`),
      'rules/r.yaml': 'rules:\n  - id: pay\n    source: { logGroups: [/ecs/payments] }\n',
    });
    const r = await tailUntilExit(dir, 'pay');
    expect(r.code).toBe(2);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('tailwatch tail:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^tailwatch tail: rule "pay" cannot be tailed: Live Tail refused session lt-[0-9a-f]{8}: the credentials were not accepted \(UnrecognizedClientException \(HTTP 400\)\) — log groups: /);
    expect(r.stderr).not.toContain('tailwatch-local-placeholder');
  }, 30_000);

  it('an unreachable endpoint: retried, one plain stderr line per attempt, SIGINT still exits 0', async () => {
    const down = await startEmulator({ updateIntervalMs: 0 });
    const endpoint = down.endpoint;
    await down.close();
    const dir = makeProject({
      'tailwatch.yaml': CONFIG(`  endpoint: "${endpoint}"\nsessions:\n  backoff: { initial: 50ms, max: 200ms }`),
      'rules/r.yaml': 'rules:\n  - id: pay\n    source: { logGroups: [/ecs/payments] }\n',
    });
    const c = spawn(process.execPath, [BIN, 'tail', '--rule', 'pay', '-c', 'tailwatch.yaml'], { cwd: dir, env: childEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    let stderr = '';
    c.stderr!.on('data', (d) => (stderr += d));
    const exit = new Promise<number | null>((resolve) => c.once('exit', (code) => resolve(code)));
    const retries = () => stderr.split('\n').filter((l) => l.startsWith('tailwatch tail: session '));
    await until(() => retries().length >= 3, 10_000, 'three retry lines');
    const port = new URL(endpoint).port;
    for (const l of retries()) expect(l).toMatch(new RegExp(`^tailwatch tail: session lt-[0-9a-f]{8} interrupted \\(connection: ECONNREFUSED \\(connect 127\\.0\\.0\\.1:${port}\\)\\), retrying in \\d+\\.\\d s$`));
    expect(stderr).not.toContain('{"');
    c.kill('SIGINT');
    expect(await exit).toBe(0);
  }, 30_000);

  it("the source's other log lines are plain text: label, message, fields — no numeric level, no epoch time", async () => {
    const { pino } = await import('pino');
    const { PassThrough } = await import('node:stream');
    const { plainLog } = await import('../../src/cli/tail.js');
    const out = new PassThrough();
    let text = '';
    out.on('data', (d) => (text += d));
    const logger = pino({ level: 'warn', base: undefined, formatters: { level: (label: string) => ({ level: label }) } }, plainLog(out));
    logger.warn({ session: 'lt-12345678', error: 'ThrottlingException (HTTP 400)', attempt: 1 }, 'gap backfill failed');
    logger.warn({ session: 'lt-12345678', reason: 'connection' }, 'session restarting'); // reported by onRestart instead
    await new Promise((r) => setImmediate(r));
    expect(text).toBe('tailwatch tail: warn: gap backfill failed (session lt-12345678, error ThrottlingException (HTTP 400), attempt 1)\n');
  });

  it('an unknown rule id exits 2 with a message', () => {
    const dir = makeProject({ 'tailwatch.yaml': CONFIG(), 'rules/r.yaml': 'rules:\n  - id: pay\n    source: { logGroups: [/ecs/payments] }\n' });
    const r = spawnSync(process.execPath, [BIN, 'tail', '--rule', 'nope', '-c', 'tailwatch.yaml'], { cwd: dir, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('no rule "nope" (rules: pay)');
  });
});
