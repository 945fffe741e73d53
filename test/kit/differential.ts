/**
 * The differential test of the central invariant, live = replay: for the same
 * log events, `tailwatch run` sends exactly the alerts (ids included) that
 * `tailwatch replay --input events.jsonl --until T` prints, whatever restarts,
 * reloads, stream faults and session layouts happen.
 *
 * Four steps, one function each:
 *   generateScenario(seed)  config, rules, events and disturbances from a seed (no Math.random)
 *   runLive(scenario)       the daemon as a child process against the in-process emulator,
 *                           events put in real time (and recorded to events.jsonl), disturbances
 *                           at their moments; returns what the receiver got (deduplicated by
 *                           X-Tailwatch-Delivery, as a real receiver would)
 *   runReplay(live)         `node bin/tailwatch.js replay -c … --input events.jsonl --until T`
 *   compareAlerts(…)        the multisets of payloads with firedAt ≤ T; a readable diff or undefined
 * `runDifferential(seed)` runs the four and says what differed.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startDaemon, type DaemonProcess } from './daemon.js';
import { startEmulator } from './emulator.js';
import { startReceiver } from './receiver.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/tailwatch.js');

// ---------------------------------------------------------------------------
// A seeded PRNG

/** mulberry32: a tiny 32-bit PRNG, [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  float(): number {
    return this.next();
  }
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  /** Picks by weight: [[value, weight], …]. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((s, [, w]) => s + w, 0);
    let x = this.next() * total;
    for (const [v, w] of items) if ((x -= w) < 0) return v;
    return items[items.length - 1]![0];
  }
  /** `k` distinct items, in their original order. */
  sample<T>(items: readonly T[], k: number): T[] {
    const idx = items.map((_, i) => i);
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    }
    return idx
      .slice(0, k)
      .sort((a, b) => a - b)
      .map((i) => items[i]!);
  }
}

// ---------------------------------------------------------------------------
// Scenarios

export interface GenWindow {
  readonly type: 'threshold' | 'absence' | 'spike';
  readonly withinMs: number;
  /** threshold: 2–4; absence: 1–2 */
  readonly count?: number;
  readonly factor?: number;
  readonly minCount?: number;
  readonly groupBy?: readonly string[];
}

export interface GenRule {
  readonly id: string;
  readonly logGroups: readonly string[];
  /** '' = no pattern. */
  readonly filterPattern: string;
  readonly window?: GenWindow;
  /** Undefined: the config default. */
  readonly throttleMs?: number;
  readonly resolve: boolean;
  /** Polled (`feed: { poll, lag }`) instead of live. */
  readonly feed?: { readonly pollMs: number; readonly lagMs: number } | undefined;
  /** `source.from` (the two-source variant): its log groups are in that source's region. */
  readonly from?: string | undefined;
}

export interface GenEvent {
  /** Offset from the start of the feed. */
  readonly atMs: number;
  readonly logGroup: string;
  readonly logStream: string;
  readonly message: string;
}

export type Disturbance =
  | { readonly atMs: number; readonly kind: 'kill9'; readonly downMs: number }
  | { readonly atMs: number; readonly kind: 'hup' }
  /** A rule that matches nothing but changes the session layout (its alerts are not compared). */
  | { readonly atMs: number; readonly kind: 'hup-layout'; readonly rule: GenRule }
  /** The live streams break: dropped, or their next update cut, corrupted, reset mid-frame, or an error frame. */
  | { readonly atMs: number; readonly kind: 'drop'; readonly how: StreamBreak }
  | { readonly atMs: number; readonly kind: 'timeout' };

export type StreamBreak = 'drop' | 'truncated-frame' | 'bad-crc' | 'reset-mid-frame' | 'error-frame';
/** Picked by the moment, not the rng: seeds generate the same scenarios as before these existed. */
const STREAM_BREAKS: readonly StreamBreak[] = ['drop', 'truncated-frame', 'bad-crc', 'reset-mid-frame', 'error-frame'];

