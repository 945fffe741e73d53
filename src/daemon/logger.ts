/**
 * The one logger, created at the edge and passed down as child loggers
 * (`rule`, `session`, `destination`). JSON lines on stdout for journald;
 * `pretty` for humans. Known secret-bearing fields are redacted as a last
 * line of defence (the stages already log names, not URLs).
 */
import { pino, type Logger } from 'pino';

export type LogFormat = 'json' | 'pretty';

const REDACT = ['url', 'headers', 'secret', 'token', 'authorization', '*.url', '*.headers', '*.secret', '*.token', '*.authorization'];

export function createLogger(opts: { level: string; format: LogFormat; destination?: NodeJS.WritableStream }): Logger {
  const base = { level: opts.level, base: undefined, redact: { paths: REDACT, censor: '[redacted]' }, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label: string) => ({ level: label }) } };
  if (opts.format === 'pretty') {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: Boolean((process.stdout as { isTTY?: boolean }).isTTY), translateTime: 'SYS:HH:MM:ss.l' } } });
  }
  return pino(base, (opts.destination ?? process.stdout) as pino.DestinationStream);
}

export type { Logger };
