import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import path from 'node:path';
import { loadAll } from '../../src/config/load.js';
import type { Config } from '../../src/model/config.js';
import { configForSource, rulesForSource, shardKey, shardOf, shardPart, sourcesInShard, sourcesOf } from '../../src/config/sources.js';
import { formatProblem } from '../../src/problems.js';
import { ruleFingerprint } from '../../src/engine/compile.js';
import { makeProject } from '../kit/project.js';

const CONFIG = `aws: { region: eu-west-1, accountId: "111111111111" }
sources:
  us: { region: us-east-1, accountId: "222222222222", profile: prod }
  mon: { region: eu-west-1, accountId: "333333333333", linkedAccounts: ["444444444444"] }
destinations: { c: { type: console } }
defaults: { notify: [c] }
rules: { paths: [rules.yaml] }
`;

async function load(rules: string, config = CONFIG) {
  const dir = makeProject({ 'tailwatch.yaml': config, 'rules.yaml': rules });
  return loadAll({ configPath: path.join(dir, 'tailwatch.yaml'), configRequired: true, env: {}, cwd: dir, now: 0 });
}

describe('a rule picks its source with source.from', () => {
  it('gets the region of its source for log group names; default is aws:', async () => {
    const loaded = await load('rules:\n  - id: a\n    source: { logGroups: [/app] }\n  - id: b\n    source: { from: us, logGroups: [/app] }\n  - id: c\n    source: { from: default, logGroups: [/app] }\n');
    expect(loaded.problems.map(formatProblem)).toEqual([]);
    const byId = new Map(loaded.ruleSet.rules.map((r) => [r.id, r.source]));
    expect(byId.get('a')).toMatchObject({ region: 'eu-west-1' });
    expect(byId.get('a')!.from).toBeUndefined();
    expect(byId.get('b')).toMatchObject({ region: 'us-east-1', from: 'us' });
    // Naming `default` is the same rule as not naming it (same fingerprint, same windows).
    expect(byId.get('c')!.from).toBeUndefined();
    expect(sourcesOf(loaded.config).map(([n]) => n)).toEqual(['default', 'mon', 'us']);
    expect(configForSource(loaded.config, 'us').aws).toMatchObject({ region: 'us-east-1', accountId: '222222222222', profile: 'prod' });
    expect(rulesForSource(loaded.ruleSet, 'us').rules.map((r) => r.id)).toEqual(['b']);
    expect(rulesForSource(loaded.ruleSet, 'default').rules.map((r) => r.id)).toEqual(['a', 'c']);
  });

  it('is told, at its position, when the source is unknown or an ARN is of another region or account', async () => {
    const loaded = await load(
      [
        'rules:',
        '  - id: a',
        '    source: { from: nope, logGroups: [/x] }',
        '  - id: b',
        '    source: { from: us, logGroups: ["arn:aws:logs:eu-west-1:222222222222:log-group:/x"] }',
        '  - id: c',
        '    source: { logGroups: ["arn:aws:logs:eu-west-1:999999999999:log-group:/x"] }',
        '  - id: d',
        '    source: { from: mon, logGroups: ["arn:aws:logs:eu-west-1:444444444444:log-group:/linked", "arn:aws:logs:eu-west-1:333333333333:log-group:/own"] }',
        '',
      ].join('\n'),
    );
    expect(loaded.problems.map((p) => `${p.line}:${p.col}: ${p.message}`)).toEqual([
      '3:21: rules[0].source.from: no source named "nope" (config sources: default, mon, us)',
      '5:37: rules[1].source.logGroups[0]: log group ARN is in eu-west-1, but source us is in us-east-1 (name a source of eu-west-1 with source.from)',
      "7:27: rules[2].source.logGroups[0]: log group ARN is in account 999999999999, but source default is account 111111111111: name that account's source with source.from, or list the account in linkedAccounts of a monitoring account's source",
    ]);
  });

  it('keeps a config without sources: as it was: ARNs of any region in aws:', async () => {
    const loaded = await load('rules:\n  - id: a\n    source: { logGroups: ["arn:aws:logs:ap-south-1:999999999999:log-group:/x"] }\n', 'aws: { region: eu-west-1 }\ndestinations: { c: { type: console } }\ndefaults: { notify: [c] }\nrules: { paths: [rules.yaml] }\n');
    expect(loaded.problems.map(formatProblem)).toEqual([]);
    expect(loaded.config.sources).toBeUndefined();
    expect(sourcesOf(loaded.config).map(([n]) => n)).toEqual(['default']);
  });
});

describe('log groups are taken apart once, when the rules load', () => {
  it('gives every stage the partition, region, account and name, and leaves the rule fingerprint as it was', async () => {
    const loaded = await load(
      'rules:\n  - id: a\n    source: { logGroups: [/app, "arn:aws-cn:logs:cn-north-1:111111111111:log-group:/cn"] }\n',
      'aws: { region: eu-west-1 }\ndestinations: { c: { type: console } }\ndefaults: { notify: [c] }\nrules: { paths: [rules.yaml] }\n',
    );
    expect(loaded.problems.map(formatProblem)).toEqual([]);
    const rule = loaded.ruleSet.rules[0]!;
    expect(rule.source.targets).toEqual([
      { written: '/app', name: '/app' },
      { written: 'arn:aws-cn:logs:cn-north-1:111111111111:log-group:/cn', arn: 'arn:aws-cn:logs:cn-north-1:111111111111:log-group:/cn', name: '/cn', region: 'cn-north-1', account: '111111111111', partition: 'aws-cn' },
    ]);
    const { targets: _targets, ...written } = rule.source;
    expect(ruleFingerprint(rule)).toBe(ruleFingerprint({ ...rule, source: written }));
  });
});

