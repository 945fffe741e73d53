/**
 * `tailwatch run` end to end: a real child process, the real SDK against the
 * emulator, real webhooks to a local HTTP server, real signals.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDaemon, type DaemonProcess } from '../kit/daemon.js';
import { startEmulator, type StartedEmulator } from '../kit/emulator.js';
import { hasTool } from '../kit/tools.js';
import { until } from '../kit/until.js';

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: { kind: string; count: number; rule: { id: string }; id: string; group: Record<string, unknown> };
}

let emu: StartedEmulator;
let hook: http.Server;
let received: Received[];
let pings: string[];
let hookUrl: string;
let dir: string;
let daemons: DaemonProcess[];

beforeEach(async () => {
  emu = await startEmulator({ updateIntervalMs: 100 });
  for (const group of ['/app/api', '/app/worker']) emu.emulator.ingest([{ logGroup: group, logStream: 's1', timestamp: Date.now() - 60_000, message: 'boot' }]);
  received = [];
  pings = [];
  hook = http.createServer((req, res) => {
    if (req.method === 'GET') {
      pings.push(req.url ?? '');
      res.end('ok');
      return;
    }
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(body) });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
  hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`;
  dir = mkdtempSync(path.join(os.tmpdir(), 'tw-daemon-'));
  mkdirSync(path.join(dir, 'rules'));
  daemons = [];
});

afterEach(async () => {
  for (const d of daemons) await d.stop();
  await emu.close();
  hook.closeAllConnections();
  await new Promise<void>((r) => hook.close(() => r()));
});

function writeConfig(extra = '', watch = false): void {
  writeFileSync(
    path.join(dir, 'tailwatch.yaml'),
    `aws: { region: us-east-1, accountId: "123456789012", endpoint: "${emu.endpoint}" }
rules: { paths: [rules], watch: ${watch} }
destinations:
  hook: { type: webhook, url: "${hookUrl}", headers: { Authorization: "Bearer \${HOOK_TOKEN}" } }
defaults: { notify: [hook], throttle: 0s }
# The emulator's FilterLogEvents has no ingestion delay here: a gap's tail need not wait the default 10 s.
sessions: { strategy: precise, stallAfter: 5s, grace: 1s, backoff: { initial: 100ms, max: 1s }, completion: { delay: 1s } }
delivery: { retry: { initial: 100ms, max: 1s } }
state: { dir: state }
server: { listen: "127.0.0.1:0" }
${extra}`,
  );
}

const API_ERRORS = `rules:
  - id: api-errors
    source: { logGroups: [/app/api], filterPattern: ERROR }
    throttle: 10m
`;
const API_BURST = `rules:
  - id: api-burst
    source: { logGroups: [/app/api], filterPattern: '{ $.status >= 500 }' }
    window: { type: threshold, count: 3, within: 5m }
`;
const WORKER_RULE = `rules:
  - id: worker-crash
    source: { logGroups: [/app/worker], filterPattern: crashed }
`;

function put(group: string, ...messages: string[]): void {
  const now = Date.now();
  emu.emulator.ingest(messages.map((message, i) => ({ logGroup: group, logStream: 's1', timestamp: now + i, message })));
}

function start(args: string[] = []): DaemonProcess {
  const d = startDaemon({ cwd: dir, args: ['--log-level', 'debug', ...args], env: { HOOK_TOKEN: 'tok-SECRET-123' } });
  daemons.push(d);
  return d;
}

async function metricsOf(d: DaemonProcess): Promise<string> {
  const line = await d.waitForMsg('status server listening');
  const res = await fetch(`http://${String(line['address'])}/metrics`);
  return res.text();
}

/** Polls /metrics until `pattern` shows up; returns the text. */
async function waitForMetric(d: DaemonProcess, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = '';
  while (Date.now() < deadline) {
    text = await metricsOf(d);
    if (pattern.test(text)) return text;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`metric ${pattern} not seen:\n${text}`);
}

