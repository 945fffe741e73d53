/**
 * `feed`: live (default) or `{ poll, lag }`, on a rule, in a rule file's
 * defaults or in the config's; ranges checked at their position.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAll } from '../../src/config/load.js';
import { formatProblem } from '../../src/problems.js';
import { makeProject } from '../kit/project.js';

async function load(files: Record<string, string>) {
  const dir = makeProject(files);
  return loadAll({ configPath: path.join(dir, 'tailwatch.yaml'), configRequired: true, env: {}, cwd: dir, now: 0 });
}

const config = (extra = ''): string => `aws: { region: us-east-1 }\ndestinations: { c: { type: console } }\ndefaults: { notify: [c]${extra} }\n`;

describe('rule feed', () => {
  it('is live unless a rule, its file or the config says poll; the nearest wins', async () => {
    const loaded = await load({
      'tailwatch.yaml': config(', feed: { poll: 5m }'),
      'rules/a.yaml': [
        'defaults: { feed: { poll: 30s, lag: 10s } }',
        'rules:',
        '  - { id: file-default, source: { logGroups: [/a] } }',
        '  - { id: own-live, source: { logGroups: [/a] }, feed: live }',
        '  - { id: own-poll, source: { logGroups: [/a] }, feed: { poll: 1m, lag: 0s } }',
      ].join('\n'),
      'rules/b.yaml': 'rules:\n  - { id: config-default, source: { logGroups: [/b] } }\n',
    });
    expect(loaded.problems.map(formatProblem)).toEqual([]);
    const feeds = Object.fromEntries(loaded.ruleSet.rules.map((r) => [r.id, r.feed]));
    expect(feeds).toEqual({
      'file-default': { kind: 'poll', intervalMs: 30_000, lagMs: 10_000 },
      'own-live': undefined,
      'own-poll': { kind: 'poll', intervalMs: 60_000, lagMs: 0 },
      'config-default': { kind: 'poll', intervalMs: 300_000, lagMs: 30_000 },
    });
  });

  it('rejects a poll interval out of range, a lag too long and an unknown shape, at their position', async () => {
    const loaded = await load({
      'tailwatch.yaml': config(', feed: { poll: 2h }'),
      'rules/a.yaml': [
        'rules:',
        '  - id: fast',
        '    source: { logGroups: [/a] }',
        '    feed: { poll: 500ms, lag: 2h }',
        '  - id: odd',
        '    source: { logGroups: [/a] }',
        '    feed: { every: 1m }',
      ].join('\n'),
    });
    const text = loaded.problems.map(formatProblem).join('\n');
    expect(text).toMatch(/tailwatch\.yaml:3:\d+: .*defaults\.feed\.poll: must be between 1s and 1h, got 2h/);
    expect(text).toMatch(/rules\/a\.yaml:4:\d+: .*rules\[0\]\.feed\.poll: must be between 1s and 1h, got 500ms/);
    expect(text).toMatch(/rules\/a\.yaml:4:\d+: .*rules\[0\]\.feed\.lag: must be at most 1h, got 2h/);
    expect(text).toMatch(/rules\/a\.yaml:7:\d+: rules\[1\]\.feed: unknown key "every"/);
    expect(text).toMatch(/rules\/a\.yaml:7:\d+: rules\[1\]\.feed: missing required key "poll"/);
    expect(text).not.toContain('constant');
  });
});
