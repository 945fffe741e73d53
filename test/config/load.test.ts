import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeProject } from '../kit/project.js';
import { loadAll, loadProject } from '../../src/config/load.js';
import { formatProblem } from '../../src/problems.js';
import { Engine } from '../../src/engine/engine.js';
import { ev, feed } from '../kit/rules.js';

const root = path.resolve(import.meta.dirname, '../..');
const exampleEnv = { SLACK_ONCALL_WEBHOOK: 'https://hooks.slack.com/services/T0/B0/SECRETSLACK', OPS_TOKEN: 'tok-SECRET', OPS_HMAC_SECRET: 'hmac-SECRET' };

const project = (files: Record<string, string>): string => makeProject(files);

describe('the example config and rules', () => {
  it('load without errors when the variables they name are set', async () => {
    const loaded = await loadAll({ configPath: path.join(root, 'config.example.yaml'), configRequired: true, env: exampleEnv, cwd: root, now: Date.parse('2026-11-28T00:00:00Z') });
    expect(loaded.problems.map(formatProblem)).toEqual([]);
    expect(loaded.ruleSet.rules.map((r) => r.id).sort()).toEqual(
      ['checkout-slow-requests', 'lambda-timeouts', 'payments-5xx-burst', 'payments-refund-failures', 'payments-settlement-silent', 'platform-fatal'],
    );
  });

  it('resolve durations to ms, paths against the config folder, and interpolate the environment', async () => {
    const { config } = await loadProject({ configPath: path.join(root, 'config.example.yaml'), configRequired: true, env: { ...exampleEnv, TAILWATCH_STATE_DIR: 'var/state' }, cwd: '/', now: 0 });
    expect(config.sessions.rotateAfterMs).toBe((2 * 60 + 55) * 60_000);
    expect(config.sessions.backoff).toEqual({ initialMs: 1000, maxMs: 120_000 });
    expect(config.delivery).toEqual({ retryInitialMs: 1_000, retryMaxMs: 300_000, maxAgeMs: 86_400_000, timeoutMs: 10_000, maxQueued: 10_000 });
    expect(config.rules.paths).toEqual([path.join(root, 'rules')]);
    expect(config.state.dir).toBe(path.join(root, 'var/state'));
    expect(config.aws.region).toBe('eu-west-1');
    expect(config.destinations['ops-hook']).toMatchObject({ type: 'webhook', headers: { Authorization: 'Bearer tok-SECRET' }, secret: 'hmac-SECRET' });
    expect(config.silences[0]).toMatchObject({ rule: 'payments-refund-failures', labels: { team: 'payments' }, until: Date.parse('2030-12-01T06:00:00Z') });
  });
});

describe('defaults', () => {
  const files = {
    'tailwatch.yaml': 'destinations: { a: { type: console }, b: { type: console }, c: { type: console } }\ndefaults: { notify: [a], throttle: 1m, severity: info, labels: { env: prod, team: core } }\n',
    'rules/x.yaml': [
      'defaults: { notify: [b], labels: { team: web } }',
      'rules:',
      '  - id: inherits',
      '    source: { logGroups: [/g] }',
      '  - id: overrides',
      '    source: { logGroups: [/g] }',
      '    notify: [c]',
      '    throttle: 0s',
      '    severity: critical',
      '    labels: { team: db }',
      '  - id: off',
      '    enabled: false',
      '    source: { logGroups: [/g] }',
    ].join('\n'),
  };

  it('merge config < file < rule, labels key by key; disabled rules are validated but not loaded', async () => {
    const dir = project(files);
    const { ruleSet } = await loadProject({ configPath: path.join(dir, 'tailwatch.yaml'), configRequired: true, env: {}, cwd: dir });
    const [inherits, overrides] = ruleSet.rules;
    expect(ruleSet.rules).toHaveLength(2);
    expect(inherits).toMatchObject({ id: 'inherits', notify: ['b'], throttleMs: 60_000, severity: 'info', labels: { env: 'prod', team: 'web' }, resolve: false, enabled: true });
    expect(overrides).toMatchObject({ id: 'overrides', notify: ['c'], throttleMs: 0, severity: 'critical', labels: { env: 'prod', team: 'db' } });
    expect(Object.isFrozen(inherits)).toBe(true);
    expect(Object.isFrozen(inherits!.source.logGroups)).toBe(true);
  });

  it('use the documented values when nothing sets them (throttle 5m, severity warning)', async () => {
    const dir = project({ 'rules/r.yaml': 'rules:\n  - id: bare\n    source: { logGroups: [/g] }\n' });
    const { ruleSet, config } = await loadProject({ configPath: path.join(dir, 'tailwatch.yaml'), configRequired: false, env: {}, cwd: dir });
    expect(config.file).toBe('');
    expect(ruleSet.rules[0]).toMatchObject({ throttleMs: 300_000, severity: 'warning', notify: [], title: 'bare' });
  });
});

