// The whole daemon, measured end to end (`tailwatch run` as a child process,
// the real SDK against the bundled emulator, a local webhook receiver):
//
//  1. Latency: the emulator stamps each event when its sessionUpdate frame has
//     been handed to the socket (`onFrameWritten`); the receiver stamps the
//     webhook request's arrival. For a no-window rule (every event alerts) at
//     10, 100 and 500 events/s: p50/p99/max of frame written → request
//     received, at `sessions.grace` 1s and the default 5s (the rule decides
//     once its sessions' watermark passes the event: the grace plus up to one
//     update). Goal: p99 ≤ grace + 1 s + 50 ms.
//  2. Throughput at the source ceiling: 15 sessions × 500 events/s (an
//     account's whole Live Tail feed) through 200 rules: the daemon's CPU (%
//     of one core, from /proc) and RSS. Goal: < 10 % CPU, RSS ≤ 100 MB.
//  3. Soak, a compressed day: sessions rotated every 4 s and timed out by the
//     server, connections dropped at random, the receiver failing 10 % of
//     requests; a fixed number of events, each of which must alert exactly
//     once (backfill on). Events in vs alerts expected vs alerts received,
//     restarts by reason, RSS after warm-up and at the end.
//
// Usage: npm run build && node bench/daemon.mjs [--seconds N] [--soak-events N] [--write] [--only latency|ceiling|soak]
// `--only ceiling --sources 3`: the ceiling of 3 account-regions in one daemon (one emulator each).
// (`--write` replaces the "The daemon" section of bench/README.md.)
import { execSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { writeReadmeSection } from './readme-section.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const SECONDS = Number(opt('--seconds')) || 10;
const SOAK_EVENTS = Number(opt('--soak-events')) || 6000;
const { Emulator } = await import(path.join(repo, 'dist/emulator/index.js'));
const CLK_TCK = (() => {
  try {
    return Number(execSync('getconf CLK_TCK').toString().trim()) || 100;
  } catch {
    return 100;
  }
})();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (line) => process.stderr.write(`${line}\n`);

// ---- parts ------------------------------------------------------------------

/** A webhook receiver: stamps arrivals by alert id; fails `failRate` of requests with a 500. */
async function startReceiver({ failRate = 0, onAlert = () => {} } = {}) {
  const r = { requests: 0, failed: 0, ids: new Map(), url: '' };
  const server = http.createServer((req, res) => {
    const at = Date.now();
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      r.requests++;
      if (failRate > 0 && Math.random() < failRate) {
        r.failed++;
        res.writeHead(500).end('injected failure');
        return;
      }
      const alert = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      r.ids.set(alert.id, (r.ids.get(alert.id) ?? 0) + 1);
      onAlert(alert, at);
      res.writeHead(200).end('ok');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  r.url = `http://127.0.0.1:${server.address().port}/hook`;
  r.close = () => {
    server.closeAllConnections();
    return new Promise((ok) => server.close(ok));
  };
  return r;
}

function configText({ endpoint, hookUrl, sessions = '' }) {
  return `aws: { region: us-east-1, accountId: "123456789012", endpoint: "${endpoint}" }
rules: { paths: [rules], watch: false }
destinations:
  hook: { type: webhook, url: "${hookUrl}" }
defaults: { notify: [hook], throttle: 0s }
sessions: { strategy: precise, maxConcurrent: 15, stallAfter: 5s, backoff: { initial: 100ms, max: 1s }, backfill: true${sessions} }
delivery: { retry: { initial: 100ms, max: 1s } }
state: { dir: state }
server: { listen: "127.0.0.1:0" }
log: { level: info }
`;
}

/** `tailwatch run` in a fresh folder; resolves once it logged "ready". */
async function startDaemon({ config, rules }) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-bench-daemon-'));
  mkdirSync(path.join(dir, 'rules'));
  writeFileSync(path.join(dir, 'tailwatch.yaml'), config);
  writeFileSync(path.join(dir, 'rules/bench.yaml'), rules);
  // TW_DAEMON_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof": node flags for the daemon (profiling).
  const nodeArgs = (process.env.TW_DAEMON_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, path.join(repo, 'bin/tailwatch.js'), 'run'], { cwd: dir, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const d = { child, dir, address: '' };
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`daemon not ready in 30 s\n${stderr}`)), 30_000);
    child.once('exit', (code) => reject(new Error(`daemon exited with ${code}\n${stderr}`)));
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.includes('"status server listening"')) d.address = JSON.parse(line).address;
      if (line.includes('"msg":"ready"')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  d.stop = async () => {
    child.kill('SIGTERM');
    await new Promise((ok) => (child.exitCode !== null ? ok() : child.once('exit', ok)));
    rmSync(dir, { recursive: true, force: true });
  };
  d.metrics = async () => (await fetch(`http://${d.address}/metrics`)).text();
  return d;
}