export interface Scenario {
  readonly seed: number;
  readonly strategy: 'precise' | 'economical' | 'adaptive';
  readonly maxConcurrent: number;
  /** `defaults.throttle`. */
  readonly throttleMs: number;
  /** The emulator's session timeout; undefined = its default (3 h). */
  readonly sessionTimeoutMs: number | undefined;
  /** The emulator's FilterLogEvents ingestion delay (0: none). */
  readonly ingestionDelayMs: number;
  readonly groups: readonly string[];
  readonly rules: readonly GenRule[];
  readonly events: readonly GenEvent[];
  readonly disturbances: readonly Disturbance[];
  /** The two-source variant: these log groups live in a second source's region (same emulator, same account). */
  readonly second?: { readonly source: string; readonly region: string; readonly groups: readonly string[] } | undefined;
}

/** The second source of the two-source variant: `/diff/b` lives in eu-west-1, watched through source `eu`. */
const SECOND = { source: 'eu', region: 'eu-west-1', groups: ['/diff/b'] } as const;

/** The region a log group of the scenario is in (the emulator's default region, or the second source's). */
export function regionOfGroup(s: Scenario, group: string): string | undefined {
  return s.second?.groups.includes(group) ? s.second.region : undefined;
}

/**
 * The same scenario with `/diff/b` in a second source (eu-west-1): a rule keeps the log groups
 * of its first group's region and names that source; no draw, so the events and disturbances
 * are the seed's own.
 */
export function withTwoSources(s: Scenario): Scenario {
  const inSecond = (g: string) => (SECOND.groups as readonly string[]).includes(g);
  const place = (r: GenRule): GenRule => {
    const second = inSecond(r.logGroups[0]!);
    return { ...r, logGroups: r.logGroups.filter((g) => inSecond(g) === second), ...(second ? { from: SECOND.source } : {}) };
  };
  return {
    ...s,
    second: SECOND,
    rules: s.rules.map(place),
    disturbances: s.disturbances.map((d) => (d.kind === 'hup-layout' ? { ...d, rule: place(d.rule) } : d)),
  };
}

/** Rules whose ids start with this are layout changes only: never compared. */
export const LAYOUT_PREFIX = 'layout-';

const PATTERNS = ['ERROR', '?ERROR ?FATAL', '{ $.status >= 500 }', '"timeout"', '', 'FATAL', '{ $.level = "ERROR" }'];
const LEVELS = ['INFO', 'INFO', 'WARN', 'ERROR', 'ERROR', 'FATAL'];
const STATUSES = [200, 200, 404, 500, 503];
const HOSTS = ['h1', 'h2'];
const TEXTS = ['ok', 'upstream timeout', 'slow query', 'payment failed', 'timeout talking to db'];

function message(rng: Rng, seq: number): string {
  const level = rng.pick(LEVELS);
  const host = rng.pick(HOSTS);
  const text = rng.pick(TEXTS);
  if (rng.chance(0.5)) return JSON.stringify({ seq, level, status: rng.pick(STATUSES), host, msg: text });
  return `${level} #${seq} host=${host} ${text}`;
}

