/**
 * `tailwatch notify-test DESTINATION`: sends one sample alert (a fresh id, so
 * receivers do not deduplicate it) to one configured destination, once, and
 * reports the HTTP outcome. Exit 0 on 2xx, 1 when the send failed, 2 for an
 * unknown destination or a config problem. Only the destination's name is
 * printed, never its URL.
 */
import { randomBytes } from 'node:crypto';
import { readConfig } from '../config/config.js';
import type { Alert } from '../model/alert.js';
import { consoleColorFor, createNotifier, sendOne } from '../notify/index.js';
import { UserError } from '../problems.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CommandDef } from './command.js';

export function sampleAlert(destination: string, now: number, resolved = false): Alert {
  const at = new Date(now).toISOString();
  return {
    version: 1,
    kind: resolved ? 'resolved' : 'firing',
    id: randomBytes(16).toString('hex'),
    firedAt: at,
    rule: { id: 'tailwatch-notify-test', description: 'A sample alert sent by tailwatch notify-test', severity: 'info', labels: { source: 'notify-test' } },
    group: { destination },
    count: 1,
    window: '',
    firstEventAt: at,
    lastEventAt: at,
    suppressed: 0,
    sampled: false,
    title: `tailwatch test alert for ${destination}`,
    text: `If you can read this, tailwatch can deliver to "${destination}".`,
    events: [{ timestamp: now, logGroup: '/tailwatch/notify-test', logStream: 'cli', message: '{"level":"info","msg":"sample log line from tailwatch notify-test"}' }],
    links: {},
  };
}

export const notifyTestCommand: CommandDef = {
  name: 'notify-test',
  summary: 'send a sample alert to one destination',
  configure: (c) => c.argument('<destination>', 'a destination name from the config').option('--resolved', 'send a resolved alert instead of a firing one'),
  async run({ args, opts, io, configPath, configExplicit }) {
    const name = args[0] ?? '';
    const { config, problems } = await readConfig({ configPath, configRequired: configExplicit, env: io.env, cwd: io.cwd, now: Date.now() });
    const errors = problems.filter((p) => p.severity === 'error');
    if (errors.length > 0) throw new UserError(errors);
    const dest = config.destinations[name];
    if (!dest) {
      const known = Object.keys(config.destinations);
      io.stderr.write(`tailwatch notify-test: unknown destination "${name}" (${known.length ? `configured: ${known.join(', ')}` : 'no destinations configured'})\n`);
      return EXIT_USAGE;
    }
    const notifier = createNotifier({ ...dest, name } as typeof dest, { timeoutMs: config.delivery.timeoutMs, consoleStream: io.stdout, consoleColor: consoleColorFor(io.stdout, io.env) });
    const alert = sampleAlert(name, Date.now(), opts['resolved'] === true);
    const started = performance.now();
    const out = await sendOne(notifier, alert);
    const ms = Math.round(performance.now() - started);
    const label = `${name} (${dest.type})`;
    if (out.ok) {
      io.stdout.write(`${label}: delivered${out.status ? ` (HTTP ${out.status})` : ''} in ${ms} ms, delivery id ${alert.id}\n`);
      return EXIT_OK;
    }
    const verdict = out.retry ? `temporary: the daemon would retry${out.retryAfterMs !== undefined ? ` after ${Math.ceil(out.retryAfterMs / 1000)} s` : ''}` : 'permanent: the daemon would not retry';
    io.stderr.write(`${label}: failed: ${out.detail} (${verdict})\n`);
    return EXIT_FAILED;
  },
};
