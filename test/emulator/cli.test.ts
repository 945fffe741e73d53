import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { DescribeLogGroupsCommand, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeClient } from '../kit/emulator.js';
import { openSession } from './live-tail-kit.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/tailwatch.js');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tailwatch-emulate-'));
  // The child runs the built CLI: build when dist/ is missing or older than the emulator sources.
  const built = await stat(path.join(ROOT, 'dist/cli/emulate.js')).catch(() => undefined);
  const sources = ['src/cli/emulate.ts', 'src/cli/commands.ts', 'src/emulator/server.ts', 'src/emulator/feed.ts', 'src/emulator/live-tail.ts'];
  const newest = Math.max(...(await Promise.all(sources.map(async (s) => (await stat(path.join(ROOT, s))).mtimeMs))));
  if (!built || built.mtimeMs < newest) execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', ROOT], { stdio: 'ignore' });
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Polls `probe` (every 50 ms, up to 5 s) until it returns a value: the feed runs in real time in another process. */
async function eventually<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not reached within 5 s');
}

interface Running {
  child: ChildProcess;
  endpoint: string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

async function runEmulate(args: string[]): Promise<Running> {
  const child = spawn(process.execPath, [BIN, 'emulate', ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const lines = createInterface({ input: child.stdout! });
  const endpoint = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    void exit.then(({ code }) => reject(new Error(`emulate exited (${code}) before printing its endpoint: ${stderr}`)));
  });
  return { child, endpoint, exit, stderr: () => stderr };
}

describe('tailwatch emulate (child process)', () => {
  it('prints its endpoint, feeds --input with re-based timestamps, serves the SDK, and exits 0 on SIGTERM closing its sessions', async () => {
    const input = path.join(dir, 'events.jsonl');
    await writeFile(
      input,
      [
        '{"timestamp": "2025-11-28T12:00:00Z", "logGroup": "/ecs/payments", "logStream": "api-1", "message": "first"}',
        '',
        '{"timestamp": 1764331200250, "logGroup": "/ecs/payments", "logStream": "api-1", "message": "second"}',
        '{"timestamp": 1764331200300, "message": "no group given"}',
      ].join('\n'),
    );
    const startedAt = Date.now();
    const emu = await runEmulate(['--port', '0', '--input', 'events.jsonl']);
    expect(emu.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const client = makeClient(emu.endpoint);
    try {
      // Open a session first, then wait for the feed (real time: 300 ms of recorded events).
      const session = await openSession(client, { logGroupIdentifiers: ['arn:aws:logs:us-east-1:123456789012:log-group:/ecs/payments'] });
      const events = await eventually(async () => {
        const found = (await client.send(new FilterLogEventsCommand({ logGroupName: '/ecs/payments' }))).events ?? [];
        const groups = (await client.send(new DescribeLogGroupsCommand({}))).logGroups ?? [];
        return found.length === 2 && groups.length === 2 ? found : undefined;
      });
      expect(events.map((e) => e.message)).toEqual(['first', 'second']);
      expect(events[1]!.timestamp! - events[0]!.timestamp!).toBe(250); // gaps kept
      expect(events[0]!.timestamp!).toBeGreaterThanOrEqual(startedAt - 1000); // re-based to now
      const recorded = await client.send(new FilterLogEventsCommand({ logGroupName: '/tailwatch/recorded' }));
      expect(recorded.events?.map((e) => [e.logStreamName, e.message])).toEqual([['recorded', 'no group given']]);

      emu.child.kill('SIGTERM');
      expect(await emu.exit).toEqual({ code: 0, signal: null });
      // The server side closed the session: the client's stream finishes instead of hanging.
      await expect(
        (async () => {
          for (;;) if ((await session.next()) === undefined) return 'finished';
        })().catch(() => 'finished'),
      ).resolves.toBe('finished');
    } finally {
      client.destroy();
      emu.child.kill('SIGKILL');
    }
  });

  it('exits 0 on SIGINT', async () => {
    const emu = await runEmulate(['--port', '0']);
    emu.child.kill('SIGINT');
    expect(await emu.exit).toEqual({ code: 0, signal: null });
  });

  it('exits 2 with file:line:col for a bad input line, and with a message for a bad port', async () => {
    await writeFile(path.join(dir, 'bad.jsonl'), '{"timestamp": 1, "message": "ok"}\n{"timestamp": 2, "message": }\n');
    const bad = spawn(process.execPath, [BIN, 'emulate', '--port', '0', '--input', 'bad.jsonl'], { cwd: dir });
    let stderr = '';
    bad.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise((r) => bad.once('exit', r));
    expect(code).toBe(2);
    expect(stderr).toMatch(/^bad\.jsonl:2:29: not valid JSON/m);

    const port = spawn(process.execPath, [BIN, 'emulate', '--port', 'http'], { cwd: dir });
    let portErr = '';
    port.stderr.on('data', (d) => (portErr += d));
    expect(await new Promise((r) => port.once('exit', r))).toBe(2);
    expect(portErr).toContain('--port must be an integer from 0 to 65535');
  });
});
