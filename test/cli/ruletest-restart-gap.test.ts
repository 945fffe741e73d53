/**
 * Rule tests with `restart: true` and `gap:` input entries (docs/rule-tests.md, Input): the
 * daemon restarting from its saved state, and time it could not backfill.
 */
import { describe, expect, it } from 'vitest';
import type { Rule } from '../../src/model/config.js';
import type { Alert } from '../../src/model/alert.js';
import { parseTestFile, type TestCase } from '../../src/ruletest/format.js';
import { caseAlerts } from '../../src/ruletest/run.js';
import { runCli } from '../kit/cli.js';
import { makeProject } from '../kit/project.js';
import { brief, rule } from '../kit/rules.js';

/** The one case of a test file whose `input:` is `input` (YAML flow entries, one a line). */
function oneCase(input: string[], until?: string): TestCase {
  const text = `rule_files: [r.yaml]\ntests:\n  - input:\n${input.map((l) => `      - ${l}\n`).join('')}${until ? `    until: ${until}\n` : ''}`;
  const { testFile, problems } = parseTestFile(text, '/x/t.test.yaml', 't.test.yaml');
  expect(problems).toEqual([]);
  return testFile!.cases[0]!;
}

/** Problems of a test file with this one case input, as `line:col: message`. */
function inputProblems(input: string[]): string[] {
  const text = `rule_files: [r.yaml]\ntests:\n  - input:\n${input.map((l) => `      - ${l}\n`).join('')}`;
  return parseTestFile(text, '/x/t.test.yaml', 't.test.yaml').problems.map((p) => `${p.line}:${p.col}: ${p.message}`);
}

/** Seconds after the case start (the default start, the kit's T0). */
const at = (a: Alert) => brief(a).at;

const burst = rule({ id: 'burst', throttle: '2m', resolve: true, window: { type: 'threshold', count: 5, within: '1m', groupBy: ['$.host'] } });
const heartbeat = rule({ id: 'heartbeat', resolve: true, window: { type: 'absence', within: '5m', groupBy: ['$.job'] } });

const STORM = [
  '{ at: 0s, repeat: 40, every: 3s, json: { host: h1 } }',
  '{ at: 20s, repeat: 12, every: 2s, json: { host: h2 } }',
  '{ at: 5m, repeat: 10, every: 1s, json: { host: h1 } }',
];
const HEARTBEATS = ['{ at: 0s, repeat: 10, every: 1m, json: { job: nightly } }', '{ at: 16m, repeat: 5, every: 1m, json: { job: nightly } }'];

/** Every 10 s from 0s to `toSec`, as durations. */
function restartTimes(toSec: number): string[] {
  return Array.from({ length: toSec / 10 + 1 }, (_, i) => `${i * 10}s`);
}

describe('a restart entry', () => {
  it('gives the same alerts, with the same ids, as the case without it, wherever it falls in a storm', () => {
    const rules: Rule[] = [burst];
    const straight = caseAlerts(oneCase(STORM, '15m'), rules);
    // Firings, a throttled repeat (suppressed on the resolve) and resolves: state that a restart must keep.
    expect(straight.map((a) => [a.kind, a.group['host'], at(a), a.suppressed])).toEqual([
      ['firing', 'h1', 12, 0],
      ['firing', 'h2', 28, 0],
      ['resolved', 'h2', 98, 1],
      ['resolved', 'h1', 177, 7],
      ['firing', 'h1', 304, 0],
      ['resolved', 'h1', 369, 1],
    ]);
    for (const t of restartTimes(420)) {
      expect(caseAlerts(oneCase([...STORM, `{ at: ${t}, restart: true }`], '15m'), rules), `restart at ${t}`).toEqual(straight);
    }
  });

  it('gives the same alerts wherever it falls in an absence watch: a restart between heartbeats does not page', () => {
    const rules: Rule[] = [heartbeat];
    const straight = caseAlerts(oneCase(HEARTBEATS, '40m'), rules);
    // Silent from 9m: absent at 14m, back at 16m, silent again from 20m.
    expect(straight.map((a) => [a.kind, at(a)])).toEqual([
      ['firing', 840],
      ['resolved', 960],
      ['firing', 1500],
    ]);
    for (const t of restartTimes(1800)) {
      expect(caseAlerts(oneCase([...HEARTBEATS, `{ at: ${t}, restart: true }`], '40m'), rules), `restart at ${t}`).toEqual(straight);
    }
  });

  it('changes nothing when there are several, two of them at one time', () => {
    const rules: Rule[] = [burst, heartbeat];
    const input = [...STORM, ...HEARTBEATS];
    const straight = caseAlerts(oneCase(input, '40m'), rules);
    const restarts = ['{ at: 12s, restart: true }', '{ at: 12s, restart: true }', '{ at: 5m4s, restart: true }', '{ at: 14m, restart: true }'];
    expect(caseAlerts(oneCase([...restarts, ...input], '40m'), rules)).toEqual(straight);
  });
});

