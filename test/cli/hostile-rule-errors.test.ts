/**
 * `replay` and `tailwatch test` with a rule that throws (buildAlert made to throw for rule "bad":
 * no YAML rule can make the engine throw any more): the other rules' alerts are all there, the
 * failure is said once per rule, and the command fails.
 */
import { describe, expect, it, vi } from 'vitest';
import { runCli } from '../kit/cli.js';
import { makeProject } from '../kit/project.js';

vi.mock('../../src/engine/alert-build.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/engine/alert-build.js')>();
  return {
    ...real,
    buildAlert: (...args: Parameters<typeof real.buildAlert>) => {
      if (args[0].rule.id === 'bad') throw new TypeError('boom');
      return real.buildAlert(...args);
    },
  };
});

const files = {
  'tailwatch.yaml': 'destinations: { out: { type: console } }\ndefaults: { notify: [out], throttle: 0s }\n',
  'rules/r.yaml': 'rules:\n  - id: bad\n    source: { logGroups: [/app] }\n  - id: every\n    source: { logGroups: [/app] }\n',
  'events.jsonl': [1, 2, 3].map((i) => JSON.stringify({ timestamp: 1_000 * i, logGroup: '/app', logStream: 's', message: `line ${i}` })).join('\n') + '\n',
  'rules/r.test.yaml': 'rule_files: [r.yaml]\ntests:\n  - name: one line\n    input: [{ at: 0s, logGroup: /app, message: hello }]\n    expect: [{ rule: every, kind: firing }]\n',
};

describe('a rule that throws', () => {
  it('replay: the other rules alert on every event; said once, exit 1', async () => {
    const r = await runCli(['replay', '--input', 'events.jsonl'], { cwd: makeProject(files) });
    expect(r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { rule: { id: string } }).rule.id)).toEqual(['every', 'every', 'every']);
    expect(r.stderr).toBe('tailwatch replay: rule "bad" failed (TypeError: boom); it skips what it failed on, the other rules go on\ntailwatch replay: rule "bad" failed 3 time(s); its alerts are incomplete\n');
    expect(r.code).toBe(1);
  });

  it('tailwatch test: the case fails and says why', async () => {
    const r = await runCli(['test'], { cwd: makeProject(files) });
    expect(r.stdout).toContain('rule "bad" failed: TypeError: boom');
    expect(r.code).toBe(1);
  });
});
