/**
 * The adaptive strategy end to end: `tailwatch run` (a real child process, the
 * real SDK) against the emulator sampling at 20 events an update. Three rules on
 * three log groups share one economical session with no server-side pattern
 * (a term and JSON patterns do not join); a busy group gets it sampled, it is
 * split into sessions of the rules' own patterns within the quota — in the
 * emulator's session list and in the log — alerts keep flowing, the decision
 * is saved in state.dir, a restart opens the split sessions straight away, and
 * `tailwatch plan` shows them with what the daemon observed.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDaemon, type DaemonProcess } from '../kit/daemon.js';
import { startEmulator, type StartedEmulator } from '../kit/emulator.js';
import { startReceiver, type Receiver } from '../kit/receiver.js';
import { spawnCli } from '../kit/spawn-cli.js';
import { until } from '../kit/until.js';

let emu: StartedEmulator;
let receiver: Receiver;
let dir: string;
let daemon: DaemonProcess | undefined;
let feeder: NodeJS.Timeout | undefined;

const GROUPS = ['/busy', '/orders', '/quiet'];
const ARN = (g: string) => `arn:aws:logs:us-east-1:123456789012:log-group:${g}`;

beforeEach(async () => {
  emu = await startEmulator({ updateIntervalMs: 100, maxEventsPerUpdate: 20, maxConcurrentSessions: 3 });
  for (const g of GROUPS) emu.emulator.ingest([{ logGroup: g, logStream: 'web-1', timestamp: Date.now() - 60_000, message: 'boot' }]);
  receiver = await startReceiver();
  dir = mkdtempSync(path.join(os.tmpdir(), 'tw-adaptive-'));
  mkdirSync(path.join(dir, 'rules'));
  daemon = undefined;
  writeFileSync(
    path.join(dir, 'tailwatch.yaml'),
    `aws: { region: us-east-1, accountId: "123456789012", endpoint: "${emu.endpoint}" }
rules: { paths: [rules], watch: false }
destinations:
  hook: { type: webhook, url: "${receiver.url}" }
defaults: { notify: [hook], throttle: 0s }
sessions: { maxConcurrent: 3, stallAfter: 5s, grace: 500ms, completion: { delay: 300ms }, backoff: { initial: 100ms, max: 1s } }
delivery: { retry: { initial: 100ms, max: 1s } }
state: { dir: state }
server: { listen: "127.0.0.1:0" }
`,
  );
  writeFileSync(
    path.join(dir, 'rules/r.yaml'),
    `rules:
  - id: busy-errors
    source: { logGroups: [/busy], filterPattern: ERROR }
    window: { type: threshold, count: 3, within: 1s }
  - id: orders-5xx
    source: { logGroups: [/orders], filterPattern: '{ $.status >= 500 }' }
  - id: quiet-fatal
    source: { logGroups: [/quiet], filterPattern: '{ $.level = "FATAL" }' }
`,
  );
});

afterEach(async () => {
  clearInterval(feeder);
  await daemon?.stop();
  await receiver.close();
  await emu.close();
});

/** 300 lines a second into /busy (one in 20 an ERROR): far over the cap of 20 an update for a session that streams them all. */
function feedBusy(): void {
  let n = 0;
  feeder = setInterval(() => {
    const now = Date.now();
    emu.emulator.ingest(Array.from({ length: 6 }, (_, i) => ({ logGroup: '/busy', logStream: 'web-1', timestamp: now + (i % 2), message: n % 20 === 7 ? `ERROR upstream timeout ${n++}` : `INFO request ${n++} ok` })));
  }, 20);
}

const requests = () => emu.emulator.sessions().map((s) => s.request);
const byGroup = (rs: ReturnType<typeof requests>) => [...rs].sort((a, b) => a.logGroupIdentifiers.join().localeCompare(b.logGroupIdentifiers.join()));
const SPLIT = [
  { logGroupIdentifiers: [ARN('/busy')], logEventFilterPattern: 'ERROR' },
  { logGroupIdentifiers: [ARN('/orders')], logEventFilterPattern: '{ $.status >= 500 }' },
  { logGroupIdentifiers: [ARN('/quiet')], logEventFilterPattern: '{ $.level = "FATAL" }' },
];