/** Everything of one run, from its seed. */
export function generateScenario(seed: number, opts: { ingestionDelayMs?: number | undefined } = {}): Scenario {
  const rng = new Rng(seed);
  const ingestionDelayMs = opts.ingestionDelayMs ?? ingestionDelayFromEnv();
  const groups = ['/diff/a', '/diff/b', '/diff/c'].slice(0, rng.int(2, 3));
  const drawn = rng.chance(0.7) ? 'precise' : 'economical';
  // Adaptive (the default) starts as economical: a quarter of the seeds run it instead (without a
  // draw of its own, so the other seeds' scenarios stay as they were).
  const strategy = drawn === 'economical' && seed % 4 === 3 ? 'adaptive' : drawn;
  const maxConcurrent = rng.pick([15, 15, 2, 1]);
  const throttleMs = rng.pick([0, 0, 1000, 3000, 5000]);
  const sessionTimeoutMs = rng.chance(0.25) ? rng.int(3, 6) * 1000 : undefined;

  const rules: GenRule[] = [];
  const nRules = rng.int(3, 6);
  for (let i = 1; i <= nRules; i++) {
    const type = rng.weighted<GenWindow['type'] | 'none'>([['threshold', 3], ['absence', 2], ['spike', 2], ['none', 2]]);
    const withinMs = rng.int(4, 12) * 500;
    const groupBy = rng.chance(0.3) ? ['$.host'] : undefined;
    let window: GenWindow | undefined;
    if (type === 'threshold') window = { type, withinMs, count: rng.int(2, 4), groupBy };
    else if (type === 'absence') window = { type, withinMs, count: rng.weighted([[1, 3], [2, 1]]), groupBy };
    else if (type === 'spike') window = { type, withinMs, factor: rng.pick([2, 3]), minCount: rng.int(2, 3), groupBy };
    rules.push({
      id: `r${i}-${type}`,
      logGroups: rng.sample(groups, rng.chance(0.7) ? 1 : 2),
      filterPattern: rng.pick(PATTERNS),
      window,
      throttleMs: rng.chance(0.5) ? rng.int(0, 5) * 1000 : undefined,
      resolve: window !== undefined && rng.chance(0.5),
      // A third of the rules are polled, chosen without a draw (the rest of the scenario stays as it was).
      ...((seed + i) % 3 === 0 ? { feed: { pollMs: (seed + i) % 2 ? 1000 : 1500, lagMs: 500 + ingestionDelayMs } } : {}),
    });
  }

  // 7–9 s of bursts, trickles and short pauses, plus one long pause (3–4.5 s, for absence and resolve).
  const activeMs = rng.int(14, 18) * 500;
  const longPauseAt = rng.int(1500, activeMs - 1500);
  const longPauseMs = rng.int(6, 9) * 500;
  const events: GenEvent[] = [];
  let t = 0;
  let seq = 0;
  let paused = 0;
  while (t - paused < activeMs) {
    if (paused === 0 && t >= longPauseAt) {
      t += longPauseMs;
      paused = longPauseMs;
      continue;
    }
    const mode = rng.weighted([['burst', 5], ['trickle', 3], ['pause', 1]] as const);
    if (mode === 'pause') {
      t += rng.int(800, 2000);
      continue;
    }
    const n = mode === 'burst' ? rng.int(3, 10) : rng.int(1, 3);
    const home = rng.pick(groups);
    for (let k = 0; k < n; k++) {
      events.push({ atMs: t, logGroup: rng.chance(0.7) ? home : rng.pick(groups), logStream: rng.pick(['s1', 's2']), message: message(rng, ++seq) });
      t += mode === 'burst' ? rng.int(20, 150) : rng.int(300, 800);
    }
  }

  const disturbances: Disturbance[] = [];
  const nDist = rng.int(1, 4);
  const lastAt = events[events.length - 1]?.atMs ?? activeMs;
  const moments: number[] = [];
  for (let tries = 0; moments.length < nDist && tries < 50; tries++) {
    const at = rng.int(1000, Math.max(1000, lastAt - 1000));
    if (moments.every((m) => Math.abs(m - at) >= 1500)) moments.push(at);
  }
  moments.sort((a, b) => a - b);
  let layoutN = 0;
  for (const atMs of moments) {
    const kind = rng.weighted<Disturbance['kind']>([['kill9', 5], ['hup', 3], ['hup-layout', 4], ['drop', 4], ['timeout', 4]]);
    if (kind === 'kill9') disturbances.push({ atMs, kind, downMs: rng.int(500, 2000) });
    else if (kind === 'hup-layout') {
      layoutN++;
      const newGroup = rng.chance(0.5);
      disturbances.push({
        atMs,
        kind,
        rule: {
          id: `${LAYOUT_PREFIX}${layoutN}`,
          logGroups: [newGroup ? `/diff/layout-${layoutN}` : rng.pick(groups)],
          filterPattern: `"never-matches-${layoutN}"`,
          resolve: false,
        },
      });
    } else if (kind === 'drop') disturbances.push({ atMs, kind, how: STREAM_BREAKS[atMs % STREAM_BREAKS.length]! });
    else disturbances.push({ atMs, kind });
  }
  return { seed, strategy, maxConcurrent, throttleMs, sessionTimeoutMs, ingestionDelayMs, groups, rules, events, disturbances };
}

function duration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