/** CPU seconds (user + sys) and RSS bytes of a process, from /proc. */
function procStats(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpu = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
  return { cpu, rss };
}

/** Puts `perSecond` events a second into each log group, in 20 ms steps, for `seconds`; `make(i, group)` builds a message. */
async function feed(emulator, { groups, perSecond, seconds, make }) {
  const stepMs = 20;
  const total = Math.round(perSecond * seconds);
  let sent = 0;
  const t0 = Date.now();
  while (sent < total) {
    const due = Math.min(total, Math.floor(((Date.now() - t0) / 1000) * perSecond));
    const now = Date.now();
    const batch = [];
    for (; sent < due; sent++) for (const g of groups) batch.push({ logGroup: g, logStream: 's1', timestamp: now, message: make(sent, g) });
    if (batch.length) emulator.ingest(batch);
    await sleep(stepMs);
  }
  return total * groups.length;
}

function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN;
}

const metricValue = (text, name, labels = '') => {
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(name) && line.includes(labels) && !line.startsWith('#')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
};

/** The daemon's V8 heap (used, reserved) and external memory, MB, from its /metrics. */
function memoryOf(text) {
  const mb = (name) => Math.round(metricValue(text, name) / 1e5) / 10;
  return { heapUsed: mb('tailwatch_nodejs_heap_size_used_bytes'), heapTotal: mb('tailwatch_nodejs_heap_size_total_bytes'), external: mb('tailwatch_nodejs_external_memory_bytes') };
}

// ---- 1. latency ---------------------------------------------------------------

async function latency() {
  const rows = [];
  // A rule decides an event once its sessions' watermark, which trails the stream by
  // sessions.grace, passes it: the hold is the grace plus up to one Live Tail update (1 s). At 1s
  // (the smallest grace that covers the emulator's delivery) and at the default 5s. 450 events/s,
  // not 500: updates over 500 are sampled and completed 10 s later (the "sampled" table).
  for (const grace of ['1s', '5s']) rows.push(...(await latencyAt(grace, grace === '1s' ? [10, 100, 450] : [10, 450])));
  return rows;
}

async function latencyAt(grace, rates) {
  const written = new Map();
  const emulator = new Emulator({
    onFrameWritten(events, at) {
      for (const e of events) written.set(e.message, at);
    },
  });
  const endpoint = await emulator.start();
  emulator.ingest([{ logGroup: '/bench/latency', logStream: 's1', timestamp: Date.now() - 60_000, message: 'boot' }]);
  const lat = [];
  const receiver = await startReceiver({
    onAlert(alert, at) {
      const msg = alert.events[alert.events.length - 1]?.message;
      const w = written.get(msg);
      if (w !== undefined) lat.push(at - w);
    },
  });
  const daemon = await startDaemon({
    config: configText({ endpoint, hookUrl: receiver.url, sessions: `, grace: ${grace}` }),
    rules: `rules:\n  - id: every-error\n    source: { logGroups: [/bench/latency], filterPattern: '{ $.level = "ERROR" }' }\n`,
  });
  const rows = [];
  for (const rate of rates) {
    lat.length = 0;
    const before = receiver.ids.size;
    const sent = await feed(emulator, { groups: ['/bench/latency'], perSecond: rate, seconds: SECONDS, make: (i) => `{"level":"ERROR","rate":${rate},"seq":${i}}` });
    const deadline = Date.now() + 30_000;
    while (receiver.ids.size - before < sent && Date.now() < deadline) await sleep(100);
    const sorted = [...lat].sort((a, b) => a - b);
    rows.push({ grace, rate, sent, received: receiver.ids.size - before, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] });
    log(`latency ${rate}/s: ${JSON.stringify(rows[rows.length - 1])}`);
  }
  await daemon.stop();
  await receiver.close();
  await emulator.stop();
  return rows;
}

