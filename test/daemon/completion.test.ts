/**
 * Sampled seconds are completed: a log group busier than Live Tail's cap
 * (the emulator samples like the service, here at 20 events an update), a
 * session with no server-side pattern, a threshold rule on a small share of
 * the lines. The daemon (a real child process, the real SDK against the
 * emulator, a real receiver) sends exactly the alerts `replay` prints over
 * the full input, ids included, none `sampled`. With a FilterLogEvents budget
 * too small, intervals are given up on, counted, and the alerts that still
 * fire say `sampled`.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDaemon, type DaemonProcess } from '../kit/daemon.js';
import { startEmulator, type StartedEmulator } from '../kit/emulator.js';
import { startReceiver, type Receiver } from '../kit/receiver.js';
import { spawnCli } from '../kit/spawn-cli.js';

let emu: StartedEmulator;
let receiver: Receiver;
let dir: string;
let daemon: DaemonProcess | undefined;

beforeEach(async () => {
  // FilterLogEvents scans 100 stored lines a call: completion follows partial pages with a token.
  emu = await startEmulator({ updateIntervalMs: 100, maxEventsPerUpdate: 20, maxFilterScan: 100 });
  emu.emulator.ingest([{ logGroup: '/busy', logStream: 'web-1', timestamp: Date.now() - 60_000, message: 'boot' }]);
  receiver = await startReceiver();
  dir = mkdtempSync(path.join(os.tmpdir(), 'tw-completion-'));
  mkdirSync(path.join(dir, 'rules'));
  daemon = undefined;
});

afterEach(async () => {
  await daemon?.stop();
  await receiver.close();
  await emu.close();
});

interface Payload {
  id: string;
  kind: string;
  sampled: boolean;
  count: number;
}

function setup(extraAws = '', completion = '{ delay: 300ms }'): void {
  writeFileSync(
    path.join(dir, 'tailwatch.yaml'),
    `aws: { region: us-east-1, accountId: "123456789012", endpoint: "${emu.endpoint}"${extraAws} }
rules: { paths: [rules], watch: false }
destinations:
  hook: { type: webhook, url: "${receiver.url}" }
defaults: { notify: [hook], throttle: 0s }
sessions: { stallAfter: 5s, grace: 500ms, completion: ${completion}, backoff: { initial: 100ms, max: 1s } }
delivery: { retry: { initial: 100ms, max: 1s } }
state: { dir: state }
server: { listen: "127.0.0.1:0" }
`,
  );
  // No filterPattern: the session streams every line of the group, so Live Tail samples it.
  writeFileSync(
    path.join(dir, 'rules/errors.yaml'),
    `rules:
  - id: error-burst
    source: { logGroups: [/busy] }
    match: { field: message, contains: ERROR }
    window: { type: threshold, count: 4, within: 1s }
`,
  );
}

/** 300 lines a second for `seconds` (one in 20 an ERROR), each also written to events.jsonl. */
async function feed(seconds: number): Promise<string> {
  const lines: string[] = [];
  const end = Date.now() + seconds * 1000;
  let n = 0;
  while (Date.now() < end) {
    const now = Date.now();
    const batch = Array.from({ length: 6 }, (_, i) => {
      const k = n++;
      return { logGroup: '/busy', logStream: `web-${k % 3}`, timestamp: now, message: k % 20 === 7 ? `ERROR upstream timeout ${k}` : `INFO request ${k} ok` };
    });
    // Same millisecond, same stream, same text would be one event twice: numbers keep them apart.
    emu.emulator.ingest(batch.map((e, i) => ({ ...e, timestamp: e.timestamp + (i % 2) })));
    for (const [i, e] of batch.entries()) lines.push(JSON.stringify({ ...e, timestamp: e.timestamp + (i % 2) }));
    await new Promise((r) => setTimeout(r, 20));
  }
  const file = path.join(dir, 'events.jsonl');
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

async function metrics(d: DaemonProcess): Promise<string> {
  const line = await d.waitForMsg('status server listening');
  return (await fetch(`http://${String(line['address'])}/metrics`)).text();
}

const metric = (text: string, name: string): number =>
  text
    .split('\n')
    .filter((l) => l.startsWith(name))
    .reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);

function received(): Map<string, Payload> {
  const m = new Map<string, Payload>();
  for (const r of receiver.requests) {
    const id = String(r.headers['x-tailwatch-delivery']);
    if (!m.has(id)) m.set(id, JSON.parse(r.body) as Payload);
  }
  return m;
}

async function settle(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

describe('completing sampled seconds', () => {
  it('a sampled log group alerts exactly as replay over every line does: same ids, none sampled', async () => {
    setup();
    daemon = startDaemon({ cwd: dir });
    await daemon.waitForMsg('ready');
    const input = await feed(3);
    const replay = await spawnCli(['replay', '-c', 'tailwatch.yaml', '--input', input], { cwd: dir });
    expect(replay.code, replay.stderr).toBe(0);
    const want = replay.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Payload);
    expect(want.length).toBeGreaterThan(3);
    await settle(() => received().size >= want.length, 20_000);
    const got = received();
    expect([...got.keys()].sort()).toEqual(want.map((a) => a.id).sort());
    expect([...got.values()].filter((a) => a.sampled)).toEqual([]);
    const text = await metrics(daemon);
    // The stream really was sampled, and completion added what it missed.
    expect(metric(text, 'tailwatch_sampled_updates_total')).toBeGreaterThan(0);
    expect(metric(text, 'tailwatch_completed_events_total')).toBeGreaterThan(0);
    expect(metric(text, 'tailwatch_completions_abandoned_total')).toBe(0);
  }, 60_000);

  it('with a budget too small, intervals are given up on (counted, logged); what still fires says sampled; nothing stalls', async () => {
    // Small pages: completing a range takes several calls, more than the budget allows in time.
    await emu.close();
    emu = await startEmulator({ updateIntervalMs: 100, maxEventsPerUpdate: 20, maxFilterPageSize: 50 });
    emu.emulator.ingest([{ logGroup: '/busy', logStream: 'web-1', timestamp: Date.now() - 60_000, message: 'boot' }]);
    setup(', filterLogEventsPerSecond: 0.2', '{ delay: 300ms, maxLag: 200ms }');
    daemon = startDaemon({ cwd: dir });
    await daemon.waitForMsg('ready');
    await feed(3);
    await settle(() => daemon!.count((l) => l.msg === 'sampled interval not completed (FilterLogEvents budget or errors): its alerts say sampled') > 0, 20_000);
    const text = await metrics(daemon);
    expect(metric(text, 'tailwatch_completions_abandoned_total')).toBeGreaterThan(0);
    // The daemon goes on: a line after the storm still alerts (four of them make the threshold).
    const now = Date.now();
    emu.emulator.ingest([0, 1, 2, 3].map((i) => ({ logGroup: '/busy', logStream: 'after', timestamp: now + i, message: `ERROR after ${i}` })));
    await settle(() => [...received().values()].some((a) => a.count === 4 && !a.sampled), 20_000);
    const alerts = [...received().values()];
    // Firings over an interval given up on are lower bounds and say so; the one after the storm does not.
    expect(alerts.some((a) => a.sampled)).toBe(true);
    expect(alerts.some((a) => !a.sampled)).toBe(true);
    daemon.signal('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
  }, 60_000);
});