export function ruleYaml(r: GenRule): string {
  const source = `{ ${r.from ? `from: ${r.from}, ` : ''}logGroups: ${JSON.stringify(r.logGroups)}${r.filterPattern ? `, filterPattern: ${JSON.stringify(r.filterPattern)}` : ''} }`;
  let out = `  - id: ${r.id}\n    source: ${source}\n`;
  const w = r.window;
  if (w) {
    const parts = [`type: ${w.type}`, `within: ${duration(w.withinMs)}`];
    if (w.count !== undefined) parts.push(`count: ${w.count}`);
    if (w.factor !== undefined) parts.push(`factor: ${w.factor}`);
    if (w.minCount !== undefined) parts.push(`minCount: ${w.minCount}`);
    if (w.groupBy) parts.push(`groupBy: ${JSON.stringify(w.groupBy)}`);
    out += `    window: { ${parts.join(', ')} }\n`;
  }
  if (r.throttleMs !== undefined) out += `    throttle: ${duration(r.throttleMs)}\n`;
  if (r.feed) out += `    feed: { poll: ${duration(r.feed.pollMs)}, lag: ${duration(r.feed.lagMs)} }\n`;
  out += `    resolve: ${r.resolve}\n`;
  return out;
}

export function rulesYaml(rules: readonly GenRule[]): string {
  return `rules:\n${rules.map(ruleYaml).join('')}`;
}

/** `sessions.grace` when this tree's config schema has it (the daemon's fix adds it), else undefined (5 s built in). */
export function configuredGraceMs(): number | undefined {
  const schema = JSON.parse(readFileSync(path.join(ROOT, 'schema/config.schema.json'), 'utf8')) as { properties: { sessions: { properties: Record<string, unknown> } } };
  return 'grace' in schema.properties.sessions.properties ? 1000 : undefined;
}

export const DEFAULT_GRACE_MS = 5000;

/**
 * The emulator's FilterLogEvents ingestion delay (events visible this long after ingestion, as on
 * the service; Live Tail sees them at once). Every run has one unless `TW_DIFF_INGESTION_DELAY`
 * (ms) says otherwise (0: none): without it, a backfill or poll that does not wait for ingestion
 * passes. Polled rules' `lag` and `sessions.completion.delay` are set above it.
 */
export const DEFAULT_INGESTION_DELAY_MS = 2000;
const INGESTION_MARGIN_MS = 500;

function ingestionDelayFromEnv(): number {
  const v = process.env['TW_DIFF_INGESTION_DELAY'];
  if (v === undefined || v === '') return DEFAULT_INGESTION_DELAY_MS;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`TW_DIFF_INGESTION_DELAY must be a number of milliseconds ≥ 0, got "${v}"`);
  return n;
}

export function configYaml(s: Scenario, endpoint: string, hookUrl: string, graceMs: number | undefined): string {
  const sessions = [`strategy: ${s.strategy}`, `maxConcurrent: ${s.maxConcurrent}`, 'stallAfter: 5s', 'backoff: { initial: 100ms, max: 1s }'];
  if (graceMs !== undefined) sessions.push(`grace: ${duration(graceMs)}`);
  const second = s.second ? `sources:\n  ${s.second.source}: { region: ${s.second.region}, accountId: "123456789012", endpoint: "${endpoint}" }\n` : '';
  // FilterLogEvents (backfills, completions) waits out the emulator's ingestion delay, with a margin.
  if (s.ingestionDelayMs > 0) sessions.push(`completion: { delay: ${duration(s.ingestionDelayMs + INGESTION_MARGIN_MS)} }`);
  return `aws: { region: us-east-1, accountId: "123456789012", endpoint: "${endpoint}" }
${second}rules: { paths: [rules], watch: false }
destinations:
  hook: { type: webhook, url: "${hookUrl}" }
defaults: { notify: [hook], throttle: ${duration(s.throttleMs)}, resolve: false }
sessions: { ${sessions.join(', ')} }
delivery: { retry: { initial: 100ms, max: 1s } }
state: { dir: state }
server: { listen: "127.0.0.1:0" }
`;
}

