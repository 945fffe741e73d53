/**
 * `tailwatch put --group G [--stream S] [--endpoint URL] [--jsonl] [--now] [FILE|-]`:
 * writes log events into CloudWatch Logs (the emulator, or AWS) with the
 * SDK's PutLogEvents — how to feed a running emulator by hand.
 *
 * Input: by default every non-empty line is one message, stamped now. With
 * `--jsonl` every line is a recorded event (the format `replay` and
 * `emulate --input` read: `message`, and optionally `timestamp` — epoch ms or
 * ISO 8601; absent: now —, `logGroup`, `logStream`); `--now` stamps every
 * event now whatever it says. `--group`/`--stream` win over a record's own.
 * Events go out in batches PutLogEvents accepts (chronological per stream,
 * ≤ 10,000 events, ≤ 1 MiB, ≤ 24 h); a log group or stream that does not
 * exist is created. Exit 0 when every event was stored, 1 when CloudWatch
 * rejected some (too old or too far ahead), 2 on usage, input or API errors.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { displayName, readConfig } from '../config/config.js';
import { createLogsClient } from '../livetail/client.js';
import { formatProblem, UserError } from '../problems.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CliIO, type CommandDef } from './command.js';

export const DEFAULT_STREAM = 'tailwatch-put';
const MAX_BATCH_EVENTS = 10_000;
const MAX_BATCH_BYTES = 1_048_576;
const EVENT_OVERHEAD_BYTES = 26;
const DAY = 86_400_000;

export interface PutEvent {
  readonly timestamp: number;
  readonly message: string;
  readonly logGroup: string;
  readonly logStream: string;
}

export interface ParseOptions {
  readonly jsonl: boolean;
  readonly now: number;
  /** Stamp every event `now`, whatever the record says. */
  readonly forceNow: boolean;
  readonly group?: string | undefined;
  readonly stream?: string | undefined;
}

/** The events of `text` (one line each); throws UserError at the first bad line. */
export function parsePutInput(text: string, display: string, o: ParseOptions): PutEvent[] {
  const out: PutEvent[] = [];
  const lines = text.split('\n');
  for (const [i, raw] of lines.entries()) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') continue;
    const fail = (message: string, col = 1): never => {
      throw new UserError({ file: display, line: i + 1, col, message, severity: 'error', code: 'put-input' });
    };
    let timestamp = o.now;
    let message = line;
    let logGroup = o.group;
    let logStream = o.stream;
    if (o.jsonl) {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (err) {
        fail(`not valid JSON: ${(err as Error).message} (--jsonl: one recorded event a line, {"timestamp", "message", "logGroup", "logStream"})`);
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('a recorded event must be a JSON object');
      const r = value as Record<string, unknown>;
      if (typeof r['message'] !== 'string' || r['message'] === '') fail('"message" must be a non-empty string');
      message = r['message'] as string;
      const ts = r['timestamp'];
      if (ts !== undefined && !o.forceNow) {
        if (typeof ts === 'number' && Number.isFinite(ts)) timestamp = Math.trunc(ts);
        else if (typeof ts === 'string' && !Number.isNaN(Date.parse(ts))) timestamp = Date.parse(ts);
        else fail('"timestamp" must be epoch milliseconds or an ISO 8601 date-time');
      }
      for (const k of ['logGroup', 'logStream'] as const) {
        if (r[k] !== undefined && (typeof r[k] !== 'string' || r[k] === '')) fail(`"${k}" must be a non-empty string`);
      }
      logGroup ??= r['logGroup'] as string | undefined;
      logStream ??= r['logStream'] as string | undefined;
    }
    if (logGroup === undefined) fail('no log group: give --group (or a "logGroup" in each --jsonl record)');
    out.push({ timestamp, message, logGroup: logGroup!, logStream: logStream ?? DEFAULT_STREAM });
  }
  return out;
}

