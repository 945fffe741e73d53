/** `tailwatch put`: events into a running emulator through the SDK's PutLogEvents. */
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batches, parsePutInput, type PutEvent } from '../../src/cli/put.js';
import { runCli } from '../kit/cli.js';
import { makeClient, startEmulator, type StartedEmulator } from '../kit/emulator.js';
import { makeProject } from '../kit/project.js';

let emu: StartedEmulator;
beforeAll(async () => {
  emu = await startEmulator({ region: 'eu-west-1' });
});
afterAll(async () => {
  await emu.close();
});

async function stored(group: string, region = 'eu-west-1'): Promise<{ stream: string; message: string; timestamp: number }[]> {
  const client = makeClient(emu.endpoint, { region });
  try {
    const r = await client.send(new FilterLogEventsCommand({ logGroupName: group }));
    return (r.events ?? []).map((e) => ({ stream: e.logStreamName!, message: e.message!, timestamp: e.timestamp! }));
  } finally {
    client.destroy();
  }
}

describe('tailwatch put', () => {
  it('puts every line of stdin as a message stamped now, creating the group and stream', async () => {
    const before = Date.now();
    const r = await runCli(['put', '--endpoint', emu.endpoint, '--region', 'eu-west-1', '--group', '/demo/app'], { stdin: 'first line\n\n{"level":"error"}\r\n', cwd: makeProject({}) });
    expect(r.stderr).toBe('put 2 event(s) into /demo/app (stream tailwatch-put), created\n');
    expect(r.code).toBe(0);
    const events = await stored('/demo/app');
    expect(events.map((e) => [e.stream, e.message])).toEqual([['tailwatch-put', 'first line'], ['tailwatch-put', '{"level":"error"}']]);
    for (const e of events) expect(e.timestamp).toBeGreaterThanOrEqual(before);
  });

  it('takes a file, --stream, and the endpoint and region of the config', async () => {
    const dir = makeProject({
      'tailwatch.yaml': `aws: { region: eu-west-1, endpoint: "${emu.endpoint}" }\n`,
      'lines.log': 'a\nb\n',
    });
    const r = await runCli(['put', '--group', '/from/config', '--stream', 'web-1', 'lines.log'], { cwd: dir });
    expect(r.code).toBe(0);
    expect((await stored('/from/config')).map((e) => `${e.stream}:${e.message}`)).toEqual(['web-1:a', 'web-1:b']);
  });

  it('--jsonl puts recorded events with their timestamps, groups and streams, in time order per stream', async () => {
    const now = Date.now();
    const lines = [
      { timestamp: now - 1000, logGroup: '/rec/a', logStream: 's', message: 'second' },
      { timestamp: new Date(now - 2000).toISOString(), logGroup: '/rec/a', logStream: 's', message: 'first' },
      { logGroup: '/rec/b', message: 'no timestamp: now' },
    ].map((o) => JSON.stringify(o)).join('\n');
    const r = await runCli(['put', '--endpoint', emu.endpoint, '--region', 'eu-west-1', '--jsonl'], { stdin: lines, cwd: makeProject({}) });
    expect(r.code).toBe(0);
    expect((await stored('/rec/a')).map((e) => [e.message, e.timestamp])).toEqual([['first', now - 2000], ['second', now - 1000]]);
    expect((await stored('/rec/b')).map((e) => e.stream)).toEqual(['tailwatch-put']);
  });

  it('exits 1 when CloudWatch rejects events (older than 14 days), and --now stamps them now', async () => {
    const old = JSON.stringify({ timestamp: '2020-01-01T00:00:00Z', message: 'old' });
    const cwd = makeProject({});
    const rejected = await runCli(['put', '--endpoint', emu.endpoint, '--region', 'eu-west-1', '--group', '/old', '--jsonl'], { stdin: old, cwd });
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toContain('rejected 1 event(s) of /old tailwatch-put: 1 older than 14 days');
    const restamped = await runCli(['put', '--endpoint', emu.endpoint, '--region', 'eu-west-1', '--group', '/old', '--jsonl', '--now'], { stdin: old, cwd });
    expect(restamped.code).toBe(0);
    expect((await stored('/old')).map((e) => e.message)).toEqual(['old']);
  });

  it('exits 2 on bad input, a missing group, an unreachable endpoint and an invalid endpoint', async () => {
    const cwd = makeProject({});
    const bad = await runCli(['put', '--endpoint', emu.endpoint, '--jsonl', '--group', '/x'], { stdin: '{"message":"ok"}\nnot json\n', cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^\(standard input\):2:1: not valid JSON/);
    const noGroup = await runCli(['put', '--endpoint', emu.endpoint], { stdin: 'x\n', cwd });
    expect(noGroup.code).toBe(2);
    expect(noGroup.stderr).toContain('no log group: give --group');
    const down = await runCli(['put', '--endpoint', 'http://127.0.0.1:1', '--group', '/x'], { stdin: 'x\n', cwd });
    expect(down.code).toBe(2);
    expect(down.stderr).toMatch(/^tailwatch put: cannot reach http:\/\/127\.0\.0\.1:1: ECONNREFUSED/);
    expect((await runCli(['put', '--endpoint', 'localhost:4566', '--group', '/x'], { stdin: 'x\n', cwd })).code).toBe(2);
    expect((await runCli(['put', '--endpoint', emu.endpoint, '--group', '/x', path.join(cwd, 'missing.log')], { cwd })).code).toBe(2);
  });
});

describe('put batches', () => {
  const ev = (timestamp: number, message = 'm', logStream = 's'): PutEvent => ({ timestamp, message, logGroup: '/g', logStream });

  it('keep PutLogEvents limits: 10,000 events, 1 MiB, 24 hours, one stream, time order', () => {
    expect(batches(Array.from({ length: 25_000 }, (_, i) => ev(i))).map((b) => b.length)).toEqual([10_000, 10_000, 5_000]);
    const big = 'x'.repeat(300_000);
    expect(batches([ev(1, big), ev(2, big), ev(3, big), ev(4, big)]).map((b) => b.length)).toEqual([3, 1]);
    expect(batches([ev(0), ev(86_400_001), ev(1)]).map((b) => b.map((e) => e.timestamp))).toEqual([[0, 1], [86_400_001]]);
    expect(batches([ev(2, 'a', 's1'), ev(1, 'b', 's2'), ev(1, 'c', 's1')]).map((b) => b.map((e) => e.message))).toEqual([['c', 'a'], ['b']]);
  });

  it('parse lines and records, --group and --stream winning over a record', () => {
    const o = { jsonl: true, now: 5, forceNow: false, group: '/flag' };
    expect(parsePutInput('{"message":"m","logGroup":"/rec","logStream":"r","timestamp":1}\n', 'f', o)).toEqual([{ timestamp: 1, message: 'm', logGroup: '/flag', logStream: 'r' }]);
    expect(parsePutInput('{"message":"m","timestamp":1}', 'f', { ...o, forceNow: true, stream: 'st' })).toEqual([{ timestamp: 5, message: 'm', logGroup: '/flag', logStream: 'st' }]);
    expect(parsePutInput('{"level":"error","message":"is a message"}\n', 'f', { ...o, jsonl: false })).toEqual([{ timestamp: 5, message: '{"level":"error","message":"is a message"}', logGroup: '/flag', logStream: 'tailwatch-put' }]);
  });
});
