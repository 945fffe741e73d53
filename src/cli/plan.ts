/**
 * `tailwatch plan [--format text|json]`: the Live Tail sessions `run` would
 * open, and what every strategy would cost side by side. With
 * `aws.accountId` it needs no network; otherwise log group names are looked
 * up with DescribeLogGroups. When the daemon's plan state exists
 * (`state.dir/plan-state.json`), the adaptive plan includes the splits it
 * decided and each session shows what the daemon observed: events an
 * update, sampled share. Exit 0 when every rule has a session, 1 when some
 * rule is unplaced (the checked thing failed), 2 when a log group could not
 * be looked up (endpoint unreachable: I/O error).
 *
 * Every rule's feed is listed (live: its sessions; polled: its polls, their
 * FilterLogEvents calls a minute). `--suggest` names the live rules whose
 * windows are long enough to be polled (./plan-suggest.ts) and the plan and
 * cost with them polled.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadProject } from '../config/load.js';
import { SESSION_STRATEGIES, type Config, type SessionStrategy } from '../model/config.js';
import { formatDuration } from '../duration.js';
import { formatProblem } from '../problems.js';
import { suggestPolling, withSuggestions, type Suggestion } from './plan-suggest.js';
import {
  activeSplits,
  ClientPool,
  MINUTES_A_MONTH,
  PLAN_STATE_FILE,
  parsePlanState,
  planSessions,
  pollJson,
  resolveArns,
  sessionJson,
  splitKey,
  type ObservedSession,
  type Plan,
  type PlanStateFile,
  type PollSpec,
  type SessionSpec,
  type SplitRecord,
} from '../livetail/index.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CommandDef } from './command.js';

/** One strategy's plan in the comparison. */
export interface StrategyCost {
  readonly strategy: SessionStrategy;
  readonly sessions: number;
  readonly monthlyCost: number;
  readonly unplaced: number;
  /** Adaptive: sessions that are parts of a split. */
  readonly split?: number | undefined;
}

/** What the daemon's state file says about the sessions of the plan shown. */
export interface PlanObservations {
  /** Where it was read, as shown to the user. */
  readonly file: string;
  readonly savedAt: string;
  readonly sessions: ReadonlyMap<string, ObservedSession>;
  readonly splits: readonly SplitRecord[];
}

export interface PlanTextInfo {
  readonly strategy: string;
  readonly maxConcurrent: number;
  readonly pricePerMinute: number;
  /** Every strategy's cost, the configured one first. */
  readonly strategies?: readonly StrategyCost[] | undefined;
  readonly observed?: PlanObservations | undefined;
  /** `ha.replicas`: identical daemons, each running every session (default 1). */
  readonly replicas?: number | undefined;
  /** Each rule's feed as written: undefined = live. */
  readonly feeds?: ReadonlyMap<string, { intervalMs: number; lagMs: number } | undefined> | undefined;
  /** `aws.filterLogEventsPerSecond` (default 5). */
  readonly filterPerSecond?: number | undefined;
  readonly suggest?: SuggestOutcome | undefined;
}

/** `--suggest`: the rules that could be polled and the configured strategy's plan with them polled. */
export interface SuggestOutcome {
  readonly suggestions: readonly Suggestion[];
  /** Per strategy, the configured one first. */
  readonly strategies: readonly { readonly strategy: SessionStrategy; readonly before: PlanTotals; readonly after: PlanTotals }[];
}

export interface PlanTotals {
  readonly sessions: number;
  readonly polls: number;
  readonly monthlyCost: number;
  readonly filterLogEventsPerMinute: number;
}

export function planTotals(plan: Plan): PlanTotals {
  return { sessions: plan.sessions.length, polls: plan.polls.length, monthlyCost: plan.monthlyCost, filterLogEventsPerMinute: callsPerMinute(plan.polls) };
}

function saves(before: PlanTotals, after: PlanTotals): number {
  return Math.round((before.monthlyCost - after.monthlyCost) * 100) / 100;
}

function callsPerMinute(polls: readonly PollSpec[]): number {
  return Math.round(polls.reduce((s, p) => s + p.callsPerMinute, 0) * 100) / 100;
}

const every = (intervalMs: number, lagMs: number): string => `every ${formatDuration(intervalMs)}, lag ${formatDuration(lagMs)}`;

const usd = (x: number): string => `$${x.toFixed(2)}`;
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function observedText(o: ObservedSession): string {
  return `${o.eventsPerUpdate} events/update (peak ${o.peakEventsPerUpdate}), sampled in ${o.sampledUpdates} of the last ${o.windowUpdates} updates (${Math.round(o.sampledShare * 100)}%), ${o.updates} updates in all`;
}