describe('a gap entry', () => {
  const rules: Rule[] = [heartbeat];

  it('keeps an absence rule quiet when its heartbeat is missing only inside the gap', () => {
    const around = ['{ at: 0s, repeat: 3, every: 1m, json: { job: nightly } }', '{ at: 13m, repeat: 15, every: 1m, json: { job: nightly } }'];
    // Without the gap the heartbeat is missing from 2m: absent at 7m.
    expect(caseAlerts(oneCase(around, '30m'), rules).map((a) => [a.kind, at(a)])).toEqual([
      ['firing', 420],
      ['resolved', 780],
    ]);
    expect(caseAlerts(oneCase([...around, '{ at: 2m, gap: 10m }'], '30m'), rules)).toEqual([]);
  });

  it('fires an absence a full window after the gap when nothing comes after it', () => {
    const alerts = caseAlerts(oneCase(['{ at: 0s, repeat: 3, every: 1m, json: { job: nightly } }', '{ at: 2m, gap: 10m }'], '30m'), rules);
    expect(alerts.map((a) => [a.kind, at(a), a.count])).toEqual([['firing', 17 * 60, 0]]);
  });

  it('watches an absence again from the end of the gap, and times it from the last event after it', () => {
    const alerts = caseAlerts(oneCase(['{ at: 0s, json: { job: nightly } }', '{ at: 1m, gap: 30m }', '{ at: 33m, json: { job: nightly } }'], '1h'), rules);
    expect(alerts.map((a) => [a.kind, at(a)])).toEqual([['firing', 38 * 60]]);
  });

  it('makes a threshold firing whose window overlaps it sampled (its count may be short), and not one after', () => {
    const five = rule({ id: 'five', window: { type: 'threshold', count: 5, within: '5m' } });
    const alerts = caseAlerts(oneCase(['{ at: 1m, gap: 2m }', '{ at: 4m, repeat: 5, message: x }', '{ at: 10m, repeat: 5, message: x }']), [five]);
    expect(alerts.map((a) => [a.kind, at(a), a.sampled])).toEqual([
      ['firing', 244, true],
      ['firing', 604, false],
    ]);
  });

  it('comes after the events at its start: they still count', () => {
    const three = rule({ id: 'three', window: { type: 'threshold', count: 3, within: '1m' } });
    const alerts = caseAlerts(oneCase(['{ at: 1m50s, repeat: 3, every: 5s, message: x }', '{ at: 2m, gap: 10m }'], '30m'), [three]);
    expect(alerts.map((a) => [a.kind, at(a), a.count, a.sampled])).toEqual([['firing', 120, 3, false]]);
  });

  it('moves the clock to its start first: timers due by then fall due before it', () => {
    // Missing from 1m, absent at 6m: decided before the gap that starts at 6m.
    const alerts = caseAlerts(oneCase(['{ at: 1m, json: { job: nightly } }', '{ at: 6m, gap: 10m }'], '30m'), rules);
    expect(alerts.map((a) => [a.kind, at(a)])).toEqual([['firing', 360]]);
  });
});

describe('the sampled expectation', () => {
  const project = () =>
    makeProject({
      'rules/r.yaml': 'rules:\n  - id: burst\n    source: { logGroups: [/app] }\n    window: { type: threshold, count: 5, within: 5m }\n    throttle: 0s\n',
      'rules/r.test.yaml': [
        'rule_files: [r.yaml]',
        'tests:',
        '  - name: a firing whose window overlaps a gap is sampled, a later one is not',
        '    input:',
        '      - { at: 1m, gap: 2m }',
        '      - { at: 4m, repeat: 5, message: x }',
        '      - { at: 10m, repeat: 5, message: x }',
        '    expect:',
        '      - { rule: burst, at: 4m4s, sampled: true }',
        '      - { rule: burst, at: 10m4s, sampled: false }',
        '  - name: a wrong sampled expectation fails and the diff shows it',
        '    input:',
        '      - { at: 1m, gap: 2m }',
        '      - { at: 4m, repeat: 5, message: x }',
        '    expect:',
        '      - { rule: burst, at: 4m4s, sampled: false }',
        '',
      ].join('\n'),
    });

  it('is compared when given, and shown in the diff on both sides', async () => {
    const r = await runCli(['test'], { cwd: project() });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      [
        'PASS rules/r.test.yaml:3:5: a firing whose window overlaps a gap is sampled, a later one is not',
        'FAIL rules/r.test.yaml:11:5: a wrong sampled expectation fails and the diff shows it',
        '  alerts (- expected but not produced, + produced but not expected):',
        '  - firing burst {} at=4m4s sampled=false',
        '  + firing burst {} count=5 at=4m4s suppressed=0 sampled=true',
        '1 passed, 1 failed',
        '',
      ].join('\n'),
    );
  });

  it('must be true or false', () => {
    const { problems } = parseTestFile('rule_files: [r.yaml]\ntests:\n  - expect:\n      - { rule: r, sampled: maybe }\n', '/x/t.test.yaml', 't.test.yaml');
    expect(problems.map((p) => `${p.line}:${p.col}: ${p.message}`)).toEqual(['4:29: sampled must be true or false']);
  });
});

