/**
 * Polled rules end to end: the same rule file run twice against one emulator
 * (FilterLogEvents sees events 1 s after ingestion) — one daemon with every
 * rule live (Live Tail), one with every rule polled (`defaults.feed: { poll:
 * 2s, lag: 1500ms }`). Both send the same alerts, ids included, the polled one
 * later by at most the interval plus the lag (plus delivery slack); the polled
 * daemon killed with -9 while it polls and started again loses and repeats
 * nothing: what it sent equals what `tailwatch replay` prints for the events.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startDaemon, type DaemonProcess } from '../kit/daemon.js';
import { compareAlerts, report, type AlertPayload, type LiveRun } from '../kit/differential.js';
import { startEmulator, type StartedEmulator } from '../kit/emulator.js';
import { startReceiver, type Receiver } from '../kit/receiver.js';
import { until } from '../kit/until.js';

const BIN = path.resolve(import.meta.dirname, '../../bin/tailwatch.js');
const POLL_MS = 2_000;
const LAG_MS = 1_500;

const RULES = `rules:
  - id: api-errors
    source: { logGroups: [/app/api], filterPattern: ERROR }
    window: { type: threshold, count: 3, within: 4s }
  - id: api-fatal
    source: { logGroups: [/app/api], filterPattern: FATAL }
  - id: hb-missing
    source: { logGroups: [/app/hb] }
    window: { type: absence, within: 3s }
    resolve: true
`;

let emu: StartedEmulator | undefined;
let rx: Receiver | undefined;
const daemons: DaemonProcess[] = [];

afterEach(async () => {
  for (const d of daemons.splice(0)) await d.stop();
  await rx?.close();
  await emu?.close();
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

function project(name: string, feed: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `tw-polled-${name}-`));
  mkdirSync(path.join(dir, 'rules'));
  writeFileSync(path.join(dir, 'rules/rules.yaml'), RULES);
  writeFileSync(
    path.join(dir, 'tailwatch.yaml'),
    `aws: { region: us-east-1, accountId: "123456789012", endpoint: "${emu!.endpoint}" }
rules: { paths: [rules], watch: false }
destinations:
  hook: { type: webhook, url: "${rx!.url}/${name}" }
defaults: { notify: [hook], throttle: 0s, feed: ${feed} }
sessions: { strategy: precise, stallAfter: 5s, backoff: { initial: 100ms, max: 1s }, grace: 1s }
delivery: { retry: { initial: 100ms, max: 1s } }
state: { dir: state }
server: { listen: "127.0.0.1:0" }
`,
  );
  return dir;
}

async function start(dir: string): Promise<DaemonProcess> {
  const d = startDaemon({ cwd: dir, env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
  daemons.push(d);
  await Promise.race([d.waitForMsg('ready', 20_000), d.exited.then((e) => Promise.reject(new Error(`daemon exited before ready (${JSON.stringify(e)}): ${d.stderr}`)))]);
  return d;
}

/** Alerts a destination path received, once per delivery id, with when they arrived. */
function received(name: string): { alert: AlertPayload; at: number }[] {
  const seen = new Set<string>();
  const out: { alert: AlertPayload; at: number }[] = [];
  for (const r of rx!.requests) {
    if (r.path !== `/${name}`) continue;
    const id = String(r.headers['x-tailwatch-delivery'] ?? '');
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ alert: JSON.parse(r.body) as AlertPayload, at: r.at });
  }
  return out;
}

