import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTestFile } from '../../src/ruletest/format.js';
import { caseEvents } from '../../src/ruletest/run.js';
import { runCli } from '../kit/cli.js';
import { makeProject } from '../kit/project.js';

const fixture = path.resolve(import.meta.dirname, '../fixtures/engine/ruletest');

function project(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tw-ruletest-'));
  cpSync(fixture, dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

const FAILING = `rule_files: [app.yaml]
tests:
  - name: wrong time and an extra alert
    input:
      - { repeat: 6, json: { level: error, host: h1, msg: ERROR boom } }
    expect:
      - { rule: errors-burst, group: { host: h1 }, count: 3, at: 3s }
`;

describe('tailwatch test', () => {
  it('runs every rules/**/*.test.yaml when given no file and prints the summary line', async () => {
    const r = await runCli(['test'], { cwd: project() });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'PASS rules/app.test.yaml:3:5: three errors fire\n' + 'PASS rules/app.test.yaml:10:5: two do not\n' + '2 passed, 0 failed\n',
    );
  });

  it('fails with a readable diff (- expected, + produced) and exit 1', async () => {
    const dir = project({ 'rules/failing.test.yaml': FAILING });
    const r = await runCli(['test', 'rules/failing.test.yaml'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      [
        'FAIL rules/failing.test.yaml:3:5: wrong time and an extra alert',
        '  alerts (- expected but not produced, + produced but not expected):',
        '  + firing errors-burst {"host":"h1"} count=3 at=2s suppressed=0',
        '  - firing errors-burst {"host":"h1"} count=3 at=3s',
        '  + firing errors-burst {"host":"h1"} count=3 at=5s suppressed=0',
        '0 passed, 1 failed',
        '',
      ].join('\n'),
    );
  });

  it('counts passes and failures across files', async () => {
    const r = await runCli(['test'], { cwd: project({ 'rules/failing.test.yaml': FAILING }) });
    expect(r.code).toBe(1);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('2 passed, 1 failed');
  });

  it('reports test-file mistakes as file:line:col on stderr and counts the file as failed', async () => {
    const dir = project({ 'rules/bad.test.yaml': 'rule_files: [app.yaml]\ntests:\n  - name: typo\n    input:\n      - { at: soon, mesage: x }\n' });
    const r = await runCli(['test', 'rules/bad.test.yaml'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('rules/bad.test.yaml:5:21: unknown key "mesage" in an input entry (expected one of: at, every, repeat, logGroup, logStream, message, json, restart, gap)');
    expect(r.stderr).toContain('rules/bad.test.yaml:5:15: at must be a duration like 30s, 5m, 1h30m (got "soon")');
    expect(r.stdout).toContain('0 passed, 1 failed');
  });

  it('reports a missing rule file at its place in the test file', async () => {
    const dir = project({ 'rules/missing.test.yaml': 'rule_files: [nope.yaml]\ntests:\n  - name: x\n    expect: []\n' });
    const r = await runCli(['test', 'rules/missing.test.yaml'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('rules/missing.test.yaml:1:14: rule file not found: rules/nope.yaml\n');
  });

  it('reports invalid rules under test with their positions', async () => {
    const dir = project({ 'rules/broken.yaml': 'rules:\n  - id: b\n    source: { logGroups: [/x] }\n    title: "{{cuont}}"\n', 'rules/broken.test.yaml': 'rule_files: [broken.yaml]\ntests:\n  - name: x\n    expect: []\n' });
    const r = await runCli(['test', 'rules/broken.test.yaml'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^rules\/broken\.yaml:4:\d+: .*cuont/m);
  });

  it('fails when there is nothing to run (a CI job must not pass testing nothing), unless --allow-empty', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tw-ruletest-empty-'));
    const r = await runCli(['test'], { cwd: dir });
    expect(r.stdout).toBe('0 passed, 0 failed\n');
    expect(r.stderr).toBe('tailwatch test: no rule tests found (*.test.yaml under rules); --allow-empty makes that a success\n');
    expect(r.code).toBe(1);
    const allowed = await runCli(['test', '--allow-empty'], { cwd: dir });
    expect(allowed.stdout).toBe('0 passed, 0 failed\n');
    expect(allowed.stderr).toBe('tailwatch test: no rule tests found (*.test.yaml under rules)\n');
    expect(allowed.code).toBe(0);
  });

  it('finds the tests under the rules.paths of the config named by -c or $TAILWATCH_CONFIG, with its defaults', async () => {
    const rule = 'rules:\n  - id: boom\n    source: { logGroups: [/g] }\n';
    const test = 'rule_files: [boom.yaml]\ntests:\n  - name: labelled by the config\n    input: [{ message: boom }]\n    expect: [{ rule: boom, title: "boom for ops" }]\n';
    const dir = makeProject({
      'etc/tw.yaml': 'rules: { paths: [../alerting, ../single/boom.yaml] }\ndefaults: { labels: { team: ops } }\n',
      'alerting/nested/boom.yaml': rule + '    title: "{{rule.id}} for {{labels.team}}"\n',
      'alerting/nested/boom.test.yaml': test,
      'single/boom.yaml': rule + '    title: "{{rule.id}} for {{labels.team}}"\n',
      'single/boom.test.yaml': test,
      'single/other.test.yaml': 'not: picked',
      'rules/ignored.test.yaml': 'not: picked either',
    });
    for (const run of [() => runCli(['test', '-c', 'etc/tw.yaml'], { cwd: dir }), () => runCli(['test'], { cwd: dir, env: { TAILWATCH_CONFIG: 'etc/tw.yaml' } })]) {
      const r = await run();
      expect(r.stdout).toBe('PASS alerting/nested/boom.test.yaml:3:5: labelled by the config\nPASS single/boom.test.yaml:3:5: labelled by the config\n2 passed, 0 failed\n');
      expect(r.code).toBe(0);
    }
    const none = makeProject({ 'tw.yaml': 'rules: { paths: [nowhere] }\n' });
    const r = await runCli(['test', '-c', 'tw.yaml'], { cwd: none });
    expect(r.stderr).toContain('no rule tests found (*.test.yaml under nowhere)');
    expect(r.code).toBe(1);
  });

  it('ships passing tests for every rule file in the repository', async () => {
    const r = await runCli(['test'], { cwd: path.resolve(import.meta.dirname, '../..') });
    expect(r.stdout).toMatch(/^\d+ passed, 0 failed$/m);
    expect(r.code).toBe(0);
  });
});

describe('the test file format', () => {
  it('expands repeat/every relative to the start and sorts events by time', () => {
    const { testFile, problems } = parseTestFile(
      'rule_files: [a.yaml]\nstart: 2026-05-01T00:00:00Z\ntests:\n  - input:\n      - { at: 1m, repeat: 3, every: 30s, message: b }\n      - { at: 1m15s, json: { a: 1 }, logGroup: /g, logStream: s }\n',
      '/x/t.test.yaml',
      't.test.yaml',
    );
    expect(problems).toEqual([]);
    const start = Date.parse('2026-05-01T00:00:00Z');
    expect(caseEvents(testFile!.cases[0]!).map((e) => [(e.timestamp - start) / 1000, e.message, e.logGroup])).toEqual([
      [60, 'b', ''],
      [75, '{"a":1}', '/g'],
      [90, 'b', ''],
      [120, 'b', ''],
    ]);
    expect(testFile!.ruleFiles).toEqual(['/x/a.yaml']);
  });

  it('rejects YAML syntax errors with their position', () => {
    const { problems } = parseTestFile('tests: [\n', '/x/t.test.yaml', 't.test.yaml');
    expect(problems[0]).toMatchObject({ file: 't.test.yaml', line: 2 });
  });

  it('requires rule_files and tests, and a rule and message where they belong', () => {
    const { problems } = parseTestFile('tests:\n  - input: [{ at: 1s }]\n    expect: [{ kind: firing }, { rule: r, kind: fired }]\n', '/x/t.test.yaml', 't.test.yaml');
    expect(problems.map((p) => `${p.line}:${p.col}: ${p.message.split(' (')[0]}`)).toEqual([
      '1:1: missing "rule_files"',
      '2:13: an input entry needs "message"',
      '3:14: an expected alert needs "rule"',
      '3:49: kind must be "firing" or "resolved"',
    ]);
  });
});