/** The split decisions a session is a part of. */
function splitsOf(s: SessionSpec, observed: PlanObservations | undefined): SplitRecord[] {
  if (!s.splitOf?.length || !observed) return [];
  return observed.splits.filter((r) => r.active && s.splitOf!.includes(splitKey(r)));
}

export function formatPlanText(plan: Plan, info: PlanTextInfo): string {
  const lines: string[] = [];
  const n = plan.sessions.length;
  lines.push(`Live Tail plan: ${n} session${n === 1 ? '' : 's'} (strategy ${info.strategy}, at most ${info.maxConcurrent} per region)`);
  if (info.observed) lines.push(`Observed by tailwatch run (${info.observed.file}, saved ${info.observed.savedAt})`);
  for (const s of plan.sessions) {
    lines.push('');
    lines.push(`${s.id}  ${s.region}  ${MINUTES_A_MONTH} session-minutes/month  ${usd(s.monthlyCost)}/month`);
    lines.push(`  log groups:      ${s.params.logGroupIdentifiers.join('\n                   ')}`);
    if (s.params.logStreamNames) lines.push(`  log streams:     ${s.params.logStreamNames.join(', ')}`);
    if (s.params.logStreamNamePrefixes) lines.push(`  stream prefixes: ${s.params.logStreamNamePrefixes.join(', ')}`);
    lines.push(`  filter pattern:  ${s.params.logEventFilterPattern ?? '(none: every event, each rule filters locally)'}`);
    lines.push(`  rules:           ${s.rules.join(', ')}`);
    const o = info.observed?.sessions.get(s.id);
    if (info.observed) lines.push(`  observed:        ${o ? observedText(o) : '(not running when the state was saved)'}`);
    for (const r of splitsOf(s, info.observed)) lines.push(`  split:           from ${r.from} since ${r.since}: ${r.reason}${r.merges > 0 ? ' (split again after a merge: stays split)' : ''}`);
  }
  for (const p of plan.polls) {
    lines.push('');
    lines.push(`${p.id}  ${p.region}  polled ${every(p.intervalMs, p.lagMs)}  ${p.callsPerMinute} FilterLogEvents calls/minute  no session`);
    lines.push(`  log group:       ${p.params.logGroupIdentifiers[0]}`);
    if (p.params.logStreamNames) lines.push(`  log streams:     ${p.params.logStreamNames.join(', ')}`);
    if (p.params.logStreamNamePrefixes) lines.push(`  stream prefixes: ${p.params.logStreamNamePrefixes.join(', ')}`);
    lines.push(`  filter pattern:  ${p.params.logEventFilterPattern ?? '(none: every event, each rule filters locally)'}`);
    lines.push(`  rules:           ${p.rules.join(', ')}`);
  }
  if (info.feeds && info.feeds.size > 0) {
    lines.push('');
    lines.push('Feeds:');
    const served = (id: string, of: readonly { id: string; rules: readonly string[] }[]): string => of.filter((x) => x.rules.includes(id)).map((x) => x.id).join(', ');
    const rows = [...info.feeds].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([id, f]) => [id, f ? `polled ${every(f.intervalMs, f.lagMs)}` : 'live', (f ? served(id, plan.polls) : served(id, plan.sessions)) || '(unplaced)']);
    const w = [0, 1].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows) lines.push(`  ${r[0]!.padEnd(w[0]!)}  ${r[1]!.padEnd(w[1]!)}  ${r[2]}`);
  }
  if (plan.unplaced.length > 0) {
    lines.push('');
    lines.push(`Unplaced rules (${plan.unplaced.length}):`);
    for (const u of plan.unplaced) lines.push(`  ${u.rule}: ${u.reason}`);
  }
  lines.push('');
  lines.push(`Total: ${n} session${n === 1 ? '' : 's'}, ${n * MINUTES_A_MONTH} session-minutes/month, ${usd(plan.monthlyCost)}/month at $${info.pricePerMinute} per session-minute`);
  const replicas = info.replicas ?? 1;
  if (replicas > 1) lines.push(`With ha.replicas ${replicas} (each replica runs every session): ${replicas * n} sessions, ${usd(replicas * plan.monthlyCost)}/month`);
  if (plan.polls.length > 0) {
    const perSecond = info.filterPerSecond ?? 5;
    lines.push(`Polls: ${plural(plan.polls.length, 'poll')}, ${callsPerMinute(plan.polls)} FilterLogEvents calls/minute of the ${perSecond * 60} a minute aws.filterLogEventsPerSecond allows (shared with backfills and completions, which go first)`);
  }
  if (info.suggest) {
    const { suggestions } = info.suggest;
    lines.push('');
    if (suggestions.length === 0) lines.push(`Suggestions: none (a live rule qualifies when a poll interval of at least 1m is a tenth of its window or less)`);
    else {
      lines.push(`Suggestions: ${plural(suggestions.length, 'rule')} with windows long enough to poll (each fires at most poll + lag later, a tenth of its window plus the lag):`);
      const rows = suggestions.map((x) => [x.rule, x.window, `feed: { poll: ${formatDuration(x.pollMs)} }`, `at most ${formatDuration(x.laterByMs)} later`]);
      const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
      for (const r of rows) lines.push(`  ${r[0]!.padEnd(w[0]!)}  ${r[1]!.padEnd(w[1]!)}  ${r[2]!.padEnd(w[2]!)}  ${r[3]}`);
      lines.push('Applied:');
      for (const { strategy, before, after } of info.suggest.strategies) {
        const name = strategy === info.strategy ? `${strategy} (configured)` : strategy;
        lines.push(`  ${name}: ${plural(before.sessions, 'session')} → ${plural(after.sessions, 'session')}, ${usd(before.monthlyCost)} → ${usd(after.monthlyCost)}/month (saves ${usd(saves(before, after))}), FilterLogEvents ${before.filterLogEventsPerMinute} → ${after.filterLogEventsPerMinute} calls/minute`);
      }
      if (saves(info.suggest.strategies[0]!.before, info.suggest.strategies[0]!.after) === 0) lines.push('  (no saving with the configured strategy: the live rules left still need every session; polling pays when it frees one)');
    }
  }
  if (info.strategies?.length) {
    lines.push('');
    lines.push('Monthly cost by strategy:');
    const rows = info.strategies.map((c) => {
      const name = c.strategy === info.strategy ? `${c.strategy} (configured)` : c.strategy;
      const notes: string[] = [];
      if (c.split) notes.push(`${c.split} of them split off sampled sessions`);
      if (c.unplaced) notes.push(`${plural(c.unplaced, 'rule')} unplaced`);
      return [name, plural(c.sessions, 'session'), `${usd(c.monthlyCost)}/month`, notes.join('; ')];
    });
    const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows) lines.push(`  ${r[0]!.padEnd(w[0]!)}  ${r[1]!.padEnd(w[1]!)}  ${r[2]!.padEnd(w[2]!)}  ${r[3]}`.trimEnd());
    const adaptive = info.strategies.find((c) => c.strategy === 'adaptive');
    const precise = info.strategies.find((c) => c.strategy === 'precise');
    if (adaptive && precise) lines.push(`  adaptive starts as economical and splits only sessions Live Tail samples (at most ${precise.sessions} sessions, ${usd(precise.monthlyCost)}/month)`);
  }
  return lines.join('\n') + '\n';
}