describe('a polled rule and its live twin', () => {
  it('send the same alerts (ids included), the polled later by at most poll + lag; kill -9 while polling loses and repeats nothing', { timeout: 90_000 }, async () => {
    emu = await startEmulator({ updateIntervalMs: 100, ingestionDelayMs: 1_000 });
    for (const g of ['/app/api', '/app/hb']) emu.emulator.ingest([{ logGroup: g, logStream: 'boot', timestamp: Date.now() - 60_000, message: 'boot' }]);
    rx = await startReceiver();
    const liveDir = project('live', 'live');
    const polledDir = project('polled', `{ poll: ${POLL_MS / 1000}s, lag: ${LAG_MS}ms }`);
    await start(liveDir);
    let polled = await start(polledDir);
    expect(polled.logs.some((l) => /Live Tail session|session started/.test(String(l.msg)))).toBe(false); // no session: polled only
    expect(polled.logs.find((l) => String(l.msg).startsWith('Live Tail plan:'))?.msg).toBe('Live Tail plan: 0 sessions, $0.00/month at $0.01 per session-minute; 2 polls, 60 FilterLogEvents calls/minute');

    const recorded: { timestamp: number; logGroup: string; logStream: string; message: string }[] = [];
    let last = 0;
    const put = (logGroup: string, message: string): void => {
      const timestamp = Math.max(Date.now(), last + 1);
      last = timestamp;
      const e = { timestamp, logGroup, logStream: 's1', message };
      emu!.emulator.ingest([e]);
      recorded.push(e);
    };

    // Phase 1: heartbeats, an error burst, a fatal line, a heartbeat pause (absence, then resolved).
    for (let i = 0; i < 4; i++) (put('/app/hb', `beat ${i}`), await sleep(400));
    for (let i = 0; i < 3; i++) (put('/app/api', `ERROR e${i}`), await sleep(100));
    put('/app/api', 'FATAL disk');
    await sleep(4_000); // no heartbeat for 4 s: hb-missing fires
    put('/app/hb', 'beat again');
    await until(() => received('live').length >= 4, 15_000, 'the live alerts of phase 1');
    await until(() => received('polled').length >= received('live').length, 15_000, 'the polled alerts of phase 1');
    const liveAt = new Map(received('live').map((r) => [r.alert.id, r.at]));
    const phase1 = received('polled');
    expect(phase1.map((r) => r.alert.id).sort()).toEqual([...liveAt.keys()].sort());
    expect(new Set(phase1.map((r) => r.alert.rule.id))).toEqual(new Set(['api-errors', 'api-fatal', 'hb-missing']));
    const later = phase1.map((r) => r.at - liveAt.get(r.alert.id)!);
    for (const ms of later) expect(ms).toBeLessThanOrEqual(POLL_MS + LAG_MS + 2_000);
    // eslint-disable-next-line no-console
    console.log(`polled later than live by ${later.map((ms) => `${ms} ms`).join(', ')} (poll ${POLL_MS} ms + lag ${LAG_MS} ms)`);
    // /readyz shows the polls and how far they are.
    const address = String((await polled.waitForMsg('status server listening'))['address']);
    const ready = await fetch(`http://${address}/readyz`);
    const body = await ready.text();
    expect(ready.status, body).toBe(200);
    expect(body).toMatch(/pl-[0-9a-f]{8}: polling every 2 s, covered to \d+ s ago \[api-errors, api-fatal\]/);

    // Phase 2: errors and heartbeats go on; the polled daemon is killed -9 while it polls.
    const feed = (async () => {
      for (let i = 0; i < 24; i++) {
        put(i % 2 ? '/app/api' : '/app/hb', i % 2 ? `ERROR p${i}` : `beat p${i}`);
        await sleep(250);
      }
    })();
    await sleep(2_500);
    polled.signal('SIGKILL');
    await polled.exited;
    await sleep(1_000);
    polled = await start(polledDir);
    await feed;
    const T = last + 4_000 + 1_000;
    await sleep(T - Date.now() + POLL_MS + LAG_MS + 2_000);

    // What the polled daemon sent equals replay of the same events (and the live daemon's alerts).
    writeFileSync(path.join(polledDir, 'events.jsonl'), recorded.map((e) => JSON.stringify(e) + '\n').join(''));
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'replay', '-c', 'tailwatch.yaml', '--input', 'events.jsonl', '--until', String(T)], { cwd: polledDir, timeout: 30_000 });
    const replay = stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as AlertPayload);
    const polledAll = received('polled').map((r) => r.alert);
    const c = compareAlerts(polledAll, replay, T);
    const run = { scenario: { seed: 0, strategy: 'precise', maxConcurrent: 15, throttleMs: 0, sessionTimeoutMs: undefined, ingestionDelayMs: 1_000, groups: [], rules: [], events: [], disturbances: [] }, dir: polledDir, events: recorded, T, t0: recorded[0]!.timestamp, alerts: polledAll, done: ['kill -9 of the polled daemon while polling'], graceMs: 1000, problems: {} } satisfies LiveRun;
    if (!c.equal) expect.fail(report(run, c));
    expect(c.replay.length).toBeGreaterThan(phase1.length);
    expect(compareAlerts(received('live').map((r) => r.alert), replay, T).equal).toBe(true);
  });
});