// ---- 2. throughput at the source ceiling -------------------------------------------

function ceilingRules(groups, from) {
  const lines = ['rules:'];
  for (let i = 0; i < 200; i++) {
    const g = groups[i % groups.length];
    const kind = i % 4;
    lines.push(`  - id: ${from ? `${from}-` : ''}r${i}`);
    if (kind === 0) lines.push(`    source: { logGroups: [${g}], filterPattern: '{ $.status >= 500 && $.path = "/v${i}/*" }' }`);
    else if (kind === 1) lines.push(`    source: { logGroups: [${g}], filterPattern: '?PANIC${i} ?FATAL${i}' }`, `    match: { all: [ { field: $.user, startsWith: "u-${i}" } ] }`);
    else if (kind === 2) lines.push(`    source: { logGroups: [${g}] }`, `    match: { all: [ { field: $.status, gte: 500 }, { field: $.latency, gt: ${100000 + i} } ] }`);
    else lines.push(`    source: { logGroups: [${g}], filterPattern: '{ $.status = 503 }' }`, `    window: { type: threshold, count: 1000000, within: 1m, groupBy: [$.user] }`);
  }
  const text = lines.join('\n') + '\n';
  // A rule of another source names it (`source: { from: NAME, … }`).
  return from ? text.replace(/source: \{ logGroups/g, `source: { from: ${from}, logGroups`).replace(/^rules:\n/, '') : text;
}

/** Account-regions for `--sources N`: each its own emulator (its own account and region), `default` first. */
const SOURCE_REGIONS = ['us-east-1', 'eu-west-1', 'ap-south-1', 'us-west-2', 'eu-central-1'];
const sourceName = (k) => (k === 0 ? 'default' : `s${k}`);
const sourceAccount = (k) => String(123456789012 + k);

async function ceiling(sourceCount = Number(opt('--sources')) || 1) {
  const groups = Array.from({ length: 15 }, (_, i) => `/bench/ceiling-${i}`);
  // One emulator per source: each stands for one account in one region at its whole Live Tail feed.
  const emulators = [];
  for (let k = 0; k < sourceCount; k++) {
    const emulator = new Emulator({ maxConcurrentSessions: 15, region: SOURCE_REGIONS[k % SOURCE_REGIONS.length], accountId: sourceAccount(k) });
    const endpoint = await emulator.start();
    emulator.ingest(groups.map((g) => ({ logGroup: g, logStream: 's1', timestamp: Date.now() - 60_000, message: 'boot' })));
    emulators.push({ emulator, endpoint });
  }
  const receiver = await startReceiver();
  let config = configText({ endpoint: emulators[0].endpoint, hookUrl: receiver.url });
  let rules = ceilingRules(groups);
  if (sourceCount > 1) {
    const region = (k) => SOURCE_REGIONS[k % SOURCE_REGIONS.length];
    config = config.replace(/^aws: .*$/m, `aws: { region: ${region(0)}, accountId: "${sourceAccount(0)}", endpoint: "${emulators[0].endpoint}" }\nsources:\n${emulators.slice(1).map((e, i) => `  ${sourceName(i + 1)}: { region: ${region(i + 1)}, accountId: "${sourceAccount(i + 1)}", endpoint: "${e.endpoint}" }`).join('\n')}`);
    for (let k = 1; k < sourceCount; k++) rules += ceilingRules(groups, sourceName(k));
  }
  const daemon = await startDaemon({ config, rules });
  const sessions = emulators.reduce((n, e) => n + e.emulator.activeSessionCount(), 0);
  const make = (i) => `{"level":"INFO","status":${i % 50 === 0 ? 503 : 200},"path":"/v1/items/${i}","user":"u-${i % 1000}","latency":${i % 300}}`;
  const feedAll = (seconds) => Promise.all(emulators.map(({ emulator }) => feed(emulator, { groups, perSecond: 500, seconds, make }))).then((n) => n.reduce((a, b) => a + b, 0));
  // Warm up, then measure over the feed.
  await feedAll(3);
  // The warm-up's last events arrive with the next update (one a second): wait for it, or "ingested" counts them.
  await sleep(1500);
  const metricsBefore = await daemon.metrics();
  const s0 = procStats(daemon.child.pid);
  const t0 = Date.now();
  const sent = await feedAll(SECONDS * 2);
  await sleep(1500); // the last update
  const s1 = procStats(daemon.child.pid);
  const wall = (Date.now() - t0) / 1000;
  const metricsAfter = await daemon.metrics();
  const ingested = metricValue(metricsAfter, 'tailwatch_events_total') - metricValue(metricsBefore, 'tailwatch_events_total');
  const row = { sources: sourceCount, sessions, rules: 200 * sourceCount, eventsPerSecond: Math.round(sent / (SECONDS * 2)), sent, ingested, cpuPercent: ((s1.cpu - s0.cpu) / wall) * 100, rssMB: s1.rss / 1e6, heapUsedMB: metricValue(metricsAfter, 'tailwatch_nodejs_heap_size_used_bytes') / 1e6, heapTotalMB: metricValue(metricsAfter, 'tailwatch_nodejs_heap_size_total_bytes') / 1e6, externalMB: metricValue(metricsAfter, 'tailwatch_nodejs_external_memory_bytes') / 1e6 };
  log(`ceiling: ${JSON.stringify(row)}`);
  await daemon.stop();
  await receiver.close();
  for (const { emulator } of emulators) await emulator.stop();
  return row;
}

// ---- 3. sampled seconds, completed ------------------------------------------------

/**
 * 3,000 lines a second into one log group for SECONDS×2 s, one in a hundred an ERROR, a threshold
 * rule matched locally (no server-side pattern: the session streams every line, Live Tail sends 500
 * a second and samples). Each alert is timed from the put of the event that completed its count to
 * the webhook request; FilterLogEvents calls are counted by the emulator.
 */
async function sampledCompletion() {
  const emulator = new Emulator({});
  const endpoint = await emulator.start();
  emulator.ingest([{ logGroup: '/bench/busy', logStream: 's1', timestamp: Date.now() - 60_000, message: 'boot' }]);
  const putAt = new Map();
  const lat = [];
  const receiver = await startReceiver({
    onAlert(alert, at) {
      const last = alert.events[alert.events.length - 1]?.message;
      const p = putAt.get(last);
      if (p !== undefined) lat.push({ ms: at - p, sampled: alert.sampled });
    },
  });
  const daemon = await startDaemon({
    config: configText({ endpoint, hookUrl: receiver.url }),
    rules: `rules:\n  - id: error-burst\n    source: { logGroups: [/bench/busy] }\n    match: { field: message, contains: ERROR }\n    window: { type: threshold, count: 5, within: 1s }\n`,
  });
  const seconds = SECONDS * 2;
  const calls0 = emulator.stats().calls.FilterLogEvents ?? 0;
  const t0 = Date.now();
  const sent = await feed(emulator, {
    groups: ['/bench/busy'],
    perSecond: 3000,
    seconds,
    make: (i) => {
      const m = i % 100 === 0 ? `ERROR upstream timeout ${i}` : `INFO request ${i} ok`;
      if (i % 100 === 0) putAt.set(m, Date.now());
      return m;
    },
  });
  // Completion of the last sampled seconds: delay 10 s, then the queries.
  const deadline = Date.now() + 40_000;
  let settledAt = Date.now();
  let seen = -1;
  while (Date.now() < deadline) {
    if (lat.length !== seen) {
      seen = lat.length;
      settledAt = Date.now();
    } else if (Date.now() - settledAt > 15_000) break;
    await sleep(500);
  }
  const minutes = (Date.now() - t0) / 60_000;
  const calls = (emulator.stats().calls.FilterLogEvents ?? 0) - calls0;
  const text = await daemon.metrics();
  const sorted = lat.map((l) => l.ms).sort((a, b) => a - b);
  const row = {
    eventsPerSecond: Math.round(sent / seconds),
    seconds,
    alerts: lat.length,
    sampledAlerts: lat.filter((l) => l.sampled).length,
    sampledUpdates: metricValue(text, 'tailwatch_sampled_updates_total'),
    completedEvents: metricValue(text, 'tailwatch_completed_events_total'),
    abandoned: metricValue(text, 'tailwatch_completions_abandoned_total'),
    filterCallsPerMinute: Math.round(calls / minutes),
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1],
  };
  log(`sampled: ${JSON.stringify(row)}`);
  await daemon.stop();
  await receiver.close();
  await emulator.stop();
  return row;
}