describe('resolvedTitle and resolvedMessage', () => {
  const files = {
    'tailwatch.yaml': [
      'destinations: { a: { type: console } }',
      'defaults:',
      '  notify: [a]',
      '  resolvedTitle: "config title {{rule.id}}"',
      '  resolvedMessage: "config text {{count}}"',
    ].join('\n'),
    'rules/x.yaml': [
      'defaults: { resolvedMessage: "file text {{kind}}" }',
      'rules:',
      '  - id: file-over-config',
      '    source: { logGroups: [/g] }',
      '    window: { type: threshold, count: 1, within: 1m }',
      '    resolve: true',
      '  - id: rule-over-file',
      '    source: { logGroups: [/g] }',
      '    window: { type: threshold, count: 1, within: 1m }',
      '    resolve: true',
      '    resolvedTitle: "own title {{window}}"',
      '    resolvedMessage: "own text {{rule.id}}"',
    ].join('\n'),
    'rules/y.yaml': 'rules:\n  - id: config-only\n    source: { logGroups: [/g] }\n    window: { type: threshold, count: 1, within: 1m }\n    resolve: true\n',
  };

  it('merge config < file < rule and word the resolved alerts at every level', async () => {
    const dir = project(files);
    const { ruleSet } = await loadProject({ configPath: path.join(dir, 'tailwatch.yaml'), configRequired: true, env: {}, cwd: dir });
    expect(ruleSet.rules.map((r) => [r.id, r.resolvedTitle, r.resolvedMessage])).toEqual([
      ['file-over-config', 'config title {{rule.id}}', 'file text {{kind}}'],
      ['rule-over-file', 'own title {{window}}', 'own text {{rule.id}}'],
      ['config-only', 'config title {{rule.id}}', 'config text {{count}}'],
    ]);
    const alerts = feed(new Engine({ rules: ruleSet }), [ev(0, 'x', { logGroup: '/g' })], 600);
    expect(alerts.filter((a) => a.kind === 'resolved').map((a) => [a.rule.id, a.title, a.text])).toEqual([
      ['file-over-config', 'config title file-over-config', 'file text resolved'],
      ['rule-over-file', 'own title 1m', 'own text rule-over-file'],
      ['config-only', 'config title config-only', 'config text 0'],
    ]);
  });

  it('are left unset when nothing sets them (the engine words the resolve)', async () => {
    const dir = project({ 'rules/r.yaml': files['rules/y.yaml'] });
    const { ruleSet } = await loadProject({ configPath: path.join(dir, 'tailwatch.yaml'), configRequired: false, env: {}, cwd: dir });
    expect(ruleSet.rules[0]!.resolvedTitle).toBeUndefined();
    expect(ruleSet.rules[0]!.resolvedMessage).toBeUndefined();
  });
});