/** The daemon's plan state in `state.dir`, if there is a readable one (a warning on stderr otherwise). */
function readPlanState(config: Config, cwd: string, warn: (line: string) => void): { file: string; state: PlanStateFile } | undefined {
  const full = path.join(config.state.dir, PLAN_STATE_FILE);
  const rel = path.relative(cwd, full);
  const file = rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : full;
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') warn(`tailwatch plan: ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; shown without observed rates`);
    return undefined;
  }
  let state: PlanStateFile | undefined;
  try {
    state = parsePlanState(JSON.parse(text));
  } catch {
    state = undefined;
  }
  if (!state) {
    warn(`tailwatch plan: ${file}: not a plan state this version of tailwatch wrote; shown without observed rates`);
    return undefined;
  }
  return { file, state };
}

export const planCommand: CommandDef = {
  name: 'plan',
  summary: 'print the Live Tail sessions run would open, and every strategy’s cost',
  configure: (c) => c.option('--format <format>', 'text | json', 'text').option('--suggest', 'name the rules whose windows are long enough to poll, and what polling them would save'),
  async run({ opts, io, configPath, configExplicit }) {
    const format = String(opts['format'] ?? 'text');
    if (format !== 'text' && format !== 'json') {
      io.stderr.write(`tailwatch plan: --format must be text or json, not "${format}"\n`);
      return EXIT_USAGE;
    }
    const { config, ruleSet, warnings } = await loadProject({ configPath, configRequired: configExplicit, env: io.env, cwd: io.cwd });
    for (const w of warnings) io.stderr.write(formatProblem(w) + '\n');
    const saved = readPlanState(config, io.cwd, (line) => io.stderr.write(line + '\n'));
    const splits = saved ? activeSplits({ splits: saved.state.splits }) : [];
    const pool = new ClientPool(config.aws, io.env);
    const plans = new Map<SessionStrategy, Plan>();
    const lookupFailures = new Set<string>();
    let suggest: SuggestOutcome | undefined;
    try {
      const resolver = await resolveArns(ruleSet, config, (region) => pool.get(region, 'api'));
      const resolve = (region: string, name: string) => {
        const r = resolver(region, name);
        if (typeof r !== 'string' && r.lookupFailed) lookupFailures.add(r.unresolved);
        return r;
      };
      for (const strategy of SESSION_STRATEGIES) plans.set(strategy, planSessions(ruleSet, { ...config, sessions: { ...config.sessions, strategy } }, resolve, { splits }));
      if (opts['suggest']) {
        const suggestions = suggestPolling(ruleSet);
        const polled = withSuggestions(ruleSet, suggestions);
        const order = [config.sessions.strategy, ...SESSION_STRATEGIES.filter((x) => x !== config.sessions.strategy)];
        suggest = {
          suggestions,
          strategies: order.map((strategy) => {
            const cfg = { ...config, sessions: { ...config.sessions, strategy } };
            return { strategy, before: planTotals(plans.get(strategy)!), after: planTotals(planSessions(polled, cfg, resolve, { splits })) };
          }),
        };
      }
    } finally {
      pool.destroy();
    }
    // The endpoint could not be asked (unreachable, refused): no plan to show — an I/O error.
    if (lookupFailures.size > 0) {
      const [first] = lookupFailures;
      const more = lookupFailures.size > 1 ? ` (and ${lookupFailures.size - 1} more)` : '';
      io.stderr.write(`tailwatch plan: ${first}${more}\n`);
      return EXIT_USAGE;
    }
    const configured = config.sessions.strategy;
    let plan = plans.get(configured)!;
    // A rule served on only some of its log groups is reported with the unplaced ones (the plan's output has no other list).
    const unplaced = [...plan.unplaced, ...plan.partlyServed.map((u) => ({ rule: u.rule, reason: `some of its log groups are unavailable: ${u.reason}` }))].sort((a, b) => (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
    plan = { ...plan, unplaced };
    const order = [configured, ...SESSION_STRATEGIES.filter((s) => s !== configured)];
    const strategies: StrategyCost[] = order.map((strategy) => {
      const p = plans.get(strategy)!;
      const split = p.sessions.filter((s) => s.splitOf?.length).length;
      return { strategy, sessions: p.sessions.length, monthlyCost: p.monthlyCost, unplaced: p.unplaced.length, ...(split > 0 ? { split } : {}) };
    });
    const observed: PlanObservations | undefined = saved ? { file: saved.file, savedAt: saved.state.savedAt, sessions: new Map(saved.state.sessions.map((s) => [s.id, s])), splits: saved.state.splits } : undefined;
    if (format === 'json') {
      const sessions = plan.sessions.map((s) => {
        const o: Record<string, unknown> = sessionJson(s);
        const seen = observed?.sessions.get(s.id);
        if (seen) {
          const { id: _id, region: _region, rules: _rules, ...rates } = seen;
          o['observed'] = rates;
        }
        const [split] = splitsOf(s, observed);
        if (split) o['split'] = { from: split.from, since: split.since, reason: split.reason, stays: split.merges > 0 };
        return o;
      });
      const feeds = Object.fromEntries([...ruleSet.rules].filter((r) => r.enabled).sort((a, b) => (a.id < b.id ? -1 : 1)).map((r) => [r.id, r.feed?.kind === 'poll' ? { poll: r.feed.intervalMs / 1000, lag: r.feed.lagMs / 1000 } : 'live']));
      const out: Record<string, unknown> = { sessions, unplaced: plan.unplaced, monthlyCost: plan.monthlyCost, polls: plan.polls.map(pollJson), filterLogEventsPerMinute: callsPerMinute(plan.polls), feeds, strategy: configured, strategies: Object.fromEntries(strategies.map(({ strategy, ...c }) => [strategy, c])) };
      if (suggest) {
        out['suggest'] = {
          rules: suggest.suggestions.map((x) => ({ rule: x.rule, window: x.window, feed: { poll: x.pollMs / 1000, lag: x.lagMs / 1000 }, laterBy: x.laterByMs / 1000 })),
          strategies: Object.fromEntries(suggest.strategies.map(({ strategy, before, after }) => [strategy, { before, after, saves: saves(before, after) }])),
        };
      }
      if (observed) out['observedAt'] = observed.savedAt;
      if (config.ha) Object.assign(out, { replicas: config.ha.replicas, replicasMonthlyCost: config.ha.replicas * plan.monthlyCost });
      io.stdout.write(JSON.stringify(out, null, 2) + '\n');
    } else {
      const feeds = new Map([...ruleSet.rules].filter((r) => r.enabled).map((r) => [r.id, r.feed?.kind === 'poll' ? { intervalMs: r.feed.intervalMs, lagMs: r.feed.lagMs } : undefined]));
      io.stdout.write(formatPlanText(plan, { strategy: configured, maxConcurrent: config.sessions.maxConcurrent, pricePerMinute: config.sessions.pricePerMinute, strategies, observed, feeds, filterPerSecond: config.aws.filterLogEventsPerSecond, suggest, replicas: config.ha?.replicas }));
    }
    return plan.unplaced.length > 0 ? EXIT_FAILED : EXIT_OK;
  },
};
