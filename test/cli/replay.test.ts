import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../kit/cli.js';

const fixture = path.resolve(import.meta.dirname, '../fixtures/engine/replay');

function project(events?: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tw-replay-'));
  cpSync(fixture, dir, { recursive: true });
  if (events !== undefined) writeFileSync(path.join(dir, 'events.jsonl'), events);
  return dir;
}

const lines = (s: string) => s.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('tailwatch replay', () => {
  it('prints each alert as one JSON line, in event time, and stops at the last event', async () => {
    const r = await runCli(['replay', '--input', 'events.jsonl'], { cwd: project() });
    expect(r.code).toBe(0);
    const alerts = lines(r.stdout);
    expect(alerts.map((a) => [a['kind'], (a['rule'] as { id: string }).id, a['group'], a['count'], a['firedAt']])).toEqual([
      ['firing', 'errors-burst', { host: 'h1' }, 3, '2026-01-01T00:00:04.000Z'],
    ]);
    expect(alerts[0]!['title']).toBe('3 errors on h1');
    // no progress when stderr is not a terminal
    expect(r.stderr).toBe('');
  });

  it('advances the clock with --until +DURATION so absence can fire after the last event', async () => {
    const r = await runCli(['replay', '--input', 'events.jsonl', '--until', '+5m'], { cwd: project() });
    expect(r.code).toBe(0);
    const ids = lines(r.stdout).map((a) => [(a['rule'] as { id: string }).id, a['firedAt']]);
    // last heartbeat at 00:00:00: absent from 00:05:00, reached because the clock goes to 00:00:05 + 5m
    expect(ids).toEqual([
      ['errors-burst', '2026-01-01T00:00:04.000Z'],
      ['heartbeat-missing', '2026-01-01T00:05:00.000Z'],
    ]);
  });

  it('accepts --until as an absolute time', async () => {
    const early = await runCli(['replay', '--input', 'events.jsonl', '--until', '2026-01-01T00:04:59Z'], { cwd: project() });
    expect(lines(early.stdout)).toHaveLength(1);
    const late = await runCli(['replay', '--input', 'events.jsonl', '--until', '2026-01-01T00:05:00Z'], { cwd: project() });
    expect(lines(late.stdout)).toHaveLength(2);
  });

  it('gives the same alert ids on every run', async () => {
    const a = await runCli(['replay', '--input', 'events.jsonl'], { cwd: project() });
    const b = await runCli(['replay', '--input', 'events.jsonl'], { cwd: project() });
    expect(lines(a.stdout).map((x) => x['id'])).toEqual(lines(b.stdout).map((x) => x['id']));
  });

  it('reads the events from stdin with --input -, giving the same alerts', async () => {
    const dir = project();
    const fromFile = await runCli(['replay', '--input', 'events.jsonl', '--until', '+5m'], { cwd: dir });
    const fromStdin = await runCli(['replay', '--input', '-', '--until', '+5m'], { cwd: dir, stdin: readFileSync(path.join(dir, 'events.jsonl'), 'utf8') });
    expect(fromStdin.code).toBe(0);
    expect(lines(fromStdin.stdout)).toHaveLength(2);
    expect(fromStdin.stdout).toBe(fromFile.stdout);
    const bad = await runCli(['replay', '--input', '-'], { cwd: dir, stdin: '{"timestamp": 1, "message": "ok"}\nnope\n' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^\(standard input\):2:1: not valid JSON/);
  });

  it('reports a bad input line as file:line:col and exits 2', async () => {
    const r = await runCli(['replay', '--input', 'events.jsonl'], { cwd: project('{"timestamp": 1, "message": "ok"}\n\n{"timestamp": "yesterday", "message": "x"}\n') });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('events.jsonl:3:1: "timestamp" must be epoch milliseconds or an ISO 8601 date-time\n');
    const bad = await runCli(['replay', '--input', 'events.jsonl'], { cwd: project('{"timestamp": 1, "message": }\n') });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^events\.jsonl:1:\d+: not valid JSON/);
  });

  it('exits 2 for a missing input file and a bad --until', async () => {
    const missing = await runCli(['replay', '--input', 'nope.jsonl'], { cwd: project() });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nope.jsonl');
    const until = await runCli(['replay', '--input', 'events.jsonl', '--until', 'soon'], { cwd: project() });
    expect(until.code).toBe(2);
    expect(until.stderr).toContain('--until "soon"');
  });

  it('rejects --send with --render, and --render of an unknown destination (exit 2; both are tested in test/notify/cli.test.ts)', async () => {
    for (const flag of [['--send', '--render', 'stdout'], ['--render', 'stdout']]) {
      const r = await runCli(['replay', '--input', 'events.jsonl', ...flag], { cwd: project() });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^tailwatch replay: (--send and --render cannot be combined|--render: unknown destination "stdout")/);
      expect(r.stdout).toBe('');
    }
  });

  it('reports invalid rules with positions and exits 2 without replaying', async () => {
    const dir = project();
    writeFileSync(path.join(dir, 'rules', 'bad.yaml'), 'rules:\n  - id: Bad Id\n    source: { logGroups: [/x] }\n');
    const r = await runCli(['replay', '--input', 'events.jsonl'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^rules\/bad\.yaml:2:\d+: /m);
    expect(r.stdout).toBe('');
  });
});

describe('tailwatch replay on a terminal', () => {
  it('shows progress and a final rate on stderr when stderr is a TTY, alerts still on stdout', async () => {
    const { PassThrough, Readable } = await import('node:stream');
    const { main } = await import('../../src/cli/main.js');
    const out = new PassThrough();
    const err = Object.assign(new PassThrough(), { isTTY: true });
    let stdout = '';
    let stderr = '';
    out.on('data', (d) => (stdout += d));
    err.on('data', (d) => (stderr += d));
    const code = await main(['replay', '--input', 'events.jsonl'], { stdout: out, stderr: err, stdin: Readable.from(['']), cwd: project(), env: {} });
    expect(code).toBe(0);
    expect(lines(stdout)).toHaveLength(1);
    expect(stderr).toMatch(/\r6 events in \d+\.\d s \(\d+ events\/s\)\n$/);
  });
});