describe('environment variables', () => {
  it('take ${NAME:-default} when unset, $${ as a literal, and never echo a value in a problem', async () => {
    const dir = project({
      'tailwatch.yaml': 'aws: { region: "${REGION:-us-east-2}" }\nlog: { level: "${LEVEL}" }\ndestinations:\n  h: { type: webhook, url: "https://x.example/$${literal}", headers: { X-Key: "${KEY}" } }\n  bad: { type: slack, url: "${SLACK_URL}" }\n',
      'rules/r.yaml': 'rules: []\n',
    });
    const loaded = await loadAll({ configPath: path.join(dir, 'tailwatch.yaml'), configRequired: true, env: { LEVEL: 'debug', KEY: 'k-TOPSECRET', SLACK_URL: 'hooks.slack.com/TOPSECRET' }, cwd: dir });
    const text = loaded.problems.map(formatProblem).join('\n');
    expect(text).toBe('tailwatch.yaml:5:28: destinations.bad.url: not a valid http(s) URL');
    expect(text).not.toContain('TOPSECRET');
    const ok = await loadProject({ configPath: path.join(dir, 'tailwatch.yaml'), configRequired: true, env: { LEVEL: 'debug', KEY: 'k', SLACK_URL: 'https://hooks.slack.com/x' }, cwd: dir });
    expect(ok.config.aws.region).toBe('us-east-2');
    expect(ok.config.log.level).toBe('debug');
    expect(ok.config.destinations['h']).toMatchObject({ url: 'https://x.example/${literal}', headers: { 'X-Key': 'k' } });
  });
});

describe('silences', () => {
  it('an expired silence is a warning, not an error', async () => {
    const dir = project({
      'tailwatch.yaml': 'silences:\n  - match: { rule: x }\n    until: 2020-01-01T00:00:00Z\nrules: { allowEmpty: true }\n',
      'rules/r.yaml': 'rules: []\n',
    });
    const loaded = await loadAll({ configPath: path.join(dir, 'tailwatch.yaml'), configRequired: true, env: {}, cwd: dir, now: Date.parse('2026-01-01T00:00:00Z') });
    expect(loaded.problems.map(formatProblem)).toEqual(['tailwatch.yaml:3:12: warning: silences[0]: expired at 2020-01-01T00:00:00.000Z; it is ignored (remove it)']);
  });
});

describe('delivery.maxQueued', () => {
  it('is 10,000 deliveries per destination unless set, and must be a positive integer', async () => {
    const bare = project({ 'tailwatch.yaml': 'destinations: { a: { type: console } }\n', 'rules/r.yaml': 'rules: []\n' });
    expect((await loadProject({ configPath: path.join(bare, 'tailwatch.yaml'), configRequired: true, env: {}, cwd: bare })).config.delivery.maxQueued).toBe(10_000);
    const set = project({ 'tailwatch.yaml': 'delivery: { maxQueued: 500 }\n', 'rules/r.yaml': 'rules: []\n' });
    expect((await loadProject({ configPath: path.join(set, 'tailwatch.yaml'), configRequired: true, env: {}, cwd: set })).config.delivery.maxQueued).toBe(500);
    const bad = project({ 'tailwatch.yaml': 'delivery: { maxQueued: 0 }\n', 'rules/r.yaml': 'rules: []\n' });
    const loaded = await loadAll({ configPath: path.join(bad, 'tailwatch.yaml'), configRequired: true, env: {}, cwd: bad, now: 0 });
    expect(loaded.problems.map(formatProblem).join('\n')).toMatch(/^tailwatch\.yaml:1:24: delivery\.maxQueued: /);
  });
});