/** One line per rule and the settings, for failure messages. */
export function describeScenario(s: Scenario): string {
  const rules = s.rules.map((r) => {
    const w = r.window;
    const win = w
      ? `${w.type}(${[w.count !== undefined ? `count ${w.count}` : '', w.factor !== undefined ? `factor ${w.factor} min ${w.minCount}` : '', `within ${duration(w.withinMs)}`, w.groupBy ? `by ${w.groupBy.join(',')}` : ''].filter(Boolean).join(', ')})`
      : 'no window';
    return `    ${r.id}: ${r.from ? `(source ${r.from}) ` : ''}${r.logGroups.join('+')} ${JSON.stringify(r.filterPattern)} ${win} throttle ${r.throttleMs === undefined ? `${duration(s.throttleMs)} (default)` : duration(r.throttleMs)}${r.resolve ? ' resolve' : ''}${r.feed ? ` polled every ${duration(r.feed.pollMs)} lag ${duration(r.feed.lagMs)}` : ''}`;
  });
  return [
    `  strategy ${s.strategy}, maxConcurrent ${s.maxConcurrent}, default throttle ${duration(s.throttleMs)}, emulator session timeout ${s.sessionTimeoutMs === undefined ? 'default' : duration(s.sessionTimeoutMs)}, ingestion delay ${duration(s.ingestionDelayMs)}, groups ${s.groups.join(' ')}, ${s.events.length} events over ${(s.events[s.events.length - 1]?.atMs ?? 0) / 1000}s`,
    ...rules,
  ].join('\n');
}

// ---------------------------------------------------------------------------
// Running the daemon

export interface RecordedEvent {
  readonly timestamp: number;
  readonly logGroup: string;
  readonly logStream: string;
  readonly message: string;
}

/** The alert payload fields compared (SPEC §7). */
export interface AlertPayload {
  id: string;
  kind: string;
  rule: { id: string };
  group: Record<string, unknown>;
  count: number;
  firedAt: string;
  firstEventAt: string;
  lastEventAt: string;
  suppressed: number;
  events: unknown[];
  title: string;
  text: string;
  [k: string]: unknown;
}