describe('restart and gap entries in the test file', () => {
  it('reject an event inside a gap, naming the event time, the gap and its line', () => {
    expect(inputProblems(['{ at: 2m, gap: 10m }', '{ at: 0s, repeat: 5, every: 45s, message: x }', '{ at: 12m, message: x }', '{ at: 12m1s, message: x }'])).toEqual([
      '5:9: an event at 2m15s falls inside the gap 2m–12m of line 4',
      '6:9: an event at 12m falls inside the gap 2m–12m of line 4',
    ]);
  });

  it('reject a restart or a gap that starts inside a gap', () => {
    expect(inputProblems(['{ at: 2m, gap: 10m }', '{ at: 5m, restart: true }', '{ at: 11m, gap: 30s }', '{ at: 2m, restart: true }', '{ at: 12m, gap: 1m }', '{ at: 2m, gap: 1m }'])).toEqual([
      '5:9: a restart at 5m falls inside the gap 2m–12m of line 4 (the clock is already past its start)',
      '6:9: a gap at 11m overlaps the gap 2m–12m of line 4 (the clock is already past its start)',
      '9:9: a gap at 2m overlaps the gap 2m–12m of line 4 (the clock is already past its start)',
    ]);
  });

  it('reject event keys on a restart or a gap, and a restart that is not true', () => {
    expect(inputProblems(['{ at: 1m, restart: true, repeat: 3 }', '{ at: 1m, gap: 5m, every: 1s, logGroup: /app }', '{ restart: false }', '{ gap: 0s }'])).toEqual([
      '4:42: "repeat" is only for events, not for a restart',
      '5:35: "every" is only for events, not for a gap',
      '5:49: "logGroup" is only for events, not for a gap',
      '6:20: restart must be true (leave the entry out for no restart)',
      '7:16: gap must be longer than 0s',
    ]);
  });

  it('reject two kinds in one entry, none, and unknown keys', () => {
    expect(inputProblems(['{ at: 1m, restart: true, gap: 5m }', '{ at: 1m, message: x, json: { a: 1 } }', '{ at: 1m }', '{ at: 1m, restrat: true }'])).toEqual([
      '4:39: give one of "message", "json", "restart" or "gap" per entry (this one has "restart" and "gap")',
      '5:37: give one of "message", "json", "restart" or "gap" per entry (this one has "message" and "json")',
      '6:9: an input entry needs "message" (the log line), "json" (an object sent as a JSON line), "restart: true" or "gap" (a duration)',
      '7:19: unknown key "restrat" in an input entry (expected one of: at, every, repeat, logGroup, logStream, message, json, restart, gap)',
      '7:9: an input entry needs "message" (the log line), "json" (an object sent as a JSON line), "restart: true" or "gap" (a duration)',
    ]);
  });

  it('are reported by tailwatch test as file:line:col and fail the file', async () => {
    const dir = makeProject({
      'rules/r.yaml': 'rules:\n  - id: r\n    source: { logGroups: [/app] }\n',
      'rules/r.test.yaml': 'rule_files: [r.yaml]\ntests:\n  - name: x\n    input:\n      - { at: 2m, gap: 10m }\n      - { at: 3m, message: x }\n    expect: []\n',
    });
    const r = await runCli(['test'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('rules/r.test.yaml:6:9: an event at 3m falls inside the gap 2m–12m of line 5\n');
    expect(r.stdout).toBe('FAIL rules/r.test.yaml: the test file is invalid\n0 passed, 1 failed\n');
  });
});
