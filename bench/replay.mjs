// Engine and `tailwatch replay` throughput, and engine memory under group churn.
//
//  1. Throughput: 100 rules over 1M recorded events, two workloads:
//     - mixed (the realistic one): 20 log groups, 10 of services logging JSON
//       (JSON filter patterns, match trees, groupBy $.user.id) and 10 logging
//       text (access logs and key=value app lines: terms, space-delimited and
//       regex patterns); 5 rules per log group: threshold,
//       no window, spike, absence (+resolve), threshold with a match tree.
//     - json: all 20 log groups log JSON with the JSON rules — every event
//       needs its message parsed, so this one is bounded by JSON.parse; its
//       floor (JSON.parse of every message alone) is measured next to it.
//     Each is timed for the engine alone (events parsed in advance) and for
//     the whole command `tailwatch replay --input FILE` run in-process
//     (reading, parsing lines, engine, writing alerts to /dev/null).
//     Rates use the CPU time (user+sys) of the measuring process, pinned to one
//     core with taskset when available: the machine is shared and wall time
//     mostly measures the neighbours. Wall times are printed too.
//     Goal: ≥ 300k events/s. A third measurement is replay's floor: reading,
//     splitting and JSON.parse of every record and JSON message, no rules.
//  2. Memory: 1M events with 1M distinct group keys through one threshold
//     rule with maxGroups 10000; heap after a forced GC every 100k events.
//
// Usage: npm run build && node bench/replay.mjs [--events N] [--write] [--keep]
// (`--write` replaces the "Engine and replay" section of bench/README.md.)
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeReadmeSection } from './readme-section.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const EVENTS = Number(opt('--events')) || 1_000_000;
// Best of 5: the minimum estimates the cost itself; on this shared VM one run in three or four is slowed by up to 2×.
const RUNS = 5;
const GOAL = 300_000;
const GROUPS = 20;
const pin = existsSync('/usr/bin/taskset') ? ['taskset', '-c', '0'] : [];


// ---- workload ---------------------------------------------------------------

function rng(seed) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

const lgName = (g) => `/svc/s${String(g).padStart(2, '0')}`;
const isJsonGroup = (workload, g) => workload === 'json' || g < GROUPS / 2;

function jsonRules(lg, g) {
  return `
  - id: s${g}-5xx-burst
    source: { logGroups: [${lg}], filterPattern: '{ $.status >= 500 }' }
    match: { field: $.path, regex: '^/v1/' }
    window: { type: threshold, count: 20, within: 5m, groupBy: [$.user.id] }
    title: "{{count}} 5xx for {{group.user.id}}"
  - id: s${g}-fatal
    source: { logGroups: [${lg}], filterPattern: '?FATAL ?panic' }
    throttle: 0s
  - id: s${g}-error-spike
    source: { logGroups: [${lg}], filterPattern: '{ $.level = "ERROR" }' }
    window: { type: spike, factor: 3, minCount: 50, within: 5m }
  - id: s${g}-cache-silent
    source: { logGroups: [${lg}], filterPattern: '"cache miss"' }
    window: { type: absence, within: 1m, groupBy: [$.method] }
    resolve: true
  - id: s${g}-slow
    source: { logGroups: [${lg}], filterPattern: '{ $.latency_ms > 2500 }' }
    match:
      all:
        - { field: $.path, startsWith: /v1 }
        - not: { field: $.method, equals: OPTIONS }
    window: { type: threshold, count: 100, within: 1m }
    resolve: true
`;
}

function textRules(lg, g) {
  return `
  - id: s${g}-checkout-5xx
    source: { logGroups: [${lg}], filterPattern: '[ip, user, username, timestamp, request = "*checkout*", status_code = 5*, bytes, latency]' }
    window: { type: threshold, count: 20, within: 5m }
  - id: s${g}-fatal
    source: { logGroups: [${lg}], filterPattern: '?FATAL ?panic' }
    throttle: 0s
  - id: s${g}-error-spike
    source: { logGroups: [${lg}], filterPattern: 'ERROR -retrying' }
    window: { type: spike, factor: 3, minCount: 50, within: 5m }
  - id: s${g}-cache-silent
    source: { logGroups: [${lg}], filterPattern: '"cache miss"' }
    window: { type: absence, within: 1m }
    resolve: true
  - id: s${g}-slow
    source: { logGroups: [${lg}], filterPattern: '%latency_ms=[0-9]{4}%' }
    match: { field: message, contains: 'path=/v1' }
    window: { type: threshold, count: 100, within: 1m }
    resolve: true
`;
}

