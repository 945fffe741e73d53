#!/usr/bin/env node
// The demo: the bundled CloudWatch Logs emulator with sample traffic, and
// `tailwatch run` with config.example.yaml's rules pointed at it. Alerts are
// printed by the console destination; what Slack, the webhook and
// Alertmanager would receive goes to a local receiver that prints one line
// per request. No AWS account needed. Ctrl-C stops everything.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { Emulator, parseRecordedEvents, startFeed } = await import(path.join(repo, 'dist/emulator/index.js'));

const REGION = 'eu-west-1';
const say = (line) => process.stderr.write(`[demo] ${line}\n`);

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
const stateDir = mkdtempSync(path.join(os.tmpdir(), 'tailwatch-demo-'));
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
const planned = spawnSync(process.execPath, [path.join(repo, 'bin/tailwatch.js'), 'plan', '-c', path.join(repo, 'config.example.yaml'), '--format', 'json'], { cwd: repo, env: daemonEnv, encoding: 'utf8' });
let sessions = 1;
try {
  sessions = Math.max(1, JSON.parse(planned.stdout).sessions.length);
} catch {}
const daemon = spawn(process.execPath, [path.join(repo, 'bin/tailwatch.js'), 'run', '-c', path.join(repo, 'config.example.yaml'), '--log-level', 'warn'], {
  cwd: repo,
  env: daemonEnv,
  // stdout: its log lines (warnings and errors, JSON); stderr: the console destination's alert blocks.
  stdio: ['ignore', 'pipe', 'pipe'],
  // Its own process group: Ctrl-C reaches only the demo, which stops the daemon with one SIGTERM
  // (a second signal would make the daemon skip its graceful shutdown).
  detached: true,
});
say(`tailwatch run -c config.example.yaml (state in ${stateDir})`);

// 4. Feed the sample traffic once every session is up (Live Tail shows only what arrives while it runs).
let feed;
const started = Date.now();
const waitForSessions = setInterval(() => {
  if (emulator.activeSessionCount() >= sessions || Date.now() - started > 10_000) {
    clearInterval(waitForSessions);
    say(`${emulator.activeSessionCount()} Live Tail sessions open; feeding ${traffic.length} events from demo/traffic.jsonl in real time`);
    feed = startFeed(emulator, traffic, { region: REGION });
  }
}, 100);

readline.createInterface({ input: daemon.stdout }).on('line', (line) => process.stdout.write(`${line}\n`));
// The alert blocks, on the demo's stdout.
readline.createInterface({ input: daemon.stderr }).on('line', (line) => process.stdout.write(`${line}\n`));

let stopping = false;
const stop = async (code) => {
  if (stopping) return;
  stopping = true;
  clearInterval(waitForSessions);
  feed?.stop();
  daemon.kill('SIGTERM');
  await new Promise((r) => (daemon.exitCode !== null ? r() : daemon.once('exit', r)));
  receiver.close();
  await emulator.stop();
  rmSync(stateDir, { recursive: true, force: true });
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
