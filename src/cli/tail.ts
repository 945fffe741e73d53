/**
 * `tailwatch tail --rule ID`: opens the rule's Live Tail session (the same
 * supervised session `run` uses, restarts and backfill included) and prints
 * each event that passes the rule's streams, filter pattern and match
 * conditions — no windows, no alerts — until SIGINT/SIGTERM, then closes the
 * session and exits 0. One line an event: time, log group, stream, message.
 * A session the service refuses for good (log group not found, access
 * denied, invalid parameters) ends it with exit 2 and one stderr line;
 * transient failures are retried, one plain stderr line each (no JSON).
 * A polled rule (`feed: { poll }`) is tailed as `run` feeds it: its log
 * groups read with FilterLogEvents every interval, up to `lag` before now;
 * a missing log group or denied access ends it the same way.
 */
import { pino } from 'pino';
import { loadProject } from '../config/load.js';
import { formatDuration } from '../duration.js';
import type { Rule } from '../model/config.js';
import { compileRule, type CompiledRule } from '../engine/compile.js';
import type { LogEvent } from '../model/event.js';
import { RuleCompileError } from '../engine/index.js';
import { EventView } from '../engine/match.js';
import { Writable } from 'node:stream';
import { createLiveTailSource, type RestartInfo } from '../livetail/index.js';
import { formatProblem, UserError } from '../problems.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CommandDef } from './command.js';

/** The rule's own checks of one event, as the engine makes them (without windows). */
export function passes(cr: CompiledRule, event: LogEvent): boolean {
  if (cr.streams && !cr.streams.has(event.logStream)) return false;
  if (cr.streamPrefixes && !cr.streamPrefixes.some((p) => event.logStream.startsWith(p))) return false;
  if (cr.logGroupNames.length > 0 && !cr.logGroupNames.includes(event.logGroup)) return false;
  const view = new EventView(event);
  if (cr.filterTest !== undefined && !cr.filterTest(view)) return false;
  return cr.match === undefined || cr.match(view);
}

export function formatTailLine(e: LogEvent): string {
  return `${new Date(e.timestamp).toISOString()} ${e.logGroup} ${e.logStream} ${e.message}${e.sampled ? ' [sampled]' : ''}\n`;
}

const REFUSED: Readonly<Record<string, string>> = {
  'not-found': 'a log group does not exist',
  'access-denied': 'access denied',
  'invalid-parameter': 'invalid parameters',
  unauthenticated: 'the credentials were not accepted',
};

/** Planned restarts (the 3-hour timeout, rotation) are not worth a line. */
const QUIET = new Set(['timeout', 'rotation']);

export function formatRestartLine(info: RestartInfo): string {
  const why = info.error ? `${info.reason}: ${info.error}` : info.reason;
  return `tailwatch tail: session ${info.session} interrupted (${why}), retrying in ${(info.delayMs / 1000).toFixed(1)} s\n`;
}

/**
 * The source's log records as plain one-line messages on stderr (`tail` is no daemon: no
 * JSON, no epoch times). Restarts are reported by `onRestart` instead.
 */
export function plainLog(stderr: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) {
        if (!line.trim()) continue;
        let rec: Record<string, unknown>;
        try {
          rec = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        const { msg, level, time: _time, err, ...rest } = rec;
        // Restarts, and a session refused for its one log group, are reported by onRestart.
        if (msg === 'session restarting' || rec['sessionRefused'] === true) continue;
        const fields = Object.entries(rest).map(([k, v]) => `${k} ${typeof v === 'string' ? v : JSON.stringify(v)}`);
        if (err && typeof err === 'object') fields.push(`error ${String((err as { type?: unknown }).type ?? 'Error')}`);
        stderr.write(`tailwatch tail: ${String(level)}: ${String(msg)}${fields.length ? ` (${fields.join(', ')})` : ''}\n`);
      }
      cb();
    },
  });
}