function rulesYaml(workload) {
  let y = 'rules:\n';
  for (let g = 0; g < GROUPS; g++) y += isJsonGroup(workload, g) ? jsonRules(lgName(g), g) : textRules(lgName(g), g);
  return y;
}

async function generate(file, workload) {
  const rand = rng(42);
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  const paths = ['/v1/charges', '/v1/refunds', '/v1/customers/42', '/v1/orders', '/healthz', '/v2/payments/intents', '/checkout/pay'];
  const messages = ['request completed', 'cache miss', 'upstream call', 'connection reset by peer', 'retrying', 'request completed'];
  const out = createWriteStream(file);
  let t = Date.parse('2026-11-28T00:00:00Z');
  let batch = '';
  for (let i = 0; i < EVENTS; i++) {
    t += Math.floor(rand() * 4);
    const r = rand();
    const level = r < 0.02 ? 'ERROR' : r < 0.07 ? 'WARN' : r < 0.2 ? 'DEBUG' : 'INFO';
    const status = level === 'ERROR' ? pick([500, 502, 503, 504]) : rand() < 0.1 ? pick([400, 401, 404, 429]) : pick([200, 200, 201, 204]);
    const latency = Math.floor(rand() ** 3 * 3000);
    const msg = level === 'ERROR' ? pick(['timeout calling ledger', 'connection reset by peer', 'database unavailable']) : pick(messages);
    const method = pick(['GET', 'POST']);
    const p = pick(paths);
    const user = `u-${Math.floor(rand() * 5000)}`;
    const g = Math.floor(rand() * GROUPS);
    const stream = `api-${Math.floor(rand() * 4)}`;
    let message;
    if (isJsonGroup(workload, g)) {
      message = `{"time":"${new Date(t).toISOString()}","level":"${level}","service":"payments","requestId":"req-${(i * 7919).toString(36)}","method":"${method}","path":"${p}","status":${status},"latency_ms":${latency},"user":{"id":"${user}"},"msg":"${msg}"}`;
    } else if (rand() < 0.5) {
      message = `10.0.${Math.floor(rand() * 255)}.${Math.floor(rand() * 255)} - ${user} [28/Nov/2026:00:00:00 +0000] "${method} ${p} HTTP/1.1" ${status} ${Math.floor(rand() * 5000)} ${latency}`;
    } else {
      message = `${new Date(t).toISOString()} ${level} ${msg} method=${method} path=${p} status=${status} latency_ms=${latency} user=${user} req=${(i * 7919).toString(36)}`;
    }
    batch += `{"timestamp":${t},"logGroup":"${lgName(g)}","logStream":"${stream}","message":${JSON.stringify(message)}}\n`;
    if (batch.length > 1 << 20) {
      if (!out.write(batch)) await new Promise((r) => out.once('drain', r));
      batch = '';
    }
  }
  out.write(batch);
  await new Promise((r) => out.end(r));
}

// ---- children (each measurement in its own process and heap) ---------------

function cpuSeconds(from) {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1e6;
}

function readEvents(dir) {
  return readFileSync(path.join(dir, 'events.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const o = JSON.parse(l);
      return { timestamp: o.timestamp, logGroup: o.logGroup, logStream: o.logStream, message: o.message };
    });
}

async function childEngine(dir) {
  const { Engine } = await import(path.join(repo, 'dist/engine/index.js'));
  const { loadProject } = await import(path.join(repo, 'dist/config/load.js'));
  const { ruleSet } = await loadProject({ configPath: path.join(dir, 'tailwatch.yaml'), configRequired: false, env: {}, cwd: dir });
  const events = readEvents(dir);
  let best = { cpu: Infinity, wall: Infinity };
  let alerts = 0;
  for (let run = 0; run < RUNS; run++) {
    const engine = new Engine({ rules: ruleSet });
    alerts = 0;
    const cpu0 = process.cpuUsage();
    const wall0 = process.hrtime.bigint();
    for (const e of events) alerts += engine.ingest(e).length;
    alerts += engine.advanceTo(engine.clock).length;
    const cpu = cpuSeconds(cpu0);
    if (cpu < best.cpu) best = { cpu, wall: Number(process.hrtime.bigint() - wall0) / 1e9 };
  }
  console.log(JSON.stringify({ rules: ruleSet.rules.length, events: events.length, ...best, alerts }));
}

