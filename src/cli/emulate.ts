/**
 * `tailwatch emulate`: runs the local CloudWatch Logs emulator
 * until SIGINT/SIGTERM. Prints the endpoint as the one line on stdout (with
 * `--port 0`, the port chosen), so scripts and tests can read it; with
 * `--input` replays recorded events in real time, timestamps re-based to now
 * unless `--keep-timestamps`. Progress goes to a TTY only. The region and
 * the account come from `--region`/`--account-id`, else from the config's
 * `aws.region`/`aws.accountId` (`-c`, or ./tailwatch.yaml when there is one),
 * so the daemon's ARNs name log groups the emulator has.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDuration } from '../duration.js';
import { readConfig } from '../config/config.js';
import { Emulator, parseRecordedEvents, startFeed, type Feed } from '../emulator/index.js';
import { EXIT_OK, EXIT_USAGE, type CliIO, type CommandDef, type CommandRun } from './command.js';

const DEFAULT_REGION = 'us-east-1';
const DEFAULT_ACCOUNT = '123456789012';

/** The region and account the config names (none when there is no config; a warning when it is invalid). */
async function configAws(run: CommandRun): Promise<{ region?: string | undefined; accountId?: string | undefined }> {
  const { config, problems } = await readConfig({ configPath: run.configPath, configRequired: run.configExplicit, env: run.io.env, cwd: run.io.cwd, now: Date.now() });
  if (problems.some((p) => p.severity === 'error')) {
    run.io.stderr.write(`tailwatch emulate: ${path.relative(run.io.cwd, run.configPath) || run.configPath} has errors (tailwatch validate lists them): region and account not taken from it\n`);
    return {};
  }
  return { region: config.aws.region, accountId: config.aws.accountId };
}

export const emulateCommand: CommandDef = {
  name: 'emulate',
  summary: 'run a local CloudWatch Logs emulator',
  configure: (c) =>
    c
      .option('--port <n>', 'port (0: any free port)', '4566')
      .option('--host <address>', 'address to listen on', '127.0.0.1')
      .option('--input <file>', 'JSON lines of events to feed, in real time')
      .option('--keep-timestamps', 'feed events with their recorded timestamps instead of re-basing them to now')
      .option('--region <region>', `region of unsigned requests (default: the config's aws.region, else ${DEFAULT_REGION})`)
      .option('--account-id <id>', `account id in log group ARNs (default: the config's aws.accountId, else ${DEFAULT_ACCOUNT})`)
      .option('--max-sessions <n>', 'concurrent Live Tail sessions per region', '15')
      .option('--session-timeout <duration>', 'Live Tail session length', '3h')
      .option('--ingestion-delay <duration>', 'how long after ingestion FilterLogEvents sees an event (Live Tail at once)', '0'),
  async run(run) {
    const { opts, io } = run;
    // Listen for the stop signal first: a signal that arrives while starting up still stops cleanly.
    const signal = waitForSignal();
    try {
      const fromConfig = await configAws(run);
      const region = typeof opts['region'] === 'string' ? opts['region'] : (fromConfig.region ?? DEFAULT_REGION);
      const accountId = typeof opts['accountId'] === 'string' ? opts['accountId'] : (fromConfig.accountId ?? DEFAULT_ACCOUNT);
      return await emulate({ ...opts, region, accountId }, io, signal.promise);
    } finally {
      signal.dispose();
    }
  },
};

async function emulate(opts: Readonly<Record<string, unknown>>, io: CliIO, stopSignal: Promise<void>): Promise<number> {
  const usage = (message: string): number => {
    io.stderr.write(`tailwatch emulate: ${message}\n`);
    return EXIT_USAGE;
  };
  const port = Number(opts['port']);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return usage(`--port must be an integer from 0 to 65535, got "${String(opts['port'])}"`);
  const maxSessions = Number(opts['maxSessions']);
  if (!Number.isInteger(maxSessions) || maxSessions < 1) return usage(`--max-sessions must be a positive integer, got "${String(opts['maxSessions'])}"`);
  const timeout = parseDuration(String(opts['sessionTimeout']));
  if (timeout === undefined || timeout <= 0) return usage(`--session-timeout must be a duration like 30s or 3h, got "${String(opts['sessionTimeout'])}"`);
  const ingestionDelay = parseDuration(String(opts['ingestionDelay'] ?? '0'));
  if (ingestionDelay === undefined) return usage(`--ingestion-delay must be a duration like 2s, got "${String(opts['ingestionDelay'])}"`);
  const accountId = String(opts['accountId']);
  if (!/^\d{12}$/.test(accountId)) return usage(`--account-id must be 12 digits, got "${accountId}"`);

  const input = typeof opts['input'] === 'string' ? opts['input'] : undefined;
  const recorded = input === undefined ? undefined : parseRecordedEvents(await readFile(path.resolve(io.cwd, input), 'utf8'), input);

  const emulator = new Emulator({
    host: String(opts['host']),
    port,
    region: String(opts['region']),
    accountId,
    maxConcurrentSessions: maxSessions,
    ingestionDelayMs: ingestionDelay,
    sessionTimeoutMs: timeout,
  });
  let endpoint: string;
  try {
    endpoint = await emulator.start();
  } catch (err) {
    return usage(`cannot listen on ${String(opts['host'])}:${port}: ${(err as Error).message}`);
  }
  io.stdout.write(`${endpoint}\n`);
  const tty = io.stdout.isTTY === true;
  if (tty) io.stdout.write(`CloudWatch Logs emulator on ${endpoint} (client options: endpoint + disableHostPrefix: true), region ${String(opts['region'])}, account ${accountId}. Ctrl-C to stop.\n`);

  const feed: Feed | undefined = recorded && startFeed(emulator, recorded, { rebase: opts['keepTimestamps'] !== true });
  const progress = tty && feed ? showProgress(io.stdout, feed) : undefined;

  await stopSignal;
  clearInterval(progress);
  feed?.stop();
  await emulator.stop();
  if (tty) io.stdout.write('\nstopped\n');
  return EXIT_OK;
}

function showProgress(out: NodeJS.WritableStream, feed: Feed): NodeJS.Timeout {
  let last = 0;
  const timer = setInterval(() => {
    const done = feed.done;
    out.write(`\rfed ${done}/${feed.total} events (${done - last}/s)   `);
    last = done;
    if (done >= feed.total) {
      out.write('\n');
      clearInterval(timer);
    }
  }, 1000);
  return timer;
}

function waitForSignal(): { promise: Promise<void>; dispose(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  const onSignal = (): void => resolve();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    promise,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