export interface LiveRun {
  readonly scenario: Scenario;
  /** Project folder: tailwatch.yaml, rules/, state/, events.jsonl, daemon-N.log, live.jsonl. */
  readonly dir: string;
  readonly events: readonly RecordedEvent[];
  /** The comparison horizon: last event + the largest `within` + 1 s. */
  readonly T: number;
  /** Time of the first event: offsets in messages count from here. */
  readonly t0: number;
  /** Distinct alerts the receiver got (by X-Tailwatch-Delivery), in arrival order. */
  readonly alerts: readonly AlertPayload[];
  /** What was done, with offsets, for the failure message. */
  readonly done: readonly string[];
  readonly graceMs: number;
  /** The daemons' warn/error log messages with their counts, for the failure message. */
  readonly problems: Readonly<Record<string, number>>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

async function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

function maxWithinMs(rules: readonly GenRule[]): number {
  return Math.max(0, ...rules.map((r) => r.window?.withinMs ?? 0));
}

/**
 * (a) of the differential test: the daemon against the emulator, the events put
 * in real time, the disturbances at their moments; SIGTERM once the wall clock
 * is past T + grace + 3 s.
 */
export async function runLive(s: Scenario, opts: { graceMs?: number | undefined; log?: (line: string) => void } = {}): Promise<LiveRun> {
  const graceMs = opts.graceMs ?? DEFAULT_GRACE_MS;
  const emu = await startEmulator({ updateIntervalMs: 100, ingestionDelayMs: s.ingestionDelayMs, ...(s.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: s.sessionTimeoutMs } : {}) });
  const rx = await startReceiver();
  const dir = mkdtempSync(path.join(os.tmpdir(), `tw-diff-${s.seed}-`));
  const daemons: DaemonProcess[] = [];
  const done: string[] = [];
  const recorded: RecordedEvent[] = [];
  try {
    mkdirSync(path.join(dir, 'rules'));
    writeFileSync(path.join(dir, 'tailwatch.yaml'), configYaml(s, emu.endpoint, `${rx.url}/hook`, opts.graceMs));
    writeFileSync(path.join(dir, 'rules/rules.yaml'), rulesYaml(s.rules));
    // Every log group exists before the daemon opens sessions on it (boot lines it never sees).
    const layoutGroups = s.disturbances.flatMap((d) => (d.kind === 'hup-layout' ? d.rule.logGroups : []));
    for (const g of new Set([...s.groups, ...layoutGroups])) emu.emulator.ingest([{ logGroup: g, logStream: 'boot', timestamp: Date.now() - 60_000, message: 'boot' }], { region: regionOfGroup(s, g) });

    const start = async (): Promise<DaemonProcess> => {
      const d = startDaemon({ cwd: dir, args: ['--log-level', 'debug'], env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
      daemons.push(d);
      await Promise.race([
        d.waitForMsg('ready', 20_000),
        d.exited.then((e) => {
          throw new Error(`daemon exited before ready (${JSON.stringify(e)}): ${d.stderr}`);
        }),
      ]);
      return d;
    };
    let current = await start();
    const t0 = Date.now();
    const at = (ms = Date.now()) => `+${((ms - t0) / 1000).toFixed(2)}s`;

    const feed = async (): Promise<void> => {
      let last = 0;
      for (const e of s.events) {
        await sleep(t0 + e.atMs - Date.now());
        // Strictly increasing timestamps: file order = time order, and no two events share a millisecond.
        const timestamp = Math.max(Date.now(), last + 1);
        last = timestamp;
        const ev = { timestamp, logGroup: e.logGroup, logStream: e.logStream, message: e.message };
        emu.emulator.ingest([ev], { region: regionOfGroup(s, e.logGroup) });
        recorded.push(ev);
      }
    };

    const reloaded = async (d: DaemonProcess, what: string): Promise<void> => {
      const before = d.count((l) => l.msg === 'rules reloaded' || l.msg === 'reload rejected; the running rules stay');
      d.signal('SIGHUP');
      const deadline = Date.now() + 10_000;
      while (d.count((l) => l.msg === 'rules reloaded' || l.msg === 'reload rejected; the running rules stay') === before) {
        if (Date.now() > deadline) throw new Error(`no reload logged within 10 s after ${what}`);
        if (d.child.exitCode !== null || d.child.signalCode !== null) throw new Error(`daemon exited on ${what}: ${d.stderr}`);
        await sleep(20);
      }
    };

    const disturb = async (): Promise<void> => {
      for (const dist of s.disturbances) {
        await sleep(t0 + dist.atMs - Date.now());
        const began = Date.now();
        switch (dist.kind) {
          case 'kill9': {
            current.signal('SIGKILL');
            await withDeadline(current.exited, 5_000, 'kill -9');
            await sleep(dist.downMs);
            current = await start();
            done.push(`${at(began)} kill -9, restarted after ${(dist.downMs / 1000).toFixed(2)}s, ready at ${at()}`);
            break;
          }
          case 'hup':
            await reloaded(current, 'SIGHUP');
            done.push(`${at(began)} SIGHUP, rules unchanged`);
            break;
          case 'hup-layout':
            writeFileSync(path.join(dir, `rules/${dist.rule.id}.yaml`), rulesYaml([dist.rule]));
            await reloaded(current, 'SIGHUP');
            done.push(`${at(began)} SIGHUP adding ${dist.rule.id} (${dist.rule.logGroups.join(',')} ${dist.rule.filterPattern}): new session layout`);
            break;
          case 'drop': {
            const n = emu.emulator.injectFault({ type: dist.how });
            done.push(`${at(began)} emulator breaks the live streams: ${dist.how} (${String(n)})`);
            break;
          }
          case 'timeout': {
            const n = emu.emulator.injectFault({ type: 'timeout' });
            done.push(`${at(began)} emulator times the sessions out (${String(n)})`);
            break;
          }
        }
        opts.log?.(`seed ${s.seed}: ${done[done.length - 1]!}`);
      }
    };

    await withDeadline(Promise.all([feed(), disturb()]), 60_000, 'the events and the disturbances');
    const lastTs = recorded[recorded.length - 1]?.timestamp ?? t0;
    const T = lastTs + maxWithinMs(s.rules) + 1000;
    await sleep(T + graceMs + 3000 - Date.now());
    // Then wait on the daemon itself: every session's watermark past T (its rules decided up to
    // T: a backfill or a completion may still hold them) and the outbox empty.
    await withDeadline(settled(current, T), 30_000, 'the daemon to decide up to T and deliver').catch((err: Error) => done.push(`not settled: ${err.message}`));
    current.signal('SIGTERM');
    const exit = await withDeadline(current.exited, 15_000, 'the daemon to exit after SIGTERM').catch(async (err: Error) => {
      current.signal('SIGKILL');
      await current.exited;
      throw err;
    });
    if (exit.code !== 0) done.push(`daemon exited with ${JSON.stringify(exit)} after SIGTERM`);

    const seen = new Set<string>();
    const alerts: AlertPayload[] = [];
    for (const r of rx.requests) {
      const id = String(r.headers['x-tailwatch-delivery'] ?? '');
      if (seen.has(id)) continue;
      seen.add(id);
      alerts.push(JSON.parse(r.body) as AlertPayload);
    }
    writeFileSync(path.join(dir, 'events.jsonl'), recorded.map((e) => JSON.stringify(e) + '\n').join(''));
    writeFileSync(path.join(dir, 'live.jsonl'), alerts.map((a) => JSON.stringify(a) + '\n').join(''));
    const problems: Record<string, number> = {};
    for (const l of daemons.flatMap((d) => d.logs)) {
      if (l.level !== 'warn' && l.level !== 'error' && l.level !== 'fatal') continue;
      const key = `${l.level} "${l.msg}"${typeof l['reason'] === 'string' ? ` (${l['reason']})` : ''}`;
      problems[key] = (problems[key] ?? 0) + 1;
    }
    return { scenario: s, dir, events: recorded, T, t0, alerts, done, graceMs, problems };
  } finally {
    for (const d of daemons) await d.stop();
    daemons.forEach((d, i) => writeFileSync(path.join(dir, `daemon-${i + 1}.log`), d.logs.map((l) => JSON.stringify(l)).join('\n') + '\n' + d.stderr));
    await rx.close();
    await emu.close();
  }
}

// ---------------------------------------------------------------------------
// Running replay

/** (b): `tailwatch replay` over the recorded events, with the rules as they are at the end, up to T. */
export async function runReplay(live: LiveRun): Promise<AlertPayload[]> {
  const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'replay', '-c', 'tailwatch.yaml', '--input', 'events.jsonl', '--until', String(live.T)], {
    cwd: live.dir,
    env: { PATH: process.env['PATH'] ?? '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    timeout: 30_000,
    maxBuffer: 64 << 20,
  });
  writeFileSync(path.join(live.dir, 'replay.jsonl'), stdout);
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as AlertPayload);
}