async function childParse(dir) {
  const events = readEvents(dir);
  let best = Infinity;
  for (let run = 0; run < RUNS; run++) {
    const cpu0 = process.cpuUsage();
    let n = 0;
    for (const e of events) if (e.message.charCodeAt(0) === 123) n += JSON.parse(e.message) ? 1 : 0;
    best = Math.min(best, cpuSeconds(cpu0));
  }
  console.log(JSON.stringify({ cpu: best }));
}

// The floor of `tailwatch replay` with no rules at all: reading the file as replay does (1 MiB
// chunks, lines split), JSON.parse of each recorded event, and JSON.parse of each JSON message
// (the one parse the engine does per JSON event). Whatever the engine does comes on top.
async function childFloor(dir) {
  const { createReadStream } = await import('node:fs');
  const file = path.join(dir, 'events.jsonl');
  let best = Infinity;
  for (let run = 0; run < RUNS; run++) {
    const cpu0 = process.cpuUsage();
    let n = 0;
    let rest = '';
    for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
      let start = 0;
      let text = chunk;
      if (rest !== '') {
        const nl = chunk.indexOf('\n');
        if (nl < 0) { rest += chunk; continue; }
        const o = JSON.parse(rest + chunk.slice(0, nl));
        if (o.message.charCodeAt(0) === 123) n += JSON.parse(o.message) ? 1 : 0;
        start = nl + 1;
        rest = '';
      }
      for (;;) {
        const nl = text.indexOf('\n', start);
        if (nl < 0) break;
        const o = JSON.parse(text.slice(start, nl));
        if (o.message.charCodeAt(0) === 123) n += JSON.parse(o.message) ? 1 : 0;
        start = nl + 1;
      }
      rest = text.slice(start);
    }
    best = Math.min(best, cpuSeconds(cpu0));
  }
  console.log(JSON.stringify({ cpu: best }));
}

async function childReplay(dir) {
  const { main } = await import(path.join(repo, 'dist/cli/main.js'));
  const { Readable } = await import('node:stream');
  const file = path.join(dir, 'events.jsonl');
  let best = { cpu: Infinity, wall: Infinity };
  let lines = 0;
  for (let run = 0; run < RUNS; run++) {
    const out = createWriteStream(path.join(dir, 'alerts.jsonl'));
    const cpu0 = process.cpuUsage();
    const wall0 = process.hrtime.bigint();
    const code = await main(['replay', '--input', file], { stdout: out, stderr: process.stderr, stdin: Readable.from(['']), cwd: dir, env: {} });
    await new Promise((r) => out.end(r));
    const cpu = cpuSeconds(cpu0);
    if (code !== 0) throw new Error(`replay exited ${code}`);
    if (cpu < best.cpu) best = { cpu, wall: Number(process.hrtime.bigint() - wall0) / 1e9 };
    lines = readFileSync(path.join(dir, 'alerts.jsonl'), 'utf8').split('\n').filter(Boolean).length;
  }
  console.log(JSON.stringify({ ...best, alerts: lines }));
}

async function childMemory() {
  const { Engine } = await import(path.join(repo, 'dist/engine/index.js'));
  const rule = {
    id: 'churn', description: '', enabled: true, severity: 'warning', labels: {},
    source: { logGroups: ['/svc/churn'] },
    window: { type: 'threshold', count: 1_000_000, withinMs: 3_600_000, groupBy: ['$.k'], maxGroups: 10_000 },
    throttleMs: 0, resolve: true, notify: [], title: '', message: '', pos: { file: 'bench', line: 1, col: 1 },
  };
  const engine = new Engine({ rules: [rule] });
  const samples = [];
  const t0 = Date.parse('2026-11-28T00:00:00Z');
  const cpu0 = process.cpuUsage();
  for (let i = 1; i <= EVENTS; i++) {
    engine.ingest({ timestamp: t0 + i, logGroup: '/svc/churn', logStream: 'a', message: `{"k":"key-${i}","n":${i}}` });
    if (i % (EVENTS / 10) === 0) {
      global.gc();
      samples.push(process.memoryUsage().heapUsed / 2 ** 20);
    }
  }
  const cpu = cpuSeconds(cpu0);
  console.log(JSON.stringify({ samples, cpu, evicted: engine.counters.forRule('churn').evictedGroups, groups: engine.exportState().rules[0].groups.length }));
}