describe('tailwatch run', () => {
  it('delivers an alert end to end: emulator → Live Tail → engine → outbox → webhook', async () => {
    writeConfig();
    writeFileSync(path.join(dir, 'rules/api.yaml'), API_ERRORS);
    const d = start();
    await d.waitForMsg('ready');
    put('/app/api', 'INFO fine', 'ERROR payment failed for order 42');
    await until(() => received.length === 1, 15_000, 'the alert');
    expect(received[0]!.body).toMatchObject({ kind: 'firing', count: 1, rule: { id: 'api-errors' } });
    expect(received[0]!.headers['x-tailwatch-delivery']).toBe(received[0]!.body.id);
    expect(received[0]!.headers['authorization']).toBe('Bearer tok-SECRET-123');
    // The token reaches the receiver, never the logs.
    expect(JSON.stringify(d.logs) + d.stderr).not.toContain('tok-SECRET-123');
  });

  it('SIGHUP with a new rule starts its session and keeps the other rules’ windows and sessions', async () => {
    writeConfig();
    writeFileSync(path.join(dir, 'rules/api.yaml'), API_BURST);
    const d = start();
    await d.waitForMsg('ready');
    const apiSession = () => emu.emulator.sessions().filter((s) => s.request.logGroupIdentifiers.some((g) => g.endsWith(':/app/api')));
    expect(apiSession()).toHaveLength(1);
    const apiSessionId = apiSession()[0]!.sessionId;
    put('/app/api', '{"status":500}', '{"status":503}');
    await waitForMetric(d, /tailwatch_events_matched_total\{rule="api-burst"\} 2\b/);
    writeFileSync(path.join(dir, 'rules/worker.yaml'), WORKER_RULE);
    d.signal('SIGHUP');
    await d.waitForMsg('rules reloaded');
    await until(() => emu.emulator.sessions().some((s) => s.request.logGroupIdentifiers.some((g) => g.endsWith(':/app/worker'))), 15_000, 'the new rule’s session');
    expect(apiSession().map((s) => s.sessionId)).toEqual([apiSessionId]);
    // The third 5xx completes the window opened before the reload.
    put('/app/api', '{"status":502}');
    put('/app/worker', 'job 7 crashed');
    await until(() => received.length === 2, 15_000, 'both alerts');
    expect(received.map((r) => [r.body.rule.id, r.body.count]).sort()).toEqual([['api-burst', 3], ['worker-crash', 1]]);
  });

  it('with rules.watch, a rule file written into the rules folder is loaded without a signal (debounced: one reload)', async () => {
    writeConfig('', true);
    writeFileSync(path.join(dir, 'rules/api.yaml'), API_ERRORS);
    const d = start();
    await d.waitForMsg('ready');
    // Written in two steps, as an editor or `git pull` might: the debounce makes it one reload.
    writeFileSync(path.join(dir, 'rules/worker.yaml'), WORKER_RULE.slice(0, 20));
    writeFileSync(path.join(dir, 'rules/worker.yaml'), WORKER_RULE);
    const reloaded = await d.waitForMsg('rules reloaded');
    expect(reloaded['trigger']).toBe('watch');
    await until(() => emu.emulator.sessions().some((s) => s.request.logGroupIdentifiers.some((g) => g.endsWith(':/app/worker'))), 15_000, 'the new rule’s session');
    put('/app/worker', 'job 9 crashed');
    await until(() => received.length === 1, 15_000, 'the new rule’s alert');
    expect(received[0]!.body.rule.id).toBe('worker-crash');
    expect(d.count((l) => l.msg === 'rules reloaded' || l.msg === 'reload rejected; the running rules stay')).toBe(1);
  });

  it('with rules.watch, a deploy that swaps a symlinked rules folder, then a config renamed over the old one, each reload', async () => {
    writeConfig('', true);
    rmSync(path.join(dir, 'rules'), { recursive: true });
    mkdirSync(path.join(dir, 'releases/1'), { recursive: true });
    mkdirSync(path.join(dir, 'releases/2'), { recursive: true });
    writeFileSync(path.join(dir, 'releases/1/api.yaml'), API_ERRORS);
    writeFileSync(path.join(dir, 'releases/2/api.yaml'), API_ERRORS);
    writeFileSync(path.join(dir, 'releases/2/worker.yaml'), WORKER_RULE);
    symlinkSync('releases/1', path.join(dir, 'rules'));
    const d = start();
    await d.waitForMsg('ready');
    // The deploy: a new symlink renamed over the old one (atomic, as `ln -sfn` + `mv -T` do).
    symlinkSync('releases/2', path.join(dir, 'rules.next'));
    renameSync(path.join(dir, 'rules.next'), path.join(dir, 'rules'));
    await until(() => d.count((l) => l.msg === 'rules reloaded') === 1, 15_000, 'the reload after the symlink swap');
    await until(() => emu.emulator.sessions().some((s) => s.request.logGroupIdentifiers.some((g) => g.endsWith(':/app/worker'))), 15_000, 'the new rule’s session');
    // An editor's save: a new file renamed over the config (twice: the watch must survive the first).
    for (const n of [1, 2]) {
      writeFileSync(path.join(dir, 'tailwatch.yaml.tmp'), readFileSync(path.join(dir, 'tailwatch.yaml'), 'utf8') + `# save ${n}\n`);
      renameSync(path.join(dir, 'tailwatch.yaml.tmp'), path.join(dir, 'tailwatch.yaml'));
      await until(() => d.count((l) => l.msg === 'rules reloaded') === 1 + n, 15_000, `the reload after save ${n}`);
    }
  });

  it('a reload with config changes outside the rules applies the rules and says which changes need a restart', async () => {
    writeConfig();
    writeFileSync(path.join(dir, 'rules/api.yaml'), API_ERRORS);
    const d = start();
    await d.waitForMsg('ready');
    writeConfig('heartbeat: { cron: "*/5 * * * *", url: "http://127.0.0.1:9/ping" }\n');
    writeFileSync(path.join(dir, 'rules/worker.yaml'), WORKER_RULE);
    d.signal('SIGHUP');
    const warned = await d.waitForMsg('config changes that need a restart were not applied');
    expect(warned['keys']).toEqual(['heartbeat']);
    await d.waitForMsg('rules reloaded');
    await until(() => emu.emulator.sessions().some((s) => s.request.logGroupIdentifiers.some((g) => g.endsWith(':/app/worker'))), 15_000, 'the new rule’s session');
  });

  it('a broken rule file pushed keeps the old rules alerting, and the errors are logged with positions', async () => {
    writeConfig();
    writeFileSync(path.join(dir, 'rules/api.yaml'), API_ERRORS);
    const d = start();
    await d.waitForMsg('ready');
    writeFileSync(path.join(dir, 'rules/api.yaml'), API_ERRORS.replace('throttle: 10m', 'throttle: soon'));
    d.signal('SIGHUP');
    const rejected = await d.waitForMsg('invalid rule set');
    expect(rejected['problem']).toBe('rules/api.yaml:4:15: rules[0].throttle: invalid duration (use e.g. 500ms, 30s, 5m, 2h55m, 1d)');
    await d.waitForMsg('reload rejected; the running rules stay');
    put('/app/api', 'ERROR still watched');
    await until(() => received.length === 1, 15_000, 'an alert from the old rules');
    expect(received[0]!.body.rule.id).toBe('api-errors');
  });

  it('a rule regex V8 cannot run in linear time is rejected on reload at its position; the old rules keep alerting on a hostile line', async () => {
    writeConfig();
    writeFileSync(path.join(dir, 'rules/api.yaml'), API_ERRORS);
    const d = start();
    await d.waitForMsg('ready');
    // Before: accepted, and the line below kept the event loop busy for minutes (no /healthz, SIGTERM ignored).
    writeFileSync(path.join(dir, 'rules/api.yaml'), `${API_ERRORS}    match: { field: message, regex: '(.*a){25}X' }\n`);
    d.signal('SIGHUP');
    const rejected = await d.waitForMsg('invalid rule set');
    expect(rejected['problem']).toBe('rules/api.yaml:5:43: rules[0].match.regex: a repeat count above 16 is not supported ({25}; split it: x{16}x{9} for x{25}): the regex must run in linear time');
    await d.waitForMsg('reload rejected; the running rules stay');
    put('/app/api', `ERROR ${'a'.repeat(50_000)}`);
    await until(() => received.length === 1, 15_000, 'an alert from the old rules');
    expect(received[0]!.body.rule.id).toBe('api-errors');
  });

  it('SIGTERM exits 0 within 5 s and the emulator sees every session closed', async () => {
    writeConfig();
    writeFileSync(path.join(dir, 'rules/api.yaml'), API_ERRORS);
    writeFileSync(path.join(dir, 'rules/worker.yaml'), WORKER_RULE);
    const d = start();
    await d.waitForMsg('ready');
    expect(emu.emulator.activeSessionCount()).toBe(2);
    const t0 = Date.now();
    d.signal('SIGTERM');
    const exit = await d.exited;
    expect(exit.code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5_000);
    await until(() => emu.emulator.activeSessionCount() === 0, 2_000, 'sessions closed server-side');
  });

  it('a restart backfills the events logged while it was down, without re-sending what it sent before', async () => {
    writeConfig();
    writeFileSync(path.join(dir, 'rules/worker.yaml'), WORKER_RULE);
    const first = start();
    await first.waitForMsg('ready');
    put('/app/worker', 'job 1 crashed');
    await until(() => received.length === 1, 15_000, 'the first alert');
    first.signal('SIGTERM');
    expect((await first.exited).code).toBe(0);
    put('/app/worker', 'job 2 crashed while tailwatch was down');
    const second = start();
    await second.waitForMsg('ready');
    await until(() => received.length === 2, 15_000, 'the alert for the event logged during the downtime');
    await waitForMetric(second, /tailwatch_backfilled_events_total\{session="[^"]+",source="default"\} [1-9]/);
    expect(received.map((r) => r.body.count)).toEqual([1, 1]);
    expect(new Set(received.map((r) => r.body.id)).size).toBe(2);
    // Give a wrongly re-sent first alert time to show up.
    await new Promise((r) => setTimeout(r, 500));
    expect(received).toHaveLength(2);
  });

  it('kill -9 and restart does not re-fire a throttled alert', async () => {
    writeConfig();
    writeFileSync(path.join(dir, 'rules/api.yaml'), API_ERRORS);
    const first = start();
    await first.waitForMsg('ready');
    put('/app/api', 'ERROR one');
    await until(() => received.length === 1, 15_000, 'the first alert');
    await first.waitForLog((l) => l.msg === 'state saved' && Number(l['alerts']) > 0, 5_000, 'state saved after the alert');
    first.signal('SIGKILL');
    await first.exited;
    const second = start();
    await second.waitForMsg('ready');
    put('/app/api', 'ERROR two, within the 10m throttle');
    await waitForMetric(second, /tailwatch_alerts_suppressed_total\{rule="api-errors"\} 1\b/);
    expect(received).toHaveLength(1);
  });

  it.skipIf(!hasTool('promtool', 'apt-get install prometheus'))('serves /metrics that promtool accepts, with counters that move as events arrive', async () => {
    writeConfig();
    writeFileSync(path.join(dir, 'rules/api.yaml'), API_ERRORS);
    const d = start();
    await d.waitForMsg('ready');
    put('/app/api', 'ERROR a', 'INFO b');
    await until(() => received.length === 1, 15_000, 'the alert');
    const text = await waitForMetric(d, /tailwatch_alerts_delivered_total\{destination="hook"\} 1\b/);
    // Live Tail applies the rule's pattern on the server: the INFO line never reaches the daemon.
    expect(text).toMatch(/tailwatch_events_received_total\{rule="api-errors"\} 1\b/);
    expect(text).toMatch(/tailwatch_events_matched_total\{rule="api-errors"\} 1\b/);
    expect(text).toMatch(/tailwatch_alerts_delivered_total\{destination="hook"\} 1\b/);
    expect(text).toMatch(/tailwatch_session_starts_total\{session="[^"]+",source="default"\} 1\b/);
    expect(text).not.toContain(hookUrl);
    const promtool = spawn('promtool', ['check', 'metrics']);
    let out = '';
    promtool.stdout.on('data', (c) => (out += c));
    promtool.stderr.on('data', (c) => (out += c));
    promtool.stdin.end(text);
    const code = await new Promise<number | null>((r) => promtool.on('exit', r));
    expect(out).toBe('');
    expect(code).toBe(0);
  });

  it('pings the heartbeat URL on its cron schedule while healthy, never logging the URL', async () => {
    writeConfig(`heartbeat: { cron: "* * * * * *", url: "${hookUrl.replace('/hook', '/ping?key=hb-SECRET-9')}" }\n`);
    writeFileSync(path.join(dir, 'rules/api.yaml'), API_ERRORS);
    const d = start();
    await d.waitForMsg('ready');
    await until(() => pings.length >= 2, 15_000, 'two heartbeat pings (every second)');
    expect(pings[0]).toBe('/ping?key=hb-SECRET-9');
    expect(JSON.stringify(d.logs) + d.stderr).not.toContain('hb-SECRET-9');
  });

  it('with no rules, /readyz answers 503 with the reason (and no ready is announced) unless rules.allowEmpty', async () => {
    writeConfig();
    writeFileSync(path.join(dir, 'rules/empty.yaml'), 'rules: []\n');
    const d = start();
    const warned = await d.waitForMsg('configuration warning');
    expect(warned['problem']).toMatch(/^tailwatch\.yaml:2:17: warning: rules\.paths: no rules in 1 rule file\(s\): /);
    const address = String((await d.waitForMsg('status server listening'))['address']);
    await d.waitForMsg('rules loaded');
    // Long enough for the 1 s readiness tick to have run a few times: an empty set must never turn ready.
    await new Promise((r) => setTimeout(r, 2_500));
    const res = await fetch(`http://${address}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('no rules to run (set rules: { allowEmpty: true } if an empty rule set is intended)\n');
    expect(d.count((l) => l.msg === 'ready')).toBe(0);
    // A rule pushed later makes it ready.
    writeFileSync(path.join(dir, 'rules/api.yaml'), API_ERRORS);
    d.signal('SIGHUP');
    await d.waitForMsg('ready');
    expect((await fetch(`http://${address}/readyz`)).status).toBe(200);
  });

  it('with rules.allowEmpty, an empty rule set is ready', async () => {
    writeConfig();
    writeFileSync(path.join(dir, 'tailwatch.yaml'), readFileSync(path.join(dir, 'tailwatch.yaml'), 'utf8').replace('rules: { paths: [rules], watch: false }', 'rules: { paths: [rules], watch: false, allowEmpty: true }'));
    const d = start();
    const ready = await d.waitForMsg('ready');
    expect(String(ready['status'])).toMatch(/^0 rules/);
    const address = String((await d.waitForMsg('status server listening'))['address']);
    const res = await fetch(`http://${address}/readyz`);
    expect(res.status).toBe(200);
    expect(d.count((l) => l.msg === 'configuration warning')).toBe(0);
  });

  it.skipIf(!hasTool('python3', 'apt-get install python3') || !hasTool('systemd-notify', 'apt-get install systemd'))('tells systemd it is ready once sessions are up (NOTIFY_SOCKET), and pings its watchdog (WATCHDOG_USEC)', async () => {
    writeConfig();
    writeFileSync(path.join(dir, 'rules/api.yaml'), API_ERRORS);
    const socket = path.join(dir, 'notify.sock');
    const listener = spawn('python3', ['-c', 'import socket,sys\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\nprint("bound",flush=True)\ns.settimeout(20)\nready=False\npings=0\nwhile True:\n  m=s.recv(4096).decode()\n  print(m.replace("\\n"," "),flush=True)\n  ready=ready or "READY=1" in m\n  pings+=("WATCHDOG=1" in m)\n  if ready and pings>=2 and "BARRIER=1" in m: break\n', socket]);
    let out = '';
    listener.stdout.on('data', (c) => (out += c));
    await new Promise<void>((r) => listener.stdout.once('data', () => r()));
    // WatchdogSec=1s: a ping every 500 ms.
    const d = startDaemon({ cwd: dir, env: { HOOK_TOKEN: 't', NOTIFY_SOCKET: socket, WATCHDOG_USEC: '1000000' } });
    daemons.push(d);
    await new Promise<void>((r) => listener.once('exit', () => r()));
    // Failures while the listener was up; once it has exited, every notification fails (no socket).
    const failedWhileListening = d.count((l) => l.msg === 'systemd notification failed');
    expect(out).toMatch(/READY=1/);
    expect(out).toMatch(/STATUS=1 rules/);
    expect(out.match(/WATCHDOG=1/g)!.length).toBeGreaterThanOrEqual(2);
    expect((await d.waitForMsg('systemd watchdog: pinging'))['intervalMs']).toBe(500);
    expect(d.count((l) => l.msg === 'ready')).toBe(1);
    expect(failedWhileListening).toBe(0);
  });

  it.skipIf(!hasTool('python3', 'apt-get install python3') || !hasTool('systemd-notify', 'apt-get install systemd'))('ends a reload that fails (the config cannot be read) with READY=1 and a status saying so, not "reloading"', async () => {
    writeConfig();
    writeFileSync(path.join(dir, 'rules/api.yaml'), API_ERRORS);
    const socket = path.join(dir, 'notify.sock');
    // Prints each message; exits at the first READY=1 after a RELOADING=1.
    const listener = spawn('python3', ['-c', 'import socket,sys\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\nprint("bound",flush=True)\ns.settimeout(20)\nreloading=False\nwhile True:\n  m=s.recv(4096).decode()\n  print(m.replace("\\n"," "),flush=True)\n  reloading=reloading or "RELOADING=1" in m\n  if reloading and "READY=1" in m: break\n', socket]);
    let out = '';
    listener.stdout.on('data', (c) => (out += c));
    await new Promise<void>((r) => listener.stdout.once('data', () => r()));
    const d = startDaemon({ cwd: dir, env: { HOOK_TOKEN: 't', NOTIFY_SOCKET: socket } });
    daemons.push(d);
    await d.waitForMsg('ready');
    await until(() => /READY=1/.test(out), 15_000, 'READY=1 at start');
    // The config file becomes a folder: loading it throws.
    renameSync(path.join(dir, 'tailwatch.yaml'), path.join(dir, 'tailwatch.yaml.bak'));
    mkdirSync(path.join(dir, 'tailwatch.yaml'));
    d.signal('SIGHUP');
    await new Promise<void>((r) => listener.once('exit', () => r()));
    // Failures while the listener was up; once it has exited, every notification fails (no socket).
    const failedWhileListening = d.count((l) => l.msg === 'systemd notification failed');
    await d.waitForMsg('reload failed; the running rules stay');
    const afterReload = out.slice(out.indexOf('RELOADING=1'));
    expect(afterReload).toMatch(/READY=1/);
    expect(afterReload).toMatch(/STATUS=reload failed, the running rules stay; 1 rules/);
    expect(failedWhileListening).toBe(0);
  });
});

describe('tailwatch run with invalid input', () => {
  it('exits 1 with positioned errors when the rules are invalid at start', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tw-daemon-bad-'));
    mkdirSync(path.join(dir, 'rules'));
    writeFileSync(path.join(dir, 'tailwatch.yaml'), 'destinations: { out: { type: console } }\n');
    writeFileSync(path.join(dir, 'rules/r.yaml'), 'rules:\n  - id: r\n    source: { logGroups: [/a] }\n    notify: [nowhere]\n');
    const r = await promisify(execFile)(process.execPath, [path.resolve('bin/tailwatch.js'), 'run'], { cwd: dir }).catch((e: { code: number; stderr: string }) => e);
    expect((r as { code: number }).code).toBe(1);
    expect((r as { stderr: string }).stderr).toContain('rules/r.yaml:4:14: rules[0].notify[0]: no destination named "nowhere"');
  });
});
