/**
 * `tailwatch replay --input FILE.jsonl|- [--until TIME|+DURATION]`: runs the
 * rules over recorded events (from stdin with `-`) in event time, as fast as
 * it can, and prints each alert as one JSON line (the payload of
 * docs/alerts.md). Progress goes to stderr, only when stderr is a terminal.
 */
import { isAscii } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { displayName } from '../config/config.js';
import { loadProject } from '../config/load.js';
import { parseDuration } from '../duration.js';
import { Engine, RuleCompileError, SameTimeOrder, type LogEvent, type RoutedAlert } from '../engine/index.js';
import { UserError, formatProblem, type Problem } from '../problems.js';
import type { DestinationStream } from 'pino';
import type { Config, Destination } from '../model/config.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CliIO, type CommandDef } from './command.js';

/** `--until`: an absolute time (ISO 8601 or epoch ms) or `+DURATION` after the last event. */
export type Until = { readonly at: number } | { readonly after: number };

export function parseUntil(text: string): Until | undefined {
  if (text.startsWith('+')) {
    const ms = parseDuration(text.slice(1));
    return ms === undefined ? undefined : { after: ms };
  }
  if (/^\d+$/.test(text)) return { at: Number(text) };
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : { at };
}

function inputProblem(file: string, line: number, col: number, message: string): UserError {
  return new UserError({ file, line, col, message, severity: 'error', code: 'recorded-event' });
}