describe('adaptive sessions (tailwatch run)', () => {
  it('splits the sampled shared session within the quota, keeps alerting, remembers the split across a restart; plan shows it', async () => {
    daemon = startDaemon({ cwd: dir });
    await daemon.waitForMsg('ready');
    // Economical: one session for the three groups, no server-side pattern.
    expect(requests()).toEqual([{ logGroupIdentifiers: GROUPS.map(ARN) }]);
    let most = 0;
    let splitFrom: unknown;
    const watch = setInterval(() => (most = Math.max(most, emu.emulator.activeSessionCount())), 10);
    try {
      feedBusy();
      const split = await daemon.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('session split: '), 30_000, 'the split');
      expect(split['reason']).toMatch(/^sampled in (2[1-9]|[3-5]\d|60) of \d+ updates$/);
      expect(split['msg']).toBe(`session split: ${String(split['reason'])}`);
      expect(split['logGroups']).toEqual(GROUPS);
      expect(split['into']).toHaveLength(3);
      splitFrom = split['session'];
      await until(() => JSON.stringify(byGroup(requests())) === JSON.stringify(SPLIT), 15_000, 'the three split sessions in the emulator');
      // Alerts keep flowing on the split sessions (the old session no longer holds the rules' clocks).
      const splitAt = daemon.logs.indexOf(split);
      await daemon.waitForLog((l) => l.msg === 'alert' && l['rule'] === 'busy-errors' && daemon!.logs.indexOf(l) > splitAt + 5, 20_000, 'an alert after the split');
      // Never over the quota, never a refusal for it.
      expect(most).toBeLessThanOrEqual(3);
      expect(daemon.count((l) => l.msg === 'session restarting' && l['reason'] === 'limit-exceeded')).toBe(0);
      expect(daemon.count((l) => typeof l.msg === 'string' && l.msg.startsWith('session split: '))).toBe(1);
    } finally {
      clearInterval(watch);
    }

    // Saved in state.dir, with the observed rates.
    daemon.signal('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
    const saved = JSON.parse(readFileSync(path.join(dir, 'state/plan-state.json'), 'utf8')) as { splits: Record<string, unknown>[]; sessions: Record<string, unknown>[] };
    expect(saved.splits).toEqual([expect.objectContaining({ region: 'us-east-1', logGroups: GROUPS.map(ARN), active: true, merges: 0, cap: 20, reason: expect.stringMatching(/^sampled in \d+ of \d+ updates$/) })]);
    expect(saved.sessions.map((s) => s['rules'])).toEqual([['busy-errors'], ['orders-5xx'], ['quiet-fatal']]);

    // `tailwatch plan` reads it: the split sessions, their observed rates.
    const plan = await spawnCli(['plan', '-c', 'tailwatch.yaml'], { cwd: dir });
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('Live Tail plan: 3 sessions (strategy adaptive, at most 3 per region)');
    expect(plan.stdout.split('\n').filter((l) => l.startsWith('  split:           from '))).toHaveLength(3);
    expect(plan.stdout.split('\n').filter((l) => /^ {2}observed: {8}[\d.]+ events\/update \(peak \d+\), sampled in \d+ of the last \d+ updates \(\d+%\), \d+ updates in all$/.test(l))).toHaveLength(3);
    expect(plan.stdout).toContain('  adaptive (configured)  3 sessions  $1296.00/month  3 of them split off sampled sessions');

    // A restart opens the split sessions at once: the shared session is not started again.
    const started = emu.emulator.stats().started;
    let shared = false;
    const look = setInterval(() => (shared ||= requests().some((r) => r.logGroupIdentifiers.length > 1)), 10);
    daemon = startDaemon({ cwd: dir });
    const restored = await daemon.waitForLog((l) => l.msg === 'adaptive plan restored: 1 split session', 15_000, 'the restored plan');
    expect(restored['splits']).toEqual([expect.objectContaining({ from: splitFrom })]);
    await daemon.waitForMsg('ready');
    expect(byGroup(requests())).toEqual(SPLIT);
    expect(emu.emulator.stats().started - started).toBeGreaterThanOrEqual(3);
    await new Promise((r) => setTimeout(r, 3_000)); // busy still: the parts are not sampled, nothing changes
    clearInterval(look);
    expect(daemon.count((l) => typeof l.msg === 'string' && (l.msg.startsWith('session split') || l.msg.startsWith('sessions merged')))).toBe(0);
    expect(shared).toBe(false);
    expect(byGroup(requests())).toEqual(SPLIT);
  }, 120_000);
});
