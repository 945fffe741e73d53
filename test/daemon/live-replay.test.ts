/**
 * Regression tests for known breaks of live = replay, each a real daemon
 * child process against the emulator and a real HTTP receiver:
 *   1. several sessions on one log group must not count an event once per session;
 *   2. a restart must not page an absence before the downtime is backfilled;
 *   3. a condition that returns within `throttle` after its resolve is paged again;
 *   4. a reload keeps pending resolves (a changed rule still resolves; a removed
 *      rule's open episode resolves with `reason: rule-removed`).
 * Waits are on log lines, /metrics or the receiver, each with a deadline.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDaemon, type DaemonProcess } from '../kit/daemon.js';
import { configuredGraceMs, DEFAULT_GRACE_MS } from '../kit/differential.js';
import { startEmulator, type StartedEmulator } from '../kit/emulator.js';
import { startReceiver, type Receiver } from '../kit/receiver.js';

interface AlertBody {
  id: string;
  kind: 'firing' | 'resolved';
  rule: { id: string };
  count: number;
  firedAt: string;
  reason?: string;
}

let emu: StartedEmulator;
let rx: Receiver;
let dir: string;
let daemons: DaemonProcess[];
let timers: NodeJS.Timeout[];
/** `sessions.grace: 1s` once the config schema has it (the daemon's fix adds it); else the built-in 5 s. */
const graceMs = configuredGraceMs();
const GRACE_MS = graceMs ?? DEFAULT_GRACE_MS;

beforeEach(async () => {
  emu = await startEmulator({ updateIntervalMs: 100 });
  for (const group of ['/app/api', '/app/hb']) emu.emulator.ingest([{ logGroup: group, logStream: 'boot', timestamp: Date.now() - 60_000, message: 'boot' }]);
  rx = await startReceiver();
  dir = mkdtempSync(path.join(os.tmpdir(), 'tw-live-replay-'));
  mkdirSync(path.join(dir, 'rules'));
  writeFileSync(
    path.join(dir, 'tailwatch.yaml'),
    `aws: { region: us-east-1, accountId: "123456789012", endpoint: "${emu.endpoint}" }
rules: { paths: [rules], watch: false }
destinations:
  hook: { type: webhook, url: "${rx.url}/hook" }
defaults: { notify: [hook], throttle: 0s }
# The emulator's FilterLogEvents has no ingestion delay here: a gap's tail need not wait the default 10 s.
sessions: { strategy: precise, stallAfter: 5s, backoff: { initial: 100ms, max: 1s }, completion: { delay: 1s }${graceMs === undefined ? '' : `, grace: ${graceMs}ms`} }
delivery: { retry: { initial: 100ms, max: 1s } }
state: { dir: state }
server: { listen: "127.0.0.1:0" }
`,
  );
  daemons = [];
  timers = [];
});