describe('shards split the sources with no coordination', () => {
  const config = (n: number, shard?: { index: number; count: number }): Config =>
    ({
      aws: { region: 'eu-west-1', accountId: '100000000000' },
      sources: Object.fromEntries(Array.from({ length: n }, (_, i) => [i === 0 ? 'default' : `s${i}`, { region: ['eu-west-1', 'us-east-1', 'ap-south-1'][i % 3], accountId: String(100000000000 + Math.floor(i / 3)) }])),
      shard,
    }) as unknown as Config;

  it('assigns every source to exactly one shard, the same one in every daemon', () => {
    const c = config(60);
    const parts = [0, 1, 2, 3].map((index) => sourcesInShard(c, { index, count: 4 }));
    const all = parts.flat().sort();
    expect(all).toEqual(sourcesOf(c).map(([n]) => n).sort());
    expect(new Set(all).size).toBe(60);
    // Roughly even: no shard empty or holding more than half.
    for (const p of parts) expect(p.length).toBeGreaterThan(5);
    for (const p of parts) expect(p.length).toBeLessThan(30);
    // Stable: the assignment is a function of account and region, not of the order or the names.
    expect(shardOf(shardKey('x', { accountId: '100000000007', region: 'us-east-1' }), 4)).toBe(shardOf(shardKey('y', { region: 'us-east-1', accountId: '100000000007' }), 4));
    expect(shardOf('100000000000/eu-west-1', 4)).toBe(shardOf('100000000000/eu-west-1', 4));
  });

  it('moves only the sources the new shard takes when a shard is added', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 50 }), fc.integer({ min: 1, max: 8 }), (keys, n) => {
        for (const k of keys) {
          const before = shardOf(k, n);
          const after = shardOf(k, n + 1);
          expect(after === before || after === n).toBe(true);
        }
      }),
    );
  });

  it("keeps the rules of its sources only", async () => {
    const loaded = await load('rules:\n  - id: a\n    source: { logGroups: [/app] }\n  - id: b\n    source: { from: us, logGroups: [/app] }\n  - id: c\n    source: { from: mon, logGroups: [/app] }\n');
    const seen: string[] = [];
    for (const index of [0, 1]) {
      const part = shardPart(loaded.ruleSet, loaded.config, { index, count: 2 });
      seen.push(...part.ruleSet.rules.map((r) => r.id));
      for (const r of part.ruleSet.rules) expect(part.names).toContain(r.source.from ?? 'default');
    }
    expect(seen.sort()).toEqual(['a', 'b', 'c']);
  });
});

describe('a source that assumes a role', () => {
  const withRole = (role: string) => `aws: { region: eu-west-1, accountId: "111111111111" }
sources:
  prod:
    region: us-east-1
    accountId: "222222222222"
    roleArn: "arn:aws:iam::222222222222:role/tailwatch-reader"
${role}destinations: { c: { type: console } }
defaults: { notify: [c] }
rules: { paths: [rules.yaml] }
`;
  const rules = 'rules:\n  - id: a\n    source: { from: prod, logGroups: [/app] }\n';

  it('loads roleArn, externalId, sessionName and duration; the session name defaults to tailwatch-<source>', async () => {
    const full = await load(rules, withRole('    externalId: ext-123\n    sessionName: tw-prod\n    duration: 2h\n'));
    expect(full.problems.map(formatProblem)).toEqual([]);
    expect(configForSource(full.config, 'prod').aws).toMatchObject({ roleArn: 'arn:aws:iam::222222222222:role/tailwatch-reader', externalId: 'ext-123', roleSessionName: 'tw-prod', roleDurationMs: 7_200_000 });
    const bare = await load(rules, withRole(''));
    expect(bare.problems.map(formatProblem)).toEqual([]);
    expect(configForSource(bare.config, 'prod').aws).toMatchObject({ roleSessionName: 'tailwatch-prod' });
    expect(configForSource(bare.config, 'prod').aws.roleDurationMs).toBeUndefined();
  });

  it('refuses a duration STS does not grant, and a session name or external id STS refuses, with positions', async () => {
    for (const [extra, want] of [
      ['    duration: 10m\n', /^tailwatch\.yaml:7:15: sources\.prod\.duration: 10m is not a role session STS grants: whole seconds from 15m to 12h/],
      ['    duration: 13h\n', /^tailwatch\.yaml:7:15: sources\.prod\.duration: 13h is not a role session STS grants/],
      ['    sessionName: "has space"\n', /^tailwatch\.yaml:7:18: sources\.prod\.sessionName/],
      ['    externalId: "x y!"\n', /^tailwatch\.yaml:7:17: sources\.prod\.externalId/],
    ] as const) {
      const loaded = await load(rules, withRole(extra));
      const problems = loaded.problems.map(formatProblem);
      expect(problems.length, extra).toBe(1);
      expect(problems[0], extra).toMatch(want);
    }
  });
});