describe('all problems in one run', () => {
  it('reports problems of several files and keeps loading valid rules of a file with a broken one', async () => {
    const dir = project({
      'rules/a.yaml': 'rules:\n  - id: good\n    source: { logGroups: [/g] }\n  - id: bad\n    source: { logGroups: [/g] }\n    throttle: soon\n',
      'rules/b.yaml': 'rules:\n  - id: other\n    severity: loud\n    source: { logGroups: [/g] }\n',
      'rules/a.test.yaml': 'not: [a rule file\n',
    });
    const loaded = await loadAll({ configPath: path.join(dir, 'tailwatch.yaml'), configRequired: false, env: {}, cwd: dir });
    expect(loaded.problems.map(formatProblem)).toEqual([
      'rules/a.yaml:6:15: rules[1].throttle: invalid duration (use e.g. 500ms, 30s, 5m, 2h55m, 1d)',
      'rules/b.yaml:3:15: rules[0].severity: must be one of "info", "warning", "error", "critical"',
    ]);
    expect(loaded.ruleSet.rules.map((r) => r.id)).toEqual(['good']);
  });
});

describe('positions inside quoted strings', () => {
  it('point at the character, counting an escape as the one character it stands for', async () => {
    const dir = project({
      'rules/a.yaml': [
        'rules:',
        '  - id: double',
        '    source: { logGroups: [/g], filterPattern: "\\"a\\\\tb\\" %x!%" }',
        '  - id: single',
        "    source: { logGroups: [/g], filterPattern: '''a'' %x!%' }",
        '',
      ].join('\n'),
    });
    const loaded = await loadAll({ configPath: path.join(dir, 'tailwatch.yaml'), configRequired: false, env: {}, cwd: dir });
    // Both at the '!' (columns 60 and 56), not shifted by the escapes before it.
    expect(loaded.problems.map(formatProblem)).toEqual([
      "rules/a.yaml:3:60: rules[0].source.filterPattern: invalid filter pattern: character '!' is not allowed in a regex",
      "rules/a.yaml:5:56: rules[1].source.filterPattern: invalid filter pattern: character '!' is not allowed in a regex",
    ]);
  });
});

describe('log group ARNs with a trailing :*', () => {
  const ARN = 'arn:aws:logs:eu-west-1:123456789012:log-group:/app';
  it('are accepted as the console and IAM show them, the :* dropped once for every stage', async () => {
    const dir = project({ 'rules/a.yaml': `rules:\n  - id: starred\n    source: { logGroups: ["${ARN}:*"] }\n` });
    const loaded = await loadAll({ configPath: path.join(dir, 'tailwatch.yaml'), configRequired: false, env: {}, cwd: dir });
    expect(loaded.problems.map(formatProblem)).toEqual([]);
    const rule = loaded.ruleSet.rules[0]!;
    expect(rule.source.logGroups).toEqual([ARN]);
    expect(rule.source.targets).toEqual([{ written: ARN, name: '/app', arn: ARN, region: 'eu-west-1', account: '123456789012', partition: 'aws' }]);
  });

  it('other wildcards stay errors at the ARN; the same ARN with and without :* is listed twice', async () => {
    const dir = project({
      'rules/a.yaml': [
        'rules:',
        '  - id: wild',
        '    source:',
        '      logGroups:',
        `        - ${ARN}*`,
        `        - ${ARN}:*:*`,
        '        - arn:aws:logs:eu-west-1:123456789012:log-group:*',
        '  - id: twice',
        `    source: { logGroups: ["${ARN}", "${ARN}:*"] }`,
        '',
      ].join('\n'),
    });
    const loaded = await loadAll({ configPath: path.join(dir, 'tailwatch.yaml'), configRequired: false, env: {}, cwd: dir });
    const wildcard = 'a log group ARN must not contain "*" (Live Tail takes exact ARNs; only a trailing ":*" is dropped)';
    expect(loaded.problems.map(formatProblem)).toEqual([
      `rules/a.yaml:5:11: rules[0].source.logGroups[0]: ${wildcard}`,
      `rules/a.yaml:6:11: rules[0].source.logGroups[1]: ${wildcard}`,
      `rules/a.yaml:7:11: rules[0].source.logGroups[2]: ${wildcard}`,
      `rules/a.yaml:9:${'    source: { logGroups: ["'.length + ARN.length + '", '.length + 1}: rules[1].source.logGroups[1]: log group "${ARN}:*" is listed twice`,
    ]);
  });
});