// ---- 4. soak ------------------------------------------------------------------------

async function soak() {
  const groups = ['/bench/soak-a', '/bench/soak-b', '/bench/soak-c'];
  const emulator = new Emulator({ sessionTimeoutMs: 5_000 });
  const endpoint = await emulator.start();
  emulator.ingest(groups.map((g) => ({ logGroup: g, logStream: 's1', timestamp: Date.now() - 60_000, message: 'boot' })));
  const receiver = await startReceiver({ failRate: 0.1 });
  const rules = ['rules:', ...groups.map((g, i) => `  - id: soak-${i}\n    source: { logGroups: [${g}], filterPattern: '{ $.n = * }' }`)].join('\n') + '\n';
  const daemon = await startDaemon({ config: configText({ endpoint, hookUrl: receiver.url, sessions: ', rotateAfter: 4s' }), rules });
  const perSecond = 50;
  const seconds = SOAK_EVENTS / groups.length / perSecond;
  await sleep(2000);
  const rssStart = procStats(daemon.child.pid).rss;
  const memStart = memoryOf(await daemon.metrics());
  let dropping = true;
  let drops = 0;
  (async () => {
    while (dropping) {
      await sleep(1000 + Math.random() * 2000);
      if (!dropping) break;
      const active = emulator.sessions();
      if (active.length === 0) continue;
      const victim = active[Math.floor(Math.random() * active.length)];
      emulator.injectFault({ type: Math.random() < 0.5 ? 'drop' : 'streaming-exception', sessionId: victim.sessionId ?? victim.id });
      drops++;
    }
  })();
  const sent = await feed(emulator, { groups, perSecond, seconds, make: (i, g) => `{"n":${i},"g":"${g}"}` });
  dropping = false;
  const deadline = Date.now() + 60_000;
  while (receiver.ids.size < sent && Date.now() < deadline) await sleep(200);
  await sleep(2000); // duplicates that are still on their way
  const rssEnd = procStats(daemon.child.pid).rss;
  const text = await daemon.metrics();
  const restarts = {};
  for (const m of text.matchAll(/^tailwatch_session_restarts_total\{[^}]*reason="([^"]+)"[^}]*\} (\d+)/gm)) restarts[m[1]] = (restarts[m[1]] ?? 0) + Number(m[2]);
  const duplicates = [...receiver.ids.values()].reduce((n, c) => n + (c - 1), 0);
  const row = {
    seconds: Math.round(seconds),
    eventsIn: sent,
    alertsExpected: sent,
    alertsReceived: receiver.ids.size,
    duplicates,
    requestsFailedByReceiver: receiver.failed,
    faultsInjected: drops,
    restarts,
    backfilled: metricValue(text, 'tailwatch_backfilled_events_total'),
    rssStartMB: rssStart / 1e6,
    rssEndMB: rssEnd / 1e6,
    // Where the growth is: V8's heap (used, reserved) or buffers outside it.
    memoryMB: { start: memStart, end: memoryOf(text) },
  };
  log(`soak: ${JSON.stringify(row)}`);
  await daemon.stop();
  await receiver.close();
  await emulator.stop();
  return row;
}

