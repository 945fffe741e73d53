#!/usr/bin/env node
// The demo: the bundled CloudWatch Logs emulator with sample traffic, and
// `tailwatch run` with config.example.yaml's rules pointed at it. Alerts are
// printed by the console destination; what Slack, the webhook and
// Alertmanager would receive goes to a local receiver that prints one line
// per request. No AWS account needed. It prints the timeline to expect at the
// start (what `tailwatch replay` decides on the same traffic), says when the
// feed is over and when the last alert is due. Ctrl-C stops everything.
//
// `npm run demo -- --fast`: every window and throttle of the rules divided by
// 20, to at least 10 s (1m → 10s, 5m → 15s, 10m → 30s), so the whole timeline
// fits in about a minute.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { Emulator, parseRecordedEvents, startFeed } = await import(path.join(repo, 'dist/emulator/index.js'));

const REGION = 'eu-west-1';
const say = (line) => process.stderr.write(`[demo] ${line}\n`);
const FAST = process.argv.includes('--fast');
/** How much shorter windows and throttles are with --fast. */
const FAST_FACTOR = 20;

// The config and rules the daemon runs: the example ones, or with --fast a copy with every
// `within` and `throttle` divided by FAST_FACTOR (to at least 10 s).
const work = mkdtempSync(path.join(os.tmpdir(), 'tailwatch-demo-'));
let configFile = path.join(repo, 'config.example.yaml');
if (FAST) {
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  const scale = (text) =>
    text.replace(/\b(within|throttle): ([0-9][0-9a-z.]*)/g, (_, key, duration) => {
      let ms = 0;
      for (const [, n, u] of duration.matchAll(/([0-9.]+)(ms|s|m|h|d)/g)) ms += Number(n) * unit[u];
      // At least 10 s (or the original): the checkout rule's 5 slow requests span 4 s of its 1m window.
      const scaled = Math.min(ms, Math.max(10_000, Math.round(ms / FAST_FACTOR)));
      return `${key}: ${scaled % 1000 === 0 ? `${scaled / 1000}s` : `${scaled}ms`}`;
    });
  mkdirSync(path.join(work, 'rules'));
  for (const f of readdirSync(path.join(repo, 'rules')).filter((n) => n.endsWith('.yaml') && !n.endsWith('.test.yaml'))) {
    writeFileSync(path.join(work, 'rules', f), scale(readFileSync(path.join(repo, 'rules', f), 'utf8')));
  }
  configFile = path.join(work, 'tailwatch.yaml');
  writeFileSync(configFile, scale(readFileSync(path.join(repo, 'config.example.yaml'), 'utf8')));
}

// 1. The emulator, with every log group of the sample traffic (and the example rules) created up front.
const traffic = parseRecordedEvents(readFileSync(path.join(repo, 'demo/traffic.jsonl'), 'utf8'), 'demo/traffic.jsonl');
const emulator = new Emulator({ region: REGION, accountId: '123456789012', port: 0 });
const endpoint = await emulator.start();
const bootAt = Date.now() - 3_600_000;
for (const group of ['/ecs/payments', '/ecs/checkout', '/aws/lambda/image-resize']) {
  emulator.ingest([{ logGroup: group, logStream: 'demo-setup', timestamp: bootAt, message: 'log group created for the demo' }]);
}
say(`CloudWatch Logs emulator on ${endpoint}`);

// 2. A receiver standing in for Slack, the ops webhook and Alertmanager.
const receiver = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    let what = '';
    try {
      const json = JSON.parse(body);
      what = json.text ?? json.title ?? (Array.isArray(json) ? `${json.length} alert(s) for ${json.map((a) => a.labels?.alertname).join(', ')}` : '');
    } catch {}
    say(`receiver: ${req.method} ${req.url} ${String(what).split('\n')[0].slice(0, 100)}`);
    res.writeHead(200).end('ok');
  });
});
await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
const sink = `http://127.0.0.1:${receiver.address().port}`;

