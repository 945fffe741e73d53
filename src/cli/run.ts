/**
 * `tailwatch run`: the daemon in the foreground (systemd runs it so). Logs
 * are JSON lines on stdout (`--log-format pretty` for people); the console
 * destination then writes to stderr.
 * SIGHUP reloads the rules; SIGTERM/SIGINT stop it gracefully (exit 0);
 * a second signal exits at once.
 */
import { Daemon, type RunningDaemon } from '../daemon/daemon.js';
import { createLogger, type LogFormat } from '../daemon/logger.js';
import { startWatchdog, systemdNotifier } from '../daemon/sd-notify.js';
import { createAlertSink, createEventSource } from '../daemon/stages.js';
import { consoleColorFor } from '../notify/index.js';
import { UserError, formatProblem } from '../problems.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CommandDef } from './command.js';

export const runCommand: CommandDef = {
  name: 'run',
  summary: 'run the daemon',
  configure: (c) => c.option('--log-format <format>', 'json | pretty', 'json').option('--log-level <level>', 'overrides log.level'),
  async run({ opts, io, configPath, configExplicit }) {
    const format = String(opts['logFormat']);
    if (format !== 'json' && format !== 'pretty') {
      io.stderr.write('tailwatch run: --log-format must be json or pretty\n');
      return EXIT_USAGE;
    }
    // The level is known only after loading; start at info and let the config lower or raise it.
    const logger = createLogger({ level: typeof opts['logLevel'] === 'string' ? opts['logLevel'] : 'info', format: format as LogFormat, destination: io.stdout });
    // JSON logs own stdout (journald, log shippers): alert blocks of the console destination go to
    // stderr, so they never interleave with log records. Pretty logs are for people: both on stdout.
    const consoleStream = format === 'json' ? io.stderr : io.stdout;
    const consoleColor = consoleColorFor(consoleStream, io.env);
    const notifier = systemdNotifier(io.env, (err) => logger.warn({ error: err.message }, 'systemd notification failed'));
    // WatchdogSec= in the unit: pings from the event loop, so a blocked loop gets the service restarted.
    const watchdog = startWatchdog(io.env, () => void notifier.watchdog());
    if (watchdog) logger.info({ intervalMs: watchdog.intervalMs }, 'systemd watchdog: pinging');
    const daemon = new Daemon({
      load: { configPath, configRequired: configExplicit, env: io.env, cwd: io.cwd },
      logger,
      notifier,
      createSource: createEventSource,
      createSink: (ctx) => createAlertSink(ctx, { stream: consoleStream, color: consoleColor }),
    });
    let running: RunningDaemon;
    try {
      running = await daemon.start();
    } catch (err) {
      watchdog?.stop();
      if (err instanceof UserError) {
        for (const p of err.problems) io.stderr.write(formatProblem(p) + '\n');
        logger.error({ errors: err.problems.length }, 'invalid configuration or rules; not starting');
        return EXIT_FAILED;
      }
      // start() has stopped what it had started.
      const message = (err as Error).message;
      logger.error({ error: message }, 'failed to start');
      // Also one plain line on stderr, where a terminal or systemd shows it first.
      io.stderr.write(`tailwatch run: ${message}\n`);
      return EXIT_USAGE;
    }
    if (typeof opts['logLevel'] !== 'string') logger.level = running.logLevel;
    return new Promise<number>((resolve) => {
      let stopping = false;
      const onStop = (signal: NodeJS.Signals) => {
        if (stopping) {
          logger.warn({ signal }, 'second signal: exiting now');
          process.exit(EXIT_FAILED);
        }
        stopping = true;
        logger.info({ signal }, 'stopping');
        void running.stop().then(() => {
          watchdog?.stop();
          process.off('SIGHUP', onHup);
          resolve(EXIT_OK);
        });
      };
      const onHup = () => void running.reload('signal');
      process.on('SIGTERM', onStop);
      process.on('SIGINT', onStop);
      process.on('SIGHUP', onHup);
    });
  },
};