// ---- run, report -------------------------------------------------------------------

// `--only ceiling` (or latency, soak): one part alone, for profiling; prints its JSON, writes nothing.
const only = opt('--only');
if (only) {
  const parts = { latency, ceiling, sampled: sampledCompletion, soak };
  if (!parts[only]) throw new Error(`--only takes one of ${Object.keys(parts).join(', ')}`);
  console.log(JSON.stringify(await parts[only]()));
  process.exit(0);
}
const lat = await latency();
const ceil = await ceiling();
const smp = await sampledCompletion();
const sk = await soak();

const ok = (b) => (b ? '✓' : '✗');
const mb = (n) => `${n.toFixed(1)} MB`;
const growth = (sk.rssEndMB - sk.rssStartMB) / sk.rssStartMB;
const section = `## The daemon

\`tailwatch run\` as a child process, the real AWS SDK against the bundled emulator, a local webhook receiver; Node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), ${new Date().toISOString().slice(0, 10)}. Reproduce: \`npm run build && node bench/daemon.mjs --write\` (part of \`npm run bench\`). The machine is shared: numbers are of one run.

Latency: the emulator's sessionUpdate frame handed to the socket → the alert's webhook request received (one rule, no window, throttle 0s: every event is one alert, outbox included), ${SECONDS} s at each rate. A rule decides an event once its sessions' watermark passes it, and the watermark trails the stream by \`sessions.grace\`: an event is held for the grace plus up to one Live Tail update (1 s), then decided, stored and sent. Goal: p99 ≤ grace + 1 s + 50 ms. 450 events/s rather than 500: beyond 500 an update is sampled, and its interval is completed 10 s later (see the sampled table below).

| grace | events/s | alerts | p50 | p99 | max | goal |
|---:|---:|---:|---:|---:|---:|---|
${lat.map((r) => `| ${r.grace} | ${r.rate} | ${r.received} / ${r.sent} | ${r.p50} ms | ${r.p99} ms | ${r.max} ms | ${ok(r.p99 <= (r.grace === '1s' ? 2050 : 6050))} |`).join('\n')}

Throughput at the source ceiling: ${ceil.sessions} Live Tail sessions × 500 events/s (${ceil.eventsPerSecond} events/s, the whole feed an account's default quota allows) through ${ceil.rules} rules for ${SECONDS * 2} s after a 3 s warm-up; the engine ingested ${ceil.ingested} of ${ceil.sent} events.

| CPU (% of one core) | RSS | goal |
|---:|---:|---|
| ${ceil.cpuPercent.toFixed(1)} % | ${mb(ceil.rssMB)} | < 10 % CPU ${ok(ceil.cpuPercent < 10)}, RSS ≤ 100 MB ${ok(ceil.rssMB <= 100)} |

Sampled seconds, completed: ${smp.eventsPerSecond} lines a second into one log group for ${smp.seconds} s (one in a hundred an ERROR), a threshold rule matched locally so the session streams every line and Live Tail samples (${smp.sampledUpdates} sampled updates); \`sessions.completion.delay\` 10 s (default), \`aws.filterLogEventsPerSecond\` 5. Latency: the put of the event that completed a count → the alert's webhook request. Goal: p99 ≤ completion delay + grace + 2 s (17 s).

| alerts | sampled alerts | events completion added | intervals given up | FilterLogEvents calls/min | p50 | p99 | max | goal |
|---:|---:|---:|---:|---:|---:|---:|---:|---|
| ${smp.alerts} | ${smp.sampledAlerts} | ${smp.completedEvents} | ${smp.abandoned} | ${smp.filterCallsPerMinute} | ${smp.p50} ms | ${smp.p99} ms | ${smp.max} ms | ${ok(smp.p99 <= 17_000)} |

Soak, a compressed day (${sk.seconds} s): sessions rotated every 4 s and timed out by the server after 5 s, ${sk.faultsInjected} connections dropped or broken at random, the receiver failing 10 % of requests (${sk.requestsFailedByReceiver}), backfill on; every event alerts once.

| events in | alerts expected | alerts received (distinct) | duplicates | restarts by reason | backfilled | RSS after warm-up → end |
|---:|---:|---:|---:|---|---:|---|
| ${sk.eventsIn} | ${sk.alertsExpected} | ${sk.alertsReceived} ${ok(sk.alertsReceived === sk.alertsExpected)} | ${sk.duplicates} | ${Object.entries(sk.restarts).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'} | ${sk.backfilled} | ${mb(sk.rssStartMB)} → ${mb(sk.rssEndMB)} (${(growth * 100).toFixed(1)} %) ${ok(growth <= 0.1)} |
`;
console.log(JSON.stringify({ latency: lat, ceiling: ceil, soak: sk }));
if (args.includes('--write')) writeReadmeSection(section);