function runNode(argv) {
  const cmd = [...pin, process.execPath, ...argv];
  const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

// Where the goal stands; from A/B runs against the previous build and `node --cpu-prof` of `tailwatch replay` (1M events, pinned, 2026-12-01).
const NOTE = `Where the goal stands (read with the table; CPU times on a shared, noisy machine vary by ±15% between runs, and by up to 2× while neighbours benchmark too):
- Engine alone: met on both workloads, now with a wide margin.
- \`tailwatch replay\` end to end: mixed met on this machine at its normal speed (and in the table), not in the runs where the VM ran at half speed; all JSON at 0.7–1.13× of the goal, bound by reading the records (its floor without rules is about 300k). The floor rows parse every JSON message, which replay now mostly skips, so end to end can beat them (mixed). The whole bench, the previous build and this one run alternately (1M events, best of 3, pinned; three pairs, from a busy to a quiet machine): mixed 309k, 234k, 338k → 357k, 369k, 395k events/s (407k in the best run); all JSON 233k, 229k, 248k → 259k, 277k, 262k (338k in the best run), i.e. 0.86–1.13× of the goal. In-process A/B runs on 300k events point the same way (mixed +25–35%, all JSON +35–50%, machine loaded). All JSON is close to replay's own floor now: reading, splitting and \`JSON.parse\` of each record take about 1.3–1.7 µs an event (the floor minus the message parse), about half of it \`JSON.parse\` unescaping the message string, and the engine adds about 1.5–1.8 µs (engine alone 490–670k events/s), where 3.33 µs in all is the goal.
- After merging with grep's nested JSON projection (the same src/filter parts carry both prefilters), six whole runs of this bench on the merged tree within 20 minutes: mixed 387k, 233k, 295k, 216k, 294k events/s (best of 3 each) and 348k (best of 5, the table); all JSON 285k, 285k, 270k, 241k, 206k, 231k. Engine alone and the floor slowed by the same factor in the slow runs (engine alone on mixed 981k in the first, 491k–555k in the slow ones): the machine, not the code. Hence best of 5 now.
- What gained: (1) JSON filter patterns have a sound raw-text prefilter (\`src/filter/json-prefilter.ts\`): in a message without a backslash every quote delimits a string, so when no value token after a \`"key":\` satisfies a comparison, the comparison is false, and the message is not parsed at all. With (3), under a tenth of the JSON events of these workloads are still parsed (before: all of them). (2) A space-delimited pattern checks the message for the literal an \`=\` string condition requires (\`checkout\` in \`request = "*checkout*"\`) before splitting words. (3) \`$.key\` groupBy and match fields on messages nothing parsed are read by a validating scan (\`src/filter/json-scan.ts\`, exactly \`parseJsonMessage\` then \`$.key\`) instead of \`JSON.parse\`. (4) The backslash check is done once per event. Each is property-tested against the full evaluation.
- Profile of replay end to end now (self time): mixed — \`JSON.parse\` of the record (\`parseEventLine\`) 30%, \`Engine.ingest\` 10%, GC 4.5%, the replay line loop 4%, JSON prefilters 5%, message parse 3%, term tests 4%; all JSON — record parse 32%, \`ingest\` 11%, JSON prefilters 9%, message parse 4%, \`$.key\` scans 3%, GC 4%. The record parse is the bound now: about 1 µs a record, half of it \`JSON.parse\` unescaping the message string.
- Tried and measured, no gain: a hand-written parser for the common record shape (\`{"timestamp":…,"logGroup":…,"logStream":…,"message":"…"}\`, the message still decoded by \`JSON.parse\`; reading the header by hand cost about what \`JSON.parse\` of the whole line does), also with escape-free messages taken as slices without any decoding; unescaping \`\\"\` with \`replaceAll\` (4× slower than \`JSON.parse\` of the string literal); parsing a chunk's records as one JSON array; projecting JSON messages onto the pattern keys before parsing them (superseded by the prefilter, which needs no parse to say no).
- Left: per-event overhead in \`Engine.ingest\` (routing, counters, timers; ~10%); the JSON prefilters' key searches (\`indexOf\` per rule and event) could share one pass per log group.`;

// ---- main -------------------------------------------------------------------

async function main() {
  const self = fileURLToPath(import.meta.url);
  const results = {};
  for (const workload of ['mixed', 'json']) {
    const dir = mkdtempSync(path.join(os.tmpdir(), `tw-bench-replay-${workload}-`));
    try {
      mkdirSync(path.join(dir, 'rules'));
      writeFileSync(path.join(dir, 'rules', 'bench.yaml'), rulesYaml(workload));
      process.stderr.write(`${workload}: generating ${EVENTS} events…\n`);
      await generate(path.join(dir, 'events.jsonl'), workload);
      process.stderr.write(`${workload}: engine alone…\n`);
      const engine = runNode([self, '--child-engine', dir]);
      process.stderr.write(`${workload}: tailwatch replay…\n`);
      const replay = runNode([self, '--child-replay', dir]);
      if (replay.alerts !== engine.alerts) throw new Error(`replay printed ${replay.alerts} alerts, the engine decided ${engine.alerts}`);
      const parse = runNode([self, '--child-parse', dir]);
      const floor = runNode([self, '--child-floor', dir]);
      results[workload] = { engine, replay, parse, floor };
    } finally {
      if (args.includes('--keep')) process.stderr.write(`kept ${dir}\n`);
      else rmSync(dir, { recursive: true, force: true });
    }
  }
  process.stderr.write('memory under group churn…\n');
  const mem = runNode(['--expose-gc', self, '--child-memory', '--events', String(EVENTS)]);

  const rate = (s) => Math.round(EVENTS / s);
  const fmt = (n) => n.toLocaleString('en');
  const row = (what, r) => `| ${what} | ${r.cpu.toFixed(2)} s | ${r.wall.toFixed(2)} s | ${fmt(rate(r.cpu))} | ${(rate(r.cpu) / GOAL).toFixed(2)}× |`;
  const lines = [
    `Node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'}, ${pin.length ? 'pinned to one core (taskset -c 0)' : 'not pinned'}; ${fmt(EVENTS)} events, 100 rules, best of ${RUNS} runs; events/s from CPU time (the machine is shared; wall time shown too). Goal: ${fmt(GOAL)} events/s on one core. Reproduce: \`npm run build && node bench/replay.mjs --write\`.`,
    '',
    '| workload / measurement | CPU | wall | events/s (CPU) | vs goal |',
    '|---|---:|---:|---:|---:|',
  ];
  for (const [w, r] of Object.entries(results)) {
    const label = w === 'mixed' ? 'mixed (10 JSON + 10 text log groups)' : 'all JSON (20 JSON log groups)';
    lines.push(row(`${label}: engine alone`, r.engine));
    lines.push(row(`${label}: \`tailwatch replay\` end to end`, r.replay));
    lines.push(`| ${label}: JSON.parse of each JSON message alone (floor) | ${r.parse.cpu.toFixed(2)} s | | ${fmt(rate(r.parse.cpu))} | |`);
    lines.push(`| ${label}: replay's floor without rules (read, split, JSON.parse of each record and each JSON message) | ${r.floor.cpu.toFixed(2)} s | | ${fmt(rate(r.floor.cpu))} | ${(rate(r.floor.cpu) / GOAL).toFixed(2)}× |`);
  }
  lines.push(
    '',
    `Alerts decided: mixed ${results.mixed.engine.alerts}, all JSON ${results.json.engine.alerts} (replay printed the same number). Each event is routed by log group to the 5 rules of its group; a JSON message is parsed once, when the first rule needs it.`,
    '',
    `Memory, ${fmt(EVENTS)} events with ${fmt(EVENTS)} distinct group keys through one threshold rule with maxGroups 10000, heap after a forced GC every ${fmt(EVENTS / 10)} events: ` +
      `${mem.samples.map((h) => h.toFixed(1)).join(', ')} MB (min ${Math.min(...mem.samples).toFixed(1)}, max ${Math.max(...mem.samples).toFixed(1)}); ${fmt(mem.groups)} live groups, ${fmt(mem.evicted)} evicted; ${fmt(rate(mem.cpu))} events/s CPU including the forced GCs.`,
  );
  lines.push('', NOTE);
  const report = lines.join('\n');
  console.log(report);
  if (args.includes('--write')) writeSection(report);
}

function writeSection(body) {
  writeReadmeSection(`## Engine and replay\n\n${body}\n`);
}

// Dispatch last: the child modes run in separate processes so each measurement has its own heap.
if (args[0] === '--child-engine') await childEngine(args[1]);
else if (args[0] === '--child-replay') await childReplay(args[1]);
else if (args[0] === '--child-parse') await childParse(args[1]);
else if (args[0] === '--child-floor') await childFloor(args[1]);
else if (args[0] === '--child-memory') await childMemory();
else await main();