afterEach(async () => {
  for (const t of timers) clearInterval(t);
  for (const d of daemons) await d.stop();
  await rx.close();
  await emu.close();
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function rules(text: string): void {
  writeFileSync(path.join(dir, 'rules/rules.yaml'), text);
}

async function start(): Promise<DaemonProcess> {
  const d = startDaemon({ cwd: dir, args: ['--log-level', 'debug'], env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
  daemons.push(d);
  await d.waitForMsg('ready', 20_000);
  return d;
}

let lastTs = 0;
function put(group: string, ...messages: string[]): void {
  emu.emulator.ingest(
    messages.map((message) => {
      lastTs = Math.max(Date.now(), lastTs + 1);
      return { logGroup: group, logStream: 's1', timestamp: lastTs, message };
    }),
  );
}

/** A heartbeat line every `everyMs` until the returned function is called. */
function heartbeat(group: string, everyMs: number): () => void {
  let n = 0;
  put(group, `heartbeat ${++n}`);
  const t = setInterval(() => put(group, `heartbeat ${++n}`), everyMs);
  timers.push(t);
  return () => clearInterval(t);
}

/** Distinct alerts the receiver got (by X-Tailwatch-Delivery), in arrival order. */
function alerts(): AlertBody[] {
  const seen = new Set<string>();
  const out: AlertBody[] = [];
  for (const r of rx.requests) {
    const id = String(r.headers['x-tailwatch-delivery']);
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(JSON.parse(r.body) as AlertBody);
  }
  return out;
}

function listAlerts(): string {
  const list = alerts().map((a) => `${a.firedAt} ${a.kind} ${a.rule.id} count=${a.count}${a.reason ? ` reason=${a.reason}` : ''}`);
  return list.length ? list.join('\n') : '(none)';
}

async function waitForAlert(pred: (a: AlertBody) => boolean, what: string, timeoutMs: number): Promise<AlertBody> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = alerts().find(pred);
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms; the receiver got:\n${listAlerts()}`);
    await sleep(50);
  }
}

async function metrics(d: DaemonProcess): Promise<string> {
  const line = await d.waitForMsg('status server listening');
  return (await fetch(`http://${String(line['address'])}/metrics`)).text();
}

function metric(text: string, name: string, rule: string): number {
  const m = new RegExp(`^${name}\\{rule="${rule}"\\} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

async function waitForMetric(d: DaemonProcess, test: (text: string) => boolean, what: string, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await metrics(d);
    if (test(text)) return text;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${text.split('\n').filter((l) => l.startsWith('tailwatch_events')).join('\n')}`);
    await sleep(50);
  }
}

async function reload(d: DaemonProcess): Promise<void> {
  const before = d.count((l) => l.msg === 'rules reloaded');
  d.signal('SIGHUP');
  await d.waitForLog((l) => l.msg === 'rules reloaded' && d.count((x) => x.msg === 'rules reloaded') > before, 10_000, 'rules reloaded');
}

describe('live = replay regressions', () => {
  it('three sessions on one log group count each line once: a count-5 threshold does not fire on two lines', { timeout: 60_000 }, async () => {
    const ids = ['errors', 'errors-or-fatal', 'payments'];
    rules(`rules:
  - id: errors
    source: { logGroups: [/app/api], filterPattern: ERROR }
    window: { type: threshold, count: 5, within: 1m }
  - id: errors-or-fatal
    source: { logGroups: [/app/api], filterPattern: '?ERROR ?FATAL' }
    window: { type: threshold, count: 50, within: 1m }
  - id: payments
    source: { logGroups: [/app/api], filterPattern: '"payment"' }
    window: { type: threshold, count: 50, within: 1m }
`);
    const d = await start();
    // The premise: precise gives each pattern its own session on /app/api.
    expect(emu.emulator.sessions().filter((s) => s.request.logGroupIdentifiers.some((g) => g.endsWith(':/app/api')))).toHaveLength(3);
    put('/app/api', 'ERROR FATAL payment failed for order 1', 'ERROR FATAL payment failed for order 2');
    await waitForMetric(d, (t) => ids.every((id) => metric(t, 'tailwatch_events_received_total', id) >= 2), 'each rule to receive both lines');
    // Ten update intervals for the other sessions' copies to arrive, if they are counted.
    await sleep(1_000);
    const text = await metrics(d);
    // One comparison, so a failure shows both the counts and the alert.
    expect({
      received: Object.fromEntries(ids.map((id) => [id, metric(text, 'tailwatch_events_received_total', id)])),
      alerts: alerts().map((a) => `${a.kind} ${a.rule.id} count=${a.count}`),
    }).toEqual({ received: { errors: 2, 'errors-or-fatal': 2, payments: 2 }, alerts: [] });
  });

  it('a restart while heartbeats continue pages no absence (the downtime is backfilled first)', { timeout: 60_000 }, async () => {
    rules(`rules:
  - id: heartbeat
    source: { logGroups: [/app/hb], filterPattern: heartbeat }
    window: { type: absence, within: 3s }
    resolve: true
`);
    heartbeat('/app/hb', 1_000);
    const first = await start();
    await waitForMetric(first, (t) => metric(t, 'tailwatch_events_matched_total', 'heartbeat') >= 2, 'two heartbeats matched');
    first.signal('SIGTERM');
    expect((await first.exited).code).toBe(0);
    // Down ~5 s, and long enough that the clock the daemon restarts with (now − grace) is past the
    // last heartbeat before the stop + within: only the backfilled heartbeats tell it none was missed.
    await sleep(Math.max(5_000, 3_000 + GRACE_MS + 1_000));
    const second = await start();
    await waitForMetric(second, (t) => /tailwatch_backfilled_events_total\{session="[^"]+",source="default"\} [1-9]/.test(t), 'the downtime backfilled');
    // Past grace + within after the restart, with margin.
    const deadline = Date.now() + GRACE_MS + 5_000;
    while (Date.now() < deadline) {
      expect(alerts().map((a) => `${a.kind} ${a.rule.id} firedAt ${a.firedAt} count ${a.count}`), 'no alert while the heartbeat never stopped').toEqual([]);
      await sleep(100);
    }
  });

  it('absence with throttle 5m: stops (FIRING), resumes (RESOLVED), stops again within 5m → a second FIRING', { timeout: 90_000 }, async () => {
    rules(`rules:
  - id: heartbeat
    source: { logGroups: [/app/hb], filterPattern: heartbeat }
    window: { type: absence, within: 2s }
    throttle: 5m
    resolve: true
`);
    await start();
    let stop = heartbeat('/app/hb', 500);
    await sleep(2_000);
    stop();
    const firing = await waitForAlert((a) => a.kind === 'firing', 'first FIRING', 20_000);
    stop = heartbeat('/app/hb', 500);
    await waitForAlert((a) => a.kind === 'resolved', 'RESOLVED after the heartbeat resumed', 20_000);
    await sleep(2_000);
    stop();
    await waitForAlert((a) => a.kind === 'firing' && a.id !== firing.id, 'second FIRING (the absence returned after its resolve)', 20_000);
  });

  it('a reload that changes a firing threshold rule’s count still delivers its RESOLVED', { timeout: 60_000 }, async () => {
    const rule = (count: number) => `rules:
  - id: burst
    source: { logGroups: [/app/api], filterPattern: ERROR }
    window: { type: threshold, count: ${count}, within: 3s }
    resolve: true
`;
    rules(rule(2));
    const d = await start();
    put('/app/api', 'ERROR one', 'ERROR two');
    await waitForAlert((a) => a.rule.id === 'burst' && a.kind === 'firing', 'FIRING', 15_000);
    rules(rule(3));
    await reload(d);
    // Resolve falls due 3 s after the firing, decided at most grace (5 s) later.
    await waitForAlert((a) => a.rule.id === 'burst' && a.kind === 'resolved', 'RESOLVED of the reloaded rule', 20_000);
  });

  it('a reload that removes a rule with an open episode delivers a resolved alert with reason "rule-removed"', { timeout: 60_000 }, async () => {
    const keep = `  - id: other
    source: { logGroups: [/app/api], filterPattern: FATAL }
`;
    rules(`rules:
  - id: burst
    source: { logGroups: [/app/api], filterPattern: ERROR }
    window: { type: threshold, count: 2, within: 1m }
    resolve: true
${keep}`);
    const d = await start();
    put('/app/api', 'ERROR one', 'ERROR two');
    await waitForAlert((a) => a.rule.id === 'burst' && a.kind === 'firing', 'FIRING', 15_000);
    rmSync(path.join(dir, 'rules/rules.yaml'));
    rules(`rules:\n${keep}`);
    await reload(d);
    const resolved = await waitForAlert((a) => a.rule.id === 'burst' && a.kind === 'resolved', 'resolved alert for the removed rule', 15_000);
    expect(resolved.reason).toBe('rule-removed');
  });
});