export const tailCommand: CommandDef = {
  name: 'tail',
  summary: "print the events that pass one rule's filter and conditions",
  configure: (c) => c.requiredOption('--rule <id>', 'rule id'),
  async run({ opts, io, configPath, configExplicit }) {
    const id = String(opts['rule']);
    const { config, ruleSet, warnings } = await loadProject({ configPath, configRequired: configExplicit, env: io.env, cwd: io.cwd });
    for (const w of warnings) io.stderr.write(formatProblem(w) + '\n');
    const found = ruleSet.rules.find((r) => r.id === id);
    if (!found) {
      const known = ruleSet.rules.map((r) => r.id).sort();
      io.stderr.write(`tailwatch tail: no rule "${id}"${known.length ? ` (rules: ${known.slice(0, 20).join(', ')}${known.length > 20 ? ', …' : ''})` : ''}\n`);
      return EXIT_USAGE;
    }
    const rule: Rule = found.enabled ? found : { ...found, enabled: true };
    let cr: CompiledRule;
    try {
      cr = compileRule(rule);
    } catch (err) {
      if (err instanceof RuleCompileError) {
        const pos = err.pos ?? { file: '', line: 1, col: 1 };
        throw new UserError({ file: pos.file, line: pos.line, col: pos.col, message: `rule "${id}": ${err.message}`, severity: 'error', code: 'rule-compile', ruleId: id });
      }
      throw err;
    }
    const logger = pino({ level: 'warn', base: undefined, formatters: { level: (label: string) => ({ level: label }) } }, plainLog(io.stderr));
    let refused: (line: string) => void = () => undefined;
    const failed = new Promise<string>((resolve) => (refused = resolve));
    const source = createLiveTailSource({
      config,
      logger,
      env: io.env,
      metrics: {
        sessionStarted: () => undefined,
        sessionRestarted: () => undefined,
        sampledUpdate: () => undefined,
        backfilled: () => undefined,
        pollFailed: (poll, reason) => {
          const what = REFUSED[reason];
          if (what === undefined) return;
          const group = source.plan()?.polls.find((p) => p.id === poll)?.params.logGroupIdentifiers[0];
          refused(`tailwatch tail: rule "${id}" cannot be tailed: FilterLogEvents refused poll ${poll}: ${what}${group ? ` — log group: ${group}` : ''}\n`);
        },
      },
      onRestart: (info) => {
        const what = REFUSED[info.reason];
        if (what !== undefined) {
          const groups = source.plan()?.sessions.find((s) => s.id === info.session)?.params.logGroupIdentifiers ?? [];
          refused(`tailwatch tail: rule "${id}" cannot be tailed: Live Tail refused session ${info.session}: ${what}${info.error ? ` (${info.error})` : ''}${groups.length ? ` — log groups: ${groups.join(', ')}` : ''}\n`);
        } else if (!QUIET.has(info.reason)) io.stderr.write(formatRestartLine(info));
      },
      onEvents: ({ events }) => {
        let out = '';
        for (const e of events) if (passes(cr, e)) out += formatTailLine(e);
        if (out !== '') io.stdout.write(out);
      },
    });
    const stopped = new Promise<string>((resolve) => {
      const on = (sig: string) => () => resolve(sig);
      process.once('SIGINT', on('SIGINT'));
      process.once('SIGTERM', on('SIGTERM'));
    });
    try {
      await source.apply({ rules: [rule], files: ruleSet.files }, config);
      const plan = source.plan();
      if (plan && plan.unplaced.length > 0) {
        for (const u of plan.unplaced) io.stderr.write(`tailwatch tail: rule "${u.rule}" has no session: ${u.reason}\n`);
        return EXIT_FAILED;
      }
      for (const u of plan?.partlyServed ?? []) io.stderr.write(`tailwatch tail: rule "${u.rule}" is tailed on some of its log groups only: ${u.reason}\n`);
      const s = plan?.sessions[0];
      if (s) io.stderr.write(`tailing rule ${id}: session ${s.id} on ${s.params.logGroupIdentifiers.join(', ')} (Ctrl-C to stop)\n`);
      const polls = plan?.polls ?? [];
      if (polls.length > 0) {
        const p = polls[0]!;
        const every = `every ${formatDuration(p.intervalMs)}, up to ${formatDuration(p.lagMs)} before now`;
        io.stderr.write(`tailing rule ${id} (polled): ${polls.map((x) => x.params.logGroupIdentifiers[0]).join(', ')} read with FilterLogEvents ${every} (Ctrl-C to stop)\n`);
      }
      const outcome = await Promise.race([stopped.then(() => undefined), failed]);
      if (outcome !== undefined) {
        io.stderr.write(outcome);
        return EXIT_USAGE;
      }
      return EXIT_OK;
    } finally {
      await source.stop();
    }
  },
};