// ---------------------------------------------------------------------------
// Comparing

/** The compared part of an alert. */
export function comparable(a: AlertPayload): Record<string, unknown> {
  return {
    id: a.id,
    kind: a.kind,
    rule: a.rule.id,
    group: a.group,
    count: a.count,
    firedAt: a.firedAt,
    firstEventAt: a.firstEventAt,
    lastEventAt: a.lastEventAt,
    suppressed: a.suppressed,
    events: a.events,
    title: a.title,
    text: a.text,
  };
}

function inScope(a: AlertPayload, T: number): boolean {
  return Date.parse(a.firedAt) <= T && !a.rule.id.startsWith(LAYOUT_PREFIX);
}

function byFiredAtThenId(a: AlertPayload, b: AlertPayload): number {
  return a.firedAt < b.firedAt ? -1 : a.firedAt > b.firedAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export interface Comparison {
  readonly live: AlertPayload[];
  readonly replay: AlertPayload[];
  readonly missing: AlertPayload[];
  readonly extra: AlertPayload[];
  readonly differing: { live: AlertPayload; replay: AlertPayload; fields: string[] }[];
  readonly equal: boolean;
}

/** Multisets of compared payloads with firedAt ≤ T, sorted by (firedAt, id); paired by id. */
export function compareAlerts(liveAll: readonly AlertPayload[], replayAll: readonly AlertPayload[], T: number): Comparison {
  const live = liveAll.filter((a) => inScope(a, T)).sort(byFiredAtThenId);
  const replay = replayAll.filter((a) => inScope(a, T)).sort(byFiredAtThenId);
  const pool = new Map<string, AlertPayload[]>();
  for (const a of live) pool.set(a.id, [...(pool.get(a.id) ?? []), a]);
  const missing: AlertPayload[] = [];
  const differing: Comparison['differing'] = [];
  for (const r of replay) {
    const candidates = pool.get(r.id);
    if (!candidates?.length) {
      missing.push(r);
      continue;
    }
    const want = JSON.stringify(comparable(r));
    const i = candidates.findIndex((l) => JSON.stringify(comparable(l)) === want);
    const l = candidates.splice(i >= 0 ? i : 0, 1)[0]!;
    if (i < 0) {
      const lc = comparable(l);
      const rc = comparable(r);
      differing.push({ live: l, replay: r, fields: Object.keys(rc).filter((k) => JSON.stringify(lc[k]) !== JSON.stringify(rc[k])) });
    }
  }
  const extra = [...pool.values()].flat().sort(byFiredAtThenId);
  return { live, replay, missing, extra, differing, equal: missing.length === 0 && extra.length === 0 && differing.length === 0 };
}

function offset(iso: string, t0: number): string {
  return `+${((Date.parse(iso) - t0) / 1000).toFixed(3)}s`;
}

function oneLine(a: AlertPayload, t0: number): string {
  const group = Object.keys(a.group).length ? ` ${JSON.stringify(a.group)}` : '';
  const events = a.events.map((e) => (e as { message: string }).message.replace(/^.*?(#\d+|"seq":\d+).*$/, '$1').replace('"seq":', '#'));
  return `${offset(a.firedAt, t0)} ${a.kind} ${a.rule.id}${group} count=${a.count} suppressed=${a.suppressed} first=${offset(a.firstEventAt, t0)} last=${offset(a.lastEventAt, t0)} events=[${events.join(' ')}] id=${a.id.slice(0, 12)}`;
}

/** The failure message: seed, scenario, what was done, the diff, how to rerun. */
export function report(live: LiveRun, c: Comparison): string {
  const t0 = live.t0;
  const lines = [
    `seed ${live.scenario.seed}: the daemon's alerts differ from replay's (firedAt ≤ T = ${offset(new Date(live.T).toISOString(), t0)}; times are offsets from the first event)`,
    describeScenario(live.scenario),
    `  disturbances: ${live.done.length ? '' : 'none'}`,
    ...live.done.map((d) => `    ${d}`),
    `  daemon warnings/errors: ${Object.entries(live.problems).map(([k, n]) => `${k} ×${n}`).join(', ') || 'none'}`,
    `  compared: ${c.live.length} live, ${c.replay.length} replay`,
  ];
  if (c.missing.length) lines.push(`  missing (replay has them, the daemon did not send them): ${c.missing.length}`, ...c.missing.map((a) => `    ${oneLine(a, t0)}`));
  if (c.extra.length) lines.push(`  extra (the daemon sent them, replay has none): ${c.extra.length}`, ...c.extra.map((a) => `    ${oneLine(a, t0)}`));
  if (c.differing.length) {
    lines.push(`  differing (same id): ${c.differing.length}`);
    for (const d of c.differing) {
      lines.push(`    id ${d.replay.id.slice(0, 12)} ${d.replay.kind} ${d.replay.rule.id}: ${d.fields.join(', ')}`, `      live:   ${oneLine(d.live, t0)}`, `      replay: ${oneLine(d.replay, t0)}`);
    }
  }
  lines.push(`  rerun: TW_DIFF_SEED=${live.scenario.seed} npx vitest run test/daemon/differential.test.ts`, `  files: ${live.dir} (tailwatch.yaml, rules/, events.jsonl, live.jsonl, replay.jsonl, daemon-N.log)`);
  return lines.join('\n');
}

export interface DifferentialResult {
  readonly live: LiveRun;
  readonly comparison: Comparison;
  /** undefined when live = replay. */
  readonly failure: string | undefined;
}

export async function runDifferential(seed: number, opts: { log?: (line: string) => void; twoSources?: boolean } = {}): Promise<DifferentialResult> {
  const scenario = opts.twoSources ? withTwoSources(generateScenario(seed)) : generateScenario(seed);
  const live = await runLive(scenario, { graceMs: configuredGraceMs(), log: opts.log });
  const replay = await runReplay(live);
  const comparison = compareAlerts(live.alerts, replay, live.T);
  return { live, comparison, failure: comparison.equal ? undefined : report(live, comparison) };
}

/** Resolves once /metrics shows every session's watermark at or past T and an empty outbox. */
async function settled(d: DaemonProcess, T: number): Promise<void> {
  const line = await d.waitForMsg('status server listening');
  for (;;) {
    const text = await (await fetch(`http://${String(line['address'])}/metrics`)).text();
    const lags = [...text.matchAll(/^tailwatch_source_watermark_lag_seconds\{[^}]*\} (\S+)$/gm)].map((m) => Number(m[1]));
    const depth = Number(/^tailwatch_outbox_depth (\S+)$/m.exec(text)?.[1] ?? 'NaN');
    const now = Date.now();
    if (lags.length > 0 && lags.every((lag) => now - lag * 1000 >= T) && depth === 0) return;
    await sleep(100);
  }
}
