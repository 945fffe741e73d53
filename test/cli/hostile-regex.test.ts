// The security review's attack through the CLI (the real bin, so its V8 flags):
// a rule regex that V8's backtracking engine runs for minutes on one log line.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnCli } from '../kit/spawn-cli.js';

/** A project with one rule whose match leaf is `regex` on the message, and events. */
function project(regex: string, messages: string[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tw-hostile-regex-'));
  mkdirSync(path.join(dir, 'rules'));
  writeFileSync(path.join(dir, 'tailwatch.yaml'), 'destinations: { out: { type: console } }\ndefaults: { notify: [out], throttle: 0s }\n');
  writeFileSync(path.join(dir, 'rules/r.yaml'), `rules:\n  - id: r\n    source: { logGroups: [/app] }\n    match: { field: message, regex: '${regex}' }\n`);
  const t = Date.parse('2026-01-01T00:00:00Z');
  writeFileSync(path.join(dir, 'events.jsonl'), messages.map((message, i) => JSON.stringify({ timestamp: t + i, logGroup: '/app', logStream: 's', message })).join('\n') + '\n');
  return dir;
}

const A50K = 'a'.repeat(50_000);
/** CloudWatch's largest event. */
const A256K = 'a'.repeat(256 * 1024);

describe('a rule regex V8 cannot run in linear time', () => {
  // Before: validate passed, and replay of the one line below ran past 300 s.
  it('fails validate at its position, saying why', async () => {
    const dir = project('(.*a){25}X', [A50K]);
    const r = await spawnCli(['validate'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('rules/r.yaml:4:43: rules[0].match.regex: a repeat count above 16 is not supported ({25}; split it: x{16}x{9} for x{25}): the regex must run in linear time\n');
  });

  it.each([
    ['^(?=.*a)(a+)+$', '4:39', 'lookahead assertions are not supported'],
    ['(\\w+\\s?)+\\1$', '4:47', 'backreferences are not supported'],
  ])('%s: replay refuses the rules instead of running them', async (regex, at, why) => {
    const dir = project(regex, ['a'.repeat(31) + '!']);
    const r = await spawnCli(['replay', '--input', 'events.jsonl'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`rules/r.yaml:${at}: rules[0].match.regex: ${why}: the regex must run in linear time`);
    expect(r.stdout).toBe('');
  });
});

describe('a rule regex the linear engine runs', () => {
  // `a*b` on V8's backtracking engine: ~13 s a line (its fallback never fires on a greedy loop).
  it('replays 256 KiB lines in linear time', async () => {
    const dir = project('a*b', [A256K, A256K, A256K, 'aab']);
    const r = await spawnCli(['replay', '--input', 'events.jsonl'], { cwd: dir, timeoutMs: 20_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const alerts = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { count: number; event?: { message: string } });
    expect(alerts).toHaveLength(1);
  });
});
