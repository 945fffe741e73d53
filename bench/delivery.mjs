// The delivery stage alone: bursts of alerts handed to the outbox sink as the daemon hands them
// (one enqueueMany per Live Tail update) → each alert's webhook request received. No engine, no
// Live Tail, no grace: what bench/daemon.mjs's latency is made of once an update's alerts are decided.
// The receiver runs in a worker thread (its own event loop, as a real receiver's).
//
// Usage: npm run build && node bench/delivery.mjs [--bursts N] [--sizes 100,450]
//   profile: node --cpu-prof --cpu-prof-dir=/tmp/prof bench/delivery.mjs
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const BURSTS = Number(opt('--bursts')) || 10;
const SIZES = (opt('--sizes') ?? '100,450').split(',').map(Number);
const { createOutboxSink } = await import(path.join(repo, 'dist/notify/index.js'));
const { pino } = await import('pino');

const receiverCode = `
const http = require('node:http');
const { parentPort } = require('node:worker_threads');
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const at = Date.now();
    parentPort.postMessage({ id: req.headers['x-tailwatch-delivery'], at });
    res.writeHead(200).end('ok');
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
`;
const worker = new Worker(receiverCode, { eval: true });
const port = await new Promise((ok) => worker.once('message', (m) => ok(m.port)));
const received = new Map();
let waiting;
worker.on('message', (m) => {
  received.set(m.id, m.at);
  waiting?.();
});

let seq = 0;
function alert() {
  const id = createHash('md5').update(`bench-${seq++}-${process.pid}`).digest('hex');
  return {
    version: 1,
    kind: 'firing',
    id,
    firedAt: new Date().toISOString(),
    rule: { id: 'every-error', description: '', severity: 'error', labels: {} },
    group: {},
    count: 1,
    window: '',
    firstEventAt: new Date().toISOString(),
    lastEventAt: new Date().toISOString(),
    suppressed: 0,
    sampled: false,
    title: 'every-error',
    text: 'every-error',
    events: [{ timestamp: Date.now(), logGroup: '/bench/latency', logStream: 's1', message: `{"level":"ERROR","seq":${seq}}` }],
    links: { console: 'https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logsV2:log-groups/log-group/$252Fbench$252Flatency' },
  };
}

const sink = createOutboxSink({
  stateDir: mkdtempSync(path.join(os.tmpdir(), 'tw-bench-delivery-')),
  destinations: { hook: { type: 'webhook', url: `http://127.0.0.1:${port}/hook`, headers: {} } },
  delivery: { retryInitialMs: 100, retryMaxMs: 1_000, maxAgeMs: 86_400_000, timeoutMs: 10_000, maxQueued: 10_000 },
  // The daemon's delivery logger: JSON lines at info (nothing per delivered alert), to /dev/null here.
  logger: pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: true })),
});
sink.start();

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const rows = [];
for (const size of SIZES) {
  const lat = [];
  let cpu0 = process.cpuUsage();
  for (let b = -1; b < BURSTS; b++) {
    const batch = Array.from({ length: size }, () => ({ alert: alert(), destinations: ['hook'] }));
    const t0 = Date.now();
    sink.enqueueMany(batch);
    await new Promise((ok) => {
      waiting = () => batch.every((r) => received.has(r.alert.id)) && ok();
      waiting();
    });
    // Burst -1 warms up (JIT, the first connections), not counted.
    if (b >= 0) for (const r of batch) lat.push(received.get(r.alert.id) - t0);
    await new Promise((ok) => setTimeout(ok, Math.max(0, 1_000 - (Date.now() - t0))));
    if (b === -1) cpu0 = process.cpuUsage();
  }
  const cpu = process.cpuUsage(cpu0);
  lat.sort((a, b) => a - b);
  const row = { alertsPerBurst: size, bursts: BURSTS, p50: pct(lat, 50), p99: pct(lat, 99), max: lat.at(-1), cpuMsPerAlert: +((cpu.user + cpu.system) / 1000 / (size * BURSTS)).toFixed(3) };
  rows.push(row);
  process.stderr.write(`${JSON.stringify(row)}\n`);
}
await sink.close(1_000);
await worker.terminate();
console.log(JSON.stringify(rows));
