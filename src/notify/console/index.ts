/**
 * `type: console`: one human-readable block per alert on a stream (stdout by
 * default; `tailwatch run` gives it stderr while its logs are JSON lines on
 * stdout) — the demo's destination. First line `[FIRING] …` / `[RESOLVED] …`.
 * Control characters from logs are shown escaped, so a log line cannot
 * rewrite the terminal; so are bidi controls (U+202E…) and lone surrogates.
 * On a terminal the first line is coloured by severity (green when resolved)
 * and the sample lines dimmed, unless NO_COLOR is set (no-color.org).
 */
import type { ConsoleDestination } from '../../model/config.js';
import type { Alert } from '../../model/alert.js';
import type { NotifierDeps, UnpacedNotifier } from '../notifier.js';
import { cut, inert } from '../text.js';

const MAX_LINE = 500;

const RESET = '\x1b[0m';
const DIM = '\x1b[2m';
const HEAD_COLOR: Readonly<Record<string, string>> = { critical: '\x1b[1;31m', error: '\x1b[31m', warning: '\x1b[33m', info: '\x1b[36m' };
const RESOLVED_COLOR = '\x1b[32m';

/**
 * Whether console blocks on `stream` are coloured: a terminal, unless NO_COLOR is set and not
 * empty (no-color.org); FORCE_COLOR (not empty, not 0) colours a pipe too, as the demo's.
 */
export function consoleColorFor(stream: NodeJS.WritableStream, env: Readonly<Record<string, string | undefined>>): boolean {
  if (env['NO_COLOR']) return false;
  const force = env['FORCE_COLOR'];
  if (force !== undefined && force !== '') return force !== '0';
  return (stream as { isTTY?: boolean }).isTTY === true;
}

export function consoleBlock(alert: Alert, opts: { color?: boolean } = {}): string {
  const head = `[${alert.kind === 'firing' ? 'FIRING' : 'RESOLVED'}] ${alert.rule.severity.toUpperCase()} ${clean(alert.title)}`;
  const color = opts.color === true;
  const paint = (code: string | undefined, text: string): string => (color && code ? `${code}${text}${RESET}` : text);
  const lines = [paint(alert.kind === 'firing' ? (HEAD_COLOR[alert.rule.severity] ?? '') : RESOLVED_COLOR, head)];
  if (alert.text && alert.text !== alert.title) lines.push(`  ${clean(alert.text)}`);
  const group = Object.entries(alert.group).map(([k, v]) => `${k}=${clean(String(v))}`).join(' ');
  lines.push(`  rule: ${clean(alert.rule.id)}${group ? `  group: ${group}` : ''}  count: ${alert.count}${alert.window ? `  window: ${alert.window}` : ''}`);
  lines.push(`  at: ${alert.firedAt}  id: ${alert.id}${alert.suppressed ? `  suppressed: ${alert.suppressed}` : ''}${alert.sampled ? '  (sampled)' : ''}`);
  for (const e of alert.events.slice(0, 5)) lines.push(paint(DIM, `  | ${clean(e.logGroup)} ${clean(e.message)}`));
  if (alert.links.console) lines.push(`  ${clean(alert.links.console)}`);
  return lines.join('\n') + '\n\n';
}

function clean(s: string): string {
  // eslint-disable-next-line no-control-regex
  const controls = s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => (c === '\n' ? '⏎' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
  // Bidi controls (U+202E would reverse the rest of the line) and lone surrogates, shown as escapes.
  const one = inert(controls, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return one.length > MAX_LINE ? cut(one, MAX_LINE - 1) : one;
}

export function createConsoleNotifier(dest: ConsoleDestination, deps: NotifierDeps): UnpacedNotifier {
  const stream = deps.consoleStream ?? process.stdout;
  const color = deps.consoleColor ?? consoleColorFor(stream, process.env);
  return {
    name: dest.name,
    type: dest.type,
    concurrency: 1,
    async send(alert) {
      stream.write(consoleBlock(alert, { color }));
      return { ok: true };
    },
    render(alert) {
      return { body: consoleBlock(alert), headers: {} };
    },
  };
}