/** One recorded event (a JSON line: timestamp, message, logGroup, logStream); throws UserError with the line's position. */
export function parseEventLine(line: string, file: string, lineNo: number): LogEvent {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    const pos = /position (\d+)/.exec((err as Error).message);
    throw inputProblem(file, lineNo, pos ? Number(pos[1]) + 1 : 1, `not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw inputProblem(file, lineNo, 1, 'a recorded event must be a JSON object');
  const o = value as Record<string, unknown>;
  const ts = o['timestamp'];
  let timestamp: number;
  if (typeof ts === 'number' && Number.isFinite(ts)) timestamp = Math.trunc(ts);
  else if (typeof ts === 'string' && !Number.isNaN(Date.parse(ts))) timestamp = Date.parse(ts);
  else throw inputProblem(file, lineNo, 1, '"timestamp" must be epoch milliseconds or an ISO 8601 date-time');
  const message = o['message'];
  if (typeof message !== 'string') throw inputProblem(file, lineNo, 1, '"message" must be a string');
  const logGroup = o['logGroup'] ?? '';
  const logStream = o['logStream'] ?? '';
  if (typeof logGroup !== 'string') throw inputProblem(file, lineNo, 1, '"logGroup" must be a string');
  if (typeof logStream !== 'string') throw inputProblem(file, lineNo, 1, '"logStream" must be a string');
  return { timestamp, logGroup, logStream, message };
}

const NO_ALERTS: readonly RoutedAlert[] = [];
const NEWLINE = 10;
const READ_CHUNK = 1 << 20;
/**
 * Lines are decoded in runs of about this many bytes: small enough for V8's
 * young generation (a string over 128 KiB is a large object, mapped and
 * page-faulted afresh each time), large enough that the calls do not count.
 */
const DECODE_RUN = 96 << 10;

/** buf[from, to) as UTF-8 text; ASCII bytes are their own latin1 text. */
function decode(buf: Buffer, from: number, to: number): string {
  const part = buf.subarray(from, to);
  return isAscii(part) ? part.toString('latin1') : part.toString('utf8');
}

/** Buffers JSON lines and writes them in large chunks, waiting when the pipe is full. */
class LineWriter {
  private buf = '';
  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly format: (r: RoutedAlert) => string = (r) => JSON.stringify(r.alert) + '\n',
    private readonly after?: (alerts: readonly RoutedAlert[]) => void,
  ) {}
  async add(alerts: readonly RoutedAlert[]): Promise<void> {
    for (const r of alerts) this.buf += this.format(r);
    this.after?.(alerts);
    if (this.buf.length > 65_536) await this.flush();
  }
  async flush(): Promise<void> {
    if (this.buf === '') return;
    const chunk = this.buf;
    this.buf = '';
    if (!this.out.write(chunk)) await new Promise<void>((resolve) => this.out.once('drain', resolve));
  }
}

export interface ReplayStats {
  events: number;
  alerts: number;
}

/** Streams `file` (a path, or a stream such as stdin) through `engine`; `onAlerts` gets each batch. Progress callback gets bytes read. */
export async function replayFile(
  engine: Engine,
  file: string | NodeJS.ReadableStream,
  display: string,
  onAlerts: (alerts: readonly RoutedAlert[]) => Promise<void> | void,
  onProgress?: (events: number, bytes: number) => void,
): Promise<ReplayStats> {
  const stats: ReplayStats = { events: 0, alerts: 0 };
  // Events of one millisecond are decided in eventKey order, as the daemon decides them.
  const order = new SameTimeOrder();
  const decide = (ready: readonly LogEvent[]): readonly RoutedAlert[] => {
    if (ready.length === 0) return NO_ALERTS;
    if (ready.length === 1) return engine.ingest(ready[0]!);
    const out: RoutedAlert[] = [];
    for (const e of ready) for (const a of engine.ingest(e)) out.push(a);
    return out;
  };
  let lineNo = 0;
  let bytes = 0;
  // Synchronous per line; only a line that produced alerts waits for the writer.
  const handle = (line: string): readonly RoutedAlert[] => {
    lineNo++;
    if (line.length > 0 && line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    // Blank lines are skipped; a JSON object line starts with `{`, so trim only lines that do not.
    if (line.length === 0 || (line.charCodeAt(0) !== 123 && line.trim() === '')) return NO_ALERTS;
    stats.events++;
    return decide(order.push(parseEventLine(line, display, lineNo)));
  };
  const emit = async (alerts: readonly RoutedAlert[]): Promise<void> => {
    stats.alerts += alerts.length;
    await onAlerts(alerts);
  };
  // Read as bytes and decoded a run of whole lines at a time (a line break is never inside a
  // UTF-8 sequence, so this is the file decoded at once); pure-ASCII runs, the common case, are
  // taken as latin1 without UTF-8 decoding. Lines are then searched in that flat string
  // (indexOf on a concatenated string takes V8's slow path on every call).
  let carry: Buffer[] = [];
  let carrySize = 0;
  const stream = typeof file === 'string' ? createReadStream(file, { highWaterMark: READ_CHUNK }) : file;
  for await (const raw of stream as AsyncIterable<Buffer | string>) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    bytes += chunk.length;
    let from = 0;
    if (carrySize > 0) {
      const nl = chunk.indexOf(NEWLINE);
      if (nl < 0) {
        carry.push(chunk);
        carrySize += chunk.length;
        onProgress?.(stats.events, bytes);
        continue;
      }
      // Only the line that spans chunks is copied together.
      const joined = Buffer.concat([...carry, chunk.subarray(0, nl)], carrySize + nl);
      carry = [];
      carrySize = 0;
      const alerts = handle(decode(joined, 0, joined.length));
      if (alerts.length > 0) await emit(alerts);
      from = nl + 1;
    }
    const last = chunk.lastIndexOf(NEWLINE);
    while (from <= last) {
      // Whole lines, decoded DECODE_RUN bytes at a time (or one longer line).
      let to = from + DECODE_RUN >= last ? last : chunk.lastIndexOf(NEWLINE, from + DECODE_RUN);
      if (to < from) to = chunk.indexOf(NEWLINE, from);
      const text = decode(chunk, from, to + 1);
      let start = 0;
      for (;;) {
        const nl = text.indexOf('\n', start);
        if (nl < 0) break;
        const alerts = handle(text.slice(start, nl));
        if (alerts.length > 0) await emit(alerts);
        start = nl + 1;
      }
      from = to + 1;
    }
    if (from < chunk.length) {
      carry.push(chunk.subarray(from));
      carrySize += chunk.length - from;
    }
    onProgress?.(stats.events, bytes);
  }
  if (carrySize > 0) {
    const rest = Buffer.concat(carry, carrySize);
    const alerts = handle(decode(rest, 0, rest.length));
    if (alerts.length > 0) await emit(alerts);
  }
  // The last millisecond's events, then its timers (the daemon's clock passes it too).
  const last = [...decide(order.flush()), ...(Number.isFinite(engine.clock) ? engine.advanceTo(engine.clock) : NO_ALERTS)];
  if (last.length > 0) await emit(last);
  return stats;
}

export const replayCommand: CommandDef = {
  name: 'replay',
  summary: 'run the rules over recorded events and print alerts',
  configure: (c) =>
    c
      .requiredOption('--input <file>', 'JSON lines of events (- for stdin)')
      .option('--send', 'deliver the alerts')
      .option('--render <destination>', 'print the request body a destination would get')
      .option('--until <time>', 'advance the clock to TIME or +DURATION after the last event'),
  async run({ opts, io, configPath, configExplicit }) {
    if (opts['send'] && opts['render'] !== undefined) {
      io.stderr.write('tailwatch replay: --send and --render cannot be combined\n');
      return EXIT_USAGE;
    }
    let until: Until | undefined;
    if (typeof opts['until'] === 'string') {
      until = parseUntil(opts['until']);
      if (!until) {
        io.stderr.write(`tailwatch replay: --until "${opts['until']}" is neither a time (ISO 8601, epoch ms) nor +DURATION (like +10m)\n`);
        return EXIT_USAGE;
      }
    }
    const fromStdin = opts['input'] === '-';
    const input = fromStdin ? undefined : path.resolve(io.cwd, String(opts['input']));
    const display = input === undefined ? '(standard input)' : displayName(input, io.cwd);
    const size = input === undefined ? 0 : (await stat(input)).size;

    const { config, ruleSet, warnings } = await loadProject({ configPath, configRequired: configExplicit, env: io.env, cwd: io.cwd });
    for (const w of warnings) io.stderr.write(formatProblem(w) + '\n');
    // A rule that fails on an event skips it (the other rules still get it): said once per rule, exit 1.
    const failures = new Map<string, number>();
    const onRuleError = (ruleId: string, err: unknown): void => {
      const n = failures.get(ruleId) ?? 0;
      failures.set(ruleId, n + 1);
      if (n === 0) io.stderr.write(`tailwatch replay: rule "${ruleId}" failed (${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}); it skips what it failed on, the other rules go on\n`);
    };
    let engine: Engine;
    try {
      engine = new Engine({ rules: ruleSet, silences: config.silences, onRuleError });
    } catch (err) {
      if (err instanceof RuleCompileError) throw new UserError(compileProblem(err));
      throw err;
    }

    let output: ReplayOutput;
    try {
      output = await replayOutput({ config, io, render: typeof opts['render'] === 'string' ? opts['render'] : undefined, send: opts['send'] === true });
    } catch (err) {
      if (err instanceof OutputError) {
        io.stderr.write(`tailwatch replay: ${err.message}\n`);
        return EXIT_USAGE;
      }
      throw err;
    }
    const writer = new LineWriter(io.stdout, output.format, output.after);
    const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
    const started = performance.now();
    let lastShown = 0;
    const progress = tty
      ? (events: number, bytes: number) => {
          const now = performance.now();
          if (now - lastShown < 250) return;
          lastShown = now;
          const rate = Math.round(events / Math.max(0.001, (now - started) / 1000));
          const pct = size > 0 ? ` (${Math.floor((100 * bytes) / size)}%)` : '';
          io.stderr.write(`\r${events} events${pct}, ${rate} events/s `);
        }
      : undefined;
    const stats = await replayFile(engine, input ?? io.stdin, display, (alerts) => writer.add(alerts), progress);
    if (until !== undefined) {
      const target = 'at' in until ? until.at : Number.isFinite(engine.clock) ? engine.clock + until.after : undefined;
      if (target !== undefined) await writer.add(engine.advanceTo(target));
    }
    await writer.flush();
    const delivered = await output.finish();
    if (tty) {
      const secs = (performance.now() - started) / 1000;
      io.stderr.write(`\r${stats.events} events in ${secs.toFixed(1)} s (${Math.round(stats.events / Math.max(secs, 0.001))} events/s)\n`);
    }
    for (const [ruleId, n] of failures) io.stderr.write(`tailwatch replay: rule "${ruleId}" failed ${n} time(s); its alerts are incomplete\n`);
    return delivered && failures.size === 0 ? EXIT_OK : EXIT_FAILED;
  },
};

class OutputError extends Error {}

interface ReplayOutput {
  format?: (r: RoutedAlert) => string;
  after?: (alerts: readonly RoutedAlert[]) => void;
  /** Waits for deliveries (`--send`); false when some alert was not delivered. */
  finish(): Promise<boolean>;
}

/**
 * `--render DEST`: each line is the exact request body DEST would get for the
 * alert (JSON; the console destination's text block as is). `--send`: the
 * alert lines as usual, and every alert goes to its rule's destinations
 * through a throwaway outbox (the daemon's retry policy, pacing and digests,
 * no daemon); the command ends when all are delivered or given up
 * (`delivery.maxAge`), exit 1 when any was not delivered.
 */
async function replayOutput(o: { config: Config; io: CliIO; render: string | undefined; send: boolean }): Promise<ReplayOutput> {
  const { createNotifier, createOutboxSink } = await import('../notify/index.js');
  if (o.render !== undefined) {
    const dest = o.config.destinations[o.render];
    if (!dest) throw new OutputError(`--render: unknown destination "${o.render}" (configured: ${Object.keys(o.config.destinations).join(', ') || 'none'})`);
    const notifier = createNotifier({ ...dest, name: o.render } as Destination, { timeoutMs: o.config.delivery.timeoutMs });
    return {
      format: (r) => {
        const body = notifier.render(r.alert).body;
        return typeof body === 'string' ? body : JSON.stringify(body) + '\n';
      },
      finish: async () => true,
    };
  }
  if (!o.send) return { finish: async () => true };
  const { pino } = await import('pino');
  const stateDir = await mkdtemp(path.join(tmpdir(), 'tailwatch-replay-send-'));
  const counts = { delivered: 0, dropped: 0, enqueued: 0 };
  const sink = createOutboxSink({
    stateDir,
    destinations: o.config.destinations,
    delivery: o.config.delivery,
    logger: pino({ level: 'warn', base: undefined }, o.io.stderr as DestinationStream),
    consoleStream: o.io.stderr,
    metrics: { delivered: (_d, n) => (counts.delivered += n), failed: () => {}, dropped: () => (counts.dropped += 1) },
  });
  sink.start();
  return {
    after: (alerts) => {
      for (const r of alerts) {
        counts.enqueued += r.destinations.filter((d) => d in o.config.destinations).length;
        sink.enqueue(r);
      }
    },
    async finish() {
      try {
        await sink.close(o.config.delivery.maxAgeMs);
      } finally {
        await rm(stateDir, { recursive: true, force: true });
      }
      const ok = counts.dropped === 0 && counts.delivered >= counts.enqueued;
      o.io.stderr.write(`sent: ${counts.delivered} of ${counts.enqueued} deliveries${counts.dropped ? `, ${counts.dropped} given up` : ''}\n`);
      return ok;
    },
  };
}

function compileProblem(err: RuleCompileError): Problem {
  const pos = err.pos ?? { file: '', line: 1, col: 1 };
  return { file: pos.file, line: pos.line, col: pos.col, message: `rule "${err.ruleId}": ${err.message}`, severity: 'error', code: 'rule-compile', ruleId: err.ruleId };
}