/** PutLogEvents batches: per stream, in time order (stable), within the API's count, size and span limits. */
export function batches(events: readonly PutEvent[]): PutEvent[][] {
  const byStream = new Map<string, PutEvent[]>();
  for (const e of events) {
    const key = `${e.logGroup}\0${e.logStream}`;
    const list = byStream.get(key) ?? [];
    list.push(e);
    byStream.set(key, list);
  }
  const out: PutEvent[][] = [];
  for (const list of byStream.values()) {
    const sorted = list.map((e, i) => [e, i] as const).sort((a, b) => a[0].timestamp - b[0].timestamp || a[1] - b[1]).map(([e]) => e);
    let batch: PutEvent[] = [];
    let bytes = 0;
    for (const e of sorted) {
      const size = Buffer.byteLength(e.message) + EVENT_OVERHEAD_BYTES;
      if (batch.length > 0 && (batch.length >= MAX_BATCH_EVENTS || bytes + size > MAX_BATCH_BYTES || e.timestamp - batch[0]!.timestamp > DAY)) {
        out.push(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(e);
      bytes += size;
    }
    if (batch.length > 0) out.push(batch);
  }
  return out;
}

export const putCommand: CommandDef = {
  name: 'put',
  summary: 'write log events into CloudWatch Logs or the emulator (PutLogEvents)',
  configure: (c) =>
    c
      .argument('[file]', 'lines to put (default: stdin; - is stdin)')
      .option('--group <name>', 'log group (created if missing)')
      .option('--stream <name>', `log stream (created if missing; default ${DEFAULT_STREAM})`)
      .option('--endpoint <url>', 'CloudWatch Logs endpoint, e.g. the emulator http://127.0.0.1:4566 (default: the config’s aws.endpoint, else AWS)')
      .option('--region <region>', 'region (default: the config’s aws.region, else $AWS_REGION, else us-east-1)')
      .option('--jsonl', 'each line is a recorded event {"timestamp","message","logGroup","logStream"} instead of a message')
      .option('--now', 'stamp every event with the current time, whatever the record says'),
  async run({ args, opts, io, configPath, configExplicit }) {
    const usage = (message: string): number => {
      io.stderr.write(`tailwatch put: ${message}\n`);
      return EXIT_USAGE;
    };
    if (args.length > 1) return usage('give at most one FILE (or - for stdin)');
    const endpointFlag = typeof opts['endpoint'] === 'string' ? opts['endpoint'] : undefined;
    if (endpointFlag !== undefined && !/^https?:\/\/[^/]/.test(endpointFlag)) return usage(`--endpoint must be an http(s) URL, got "${endpointFlag}"`);

    // The config (when there is one) gives the endpoint, region and profile the daemon uses.
    const cfg = await readConfig({ configPath, configRequired: configExplicit, env: io.env, cwd: io.cwd, now: Date.now() });
    const errors = cfg.problems.filter((p) => p.severity === 'error');
    if (errors.length > 0) {
      for (const p of errors) io.stderr.write(formatProblem(p) + '\n');
      return EXIT_USAGE;
    }
    const aws = cfg.config.aws;
    const endpoint = endpointFlag ?? aws.endpoint;
    const region = (typeof opts['region'] === 'string' ? opts['region'] : undefined) ?? aws.region ?? (io.env['AWS_REGION'] || io.env['AWS_DEFAULT_REGION'] || 'us-east-1');

    const file = args[0] ?? '-';
    const display = file === '-' ? '(standard input)' : displayName(path.resolve(io.cwd, file), io.cwd);
    const text = file === '-' ? await readAll(io.stdin) : await readFile(path.resolve(io.cwd, file), 'utf8');
    const events = parsePutInput(text, display, {
      jsonl: opts['jsonl'] === true,
      now: Date.now(),
      forceNow: opts['now'] === true,
      group: typeof opts['group'] === 'string' ? opts['group'] : undefined,
      stream: typeof opts['stream'] === 'string' ? opts['stream'] : undefined,
    });
    if (events.length === 0) return usage(`no events in ${display}`);

    const client = createLogsClient({ aws: { ...aws, endpoint }, region, env: io.env });
    try {
      return await putAll(client, events, io);
    } catch (err) {
      if (err instanceof UserError) throw err;
      // A service error carries `$fault`; anything else did not get an answer from the endpoint.
      const e = err as Error & { code?: string; $fault?: unknown };
      const what = e.$fault !== undefined ? `${e.name}: ${e.message}` : `cannot reach ${endpoint ?? `CloudWatch Logs in ${region}`}: ${e.code ?? e.name}${e.message ? ` (${e.message})` : ''}`;
      return usage(what);
    } finally {
      client.destroy();
    }
  },
};

async function putAll(client: CloudWatchLogsClient, events: readonly PutEvent[], io: CliIO): Promise<number> {
  const { PutLogEventsCommand } = await import('@aws-sdk/client-cloudwatch-logs');
  const stored = new Map<string, number>();
  let rejected = 0;
  const created = new Set<string>();
  for (const batch of batches(events)) {
    const { logGroup, logStream } = batch[0]!;
    const input = { logGroupName: logGroup, logStreamName: logStream, logEvents: batch.map((e) => ({ timestamp: e.timestamp, message: e.message })) };
    let res;
    try {
      res = await client.send(new PutLogEventsCommand(input));
    } catch (err) {
      if ((err as Error).name !== 'ResourceNotFoundException' || created.has(`${logGroup}\0${logStream}`)) throw err;
      await create(client, logGroup, logStream);
      created.add(`${logGroup}\0${logStream}`);
      res = await client.send(new PutLogEventsCommand(input));
    }
    const info = res.rejectedLogEventsInfo;
    let bad = 0;
    if (info) {
      const tooOld = info.tooOldLogEventEndIndex ?? -1;
      const expired = info.expiredLogEventEndIndex ?? -1;
      const tooNew = info.tooNewLogEventStartIndex ?? batch.length;
      bad = Math.max(tooOld, expired) + 1 + (batch.length - tooNew);
      io.stderr.write(
        `tailwatch put: CloudWatch Logs rejected ${bad} event(s) of ${logGroup} ${logStream}: ` +
          `${Math.max(tooOld, expired) + 1} older than 14 days or the group's retention, ${batch.length - tooNew} more than 2 hours ahead (use --now to stamp them now)\n`,
      );
      rejected += bad;
    }
    const key = `${logGroup}\0${logStream}`;
    stored.set(key, (stored.get(key) ?? 0) + batch.length - bad);
  }
  for (const [key, n] of stored) {
    const [group, stream] = key.split('\0');
    io.stderr.write(`put ${n} event(s) into ${group} (stream ${stream})${created.has(key) ? ', created' : ''}\n`);
  }
  return rejected > 0 ? EXIT_FAILED : EXIT_OK;
}

async function create(client: CloudWatchLogsClient, logGroupName: string, logStreamName: string): Promise<void> {
  const { CreateLogGroupCommand, CreateLogStreamCommand } = await import('@aws-sdk/client-cloudwatch-logs');
  const ignoreExisting = (err: unknown): void => {
    if ((err as Error).name !== 'ResourceAlreadyExistsException') throw err;
  };
  await client.send(new CreateLogGroupCommand({ logGroupName })).catch(ignoreExisting);
  await client.send(new CreateLogStreamCommand({ logGroupName, logStreamName })).catch(ignoreExisting);
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