// 3. The daemon with the example config, pointed at the emulator.
const stateDir = path.join(work, 'state');
const daemonEnv = {
  ...process.env,
  AWS_REGION: REGION,
  TAILWATCH_AWS_ENDPOINT: endpoint,
  TAILWATCH_STATE_DIR: stateDir,
  SLACK_ONCALL_WEBHOOK: `${sink}/slack`,
  OPS_HOOK_URL: `${sink}/ops-hook`,
  OPS_TOKEN: 'demo-token',
  OPS_HMAC_SECRET: 'demo-secret',
  ALERTMANAGER_URL: `${sink}/alertmanager`,
  // The example config listens on 9464; the demo must not clash with a real one.
  TAILWATCH_LISTEN: '127.0.0.1:0',
  // Alert blocks reach the terminal through a pipe: coloured when the demo's stdout is a terminal.
  ...(process.stdout.isTTY && !process.env.NO_COLOR ? { FORCE_COLOR: '1' } : {}),
};
// How many sessions the daemon will open (whatever sessions.strategy says): `tailwatch plan`.
const planned = spawnSync(process.execPath, [path.join(repo, 'bin/tailwatch.js'), 'plan', '-c', configFile, '--format', 'json'], { cwd: repo, env: daemonEnv, encoding: 'utf8' });
let sessions = 1;
try {
  sessions = Math.max(1, JSON.parse(planned.stdout).sessions.length);
} catch {}
// The timeline: what `tailwatch replay` decides on the same traffic (live = replay), as offsets from
// the feed's start; the daemon sends each about sessions.grace (5 s) plus a Live Tail update later.
const replayed = spawnSync(process.execPath, [path.join(repo, 'bin/tailwatch.js'), 'replay', '-c', configFile, '--input', path.join(repo, 'demo/traffic.jsonl'), '--until', '+1h'], { cwd: repo, env: daemonEnv, encoding: 'utf8' });
const first = Math.min(...traffic.map((e) => e.timestamp));
const LIVE_DELAY_S = 6;
const timeline = replayed.stdout
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l))
  .map((a) => ({ at: (Date.parse(a.firedAt) - first) / 1000 + LIVE_DELAY_S, what: `${a.kind === 'firing' ? 'FIRING' : 'RESOLVED'} ${a.title}` }));
const when = (s) => (s < 90 ? `~${Math.round(s)} s` : `~${Math.floor(s / 60)} min ${Math.round(s % 60)} s`);
const feedSeconds = (Math.max(...traffic.map((e) => e.timestamp)) - first) / 1000;

const daemon = spawn(process.execPath, [path.join(repo, 'bin/tailwatch.js'), 'run', '-c', configFile, '--log-level', 'warn'], {
  cwd: repo,
  env: daemonEnv,
  // stdout: its log lines (warnings and errors, JSON); stderr: the console destination's alert blocks.
  stdio: ['ignore', 'pipe', 'pipe'],
  // Its own process group: Ctrl-C reaches only the demo, which stops the daemon with one SIGTERM
  // (a second signal would make the daemon skip its graceful shutdown).
  detached: true,
});
say(`tailwatch run -c ${FAST ? `config.example.yaml with windows and throttles ÷${FAST_FACTOR}` : 'config.example.yaml'} (state in ${stateDir})`);

// 4. Feed the sample traffic once every session is up (Live Tail shows only what arrives while it runs).
let feed;
const started = Date.now();
const waitForSessions = setInterval(() => {
  if (emulator.activeSessionCount() >= sessions || Date.now() - started > 10_000) {
    clearInterval(waitForSessions);
    say(`${emulator.activeSessionCount()} Live Tail sessions open; feeding ${traffic.length} events from demo/traffic.jsonl in real time (${feedSeconds} s)`);
    say(`timeline from now (${FAST ? `--fast: windows ÷${FAST_FACTOR}` : 'npm run demo -- --fast does it in about a minute'}):`);
    for (const t of timeline) say(`  ${when(t.at).padEnd(12)} ${t.what}`);
    feed = startFeed(emulator, traffic, { region: REGION });
    void feed.finished.then(() => !stopping && say(`the feed is over (${traffic.length} events); the rest of the timeline comes from time passing`));
    const last = timeline.length ? Math.max(...timeline.map((t) => t.at)) : 0;
    doneTimer = setTimeout(() => say(`done: the last alert of the timeline was due ${when(last)} after the start; Ctrl-C to stop`), (last + 5) * 1000);
  }
}, 100);
let doneTimer;

readline.createInterface({ input: daemon.stdout }).on('line', (line) => process.stdout.write(`${line}\n`));
// The alert blocks, on the demo's stdout.
readline.createInterface({ input: daemon.stderr }).on('line', (line) => process.stdout.write(`${line}\n`));

let stopping = false;
const stop = async (code) => {
  if (stopping) return;
  stopping = true;
  clearInterval(waitForSessions);
  clearTimeout(doneTimer);
  feed?.stop();
  daemon.kill('SIGTERM');
  await new Promise((r) => (daemon.exitCode !== null ? r() : daemon.once('exit', r)));
  receiver.close();
  await emulator.stop();
  rmSync(work, { recursive: true, force: true });
  process.exit(code);
};
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
daemon.on('exit', (code) => {
  if (!stopping) {
    say(`tailwatch exited with ${code}`);
    void stop(code ?? 1);
  }
});
