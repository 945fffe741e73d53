/**
 * The session planner: rules → Live Tail sessions within the
 * per-region quota. Pure and deterministic: same rules, config and ARNs →
 * same plan. `precise` gives each distinct source its own session and merges
 * only beyond `sessions.maxConcurrent` (same log groups first, then the pair
 * with the fewest log groups together); `economical` packs every log group
 * of a region into as few sessions as the API allows (10 groups each);
 * `adaptive` packs like economical, except that the rules on log groups a
 * split decision names (./adaptive.ts: their session was sampled too often)
 * are placed as precise would place them, as far as the quota allows.
 * A session's stream filter survives only where the API allows it (one log
 * group, every rule of the session filtering streams the same way); its
 * pattern is the exact union of its rules' patterns or none (./union.ts).
 * The engine re-checks every rule's streams and pattern locally, so
 * widening a session never changes what a rule sees.
 */
import { logGroupArn, logGroupNameOf, logGroupTargets, MAX_GROUPS_PER_SESSION, MAX_STREAM_FILTERS, MINUTES_A_MONTH, stableJson } from '../aws/index.js';
import type { Config, Rule, RuleSet } from '../model/config.js';
import { money, pollId, sessionId, type Plan, type PollSpec, type SessionParams, type SessionSpec, type UnplacedRule } from './spec.js';
import { unionPattern } from './union.js';

/**
 * An adaptive split decision, as the planner needs it: the rules on these log groups get
 * sessions of their own sources (as `precise` places them). `key` names the decision.
 */
export interface SplitGroups {
  readonly key: string;
  readonly region: string;
  readonly logGroups: readonly string[];
}

/**
 * A log group name in a region → its ARN (without `:*`), or why it has none
 * (`lookupFailed`: the lookup itself failed — network, permissions — not "no such group").
 */
export type ArnResolver = (region: string, name: string) => string | { readonly unresolved: string; readonly lookupFailed?: boolean | undefined };

/** ARNs from `aws.accountId`, no network. */
export function accountArnResolver(accountId: string): ArnResolver {
  return (region, name) => logGroupArn(region, accountId, name);
}

/** One distinct source: the rules that ask for exactly these parameters. */
interface Unit {
  readonly key: string;
  readonly region: string;
  readonly groups: readonly string[];
  readonly streams?: readonly string[] | undefined;
  readonly prefixes?: readonly string[] | undefined;
  readonly pattern?: string | undefined;
  readonly rules: string[];
}

interface Bin {
  readonly groups: Set<string>;
  readonly members: Unit[];
  /** Adaptive: the split decisions whose rules this session serves. */
  splitOf?: string[];
}

/**
 * A log group (region, ARN) to leave out of every session, with the reason — groups a
 * session was refused for (missing, access denied). A rule left with none is unplaced;
 * a rule left with some is planned on those and listed in `partlyServed`.
 */
export type GroupExclusion = (region: string, arn: string) => string | undefined;

export interface PlanOptions {
  readonly exclude?: GroupExclusion | undefined;
  /** `adaptive`: the split decisions in force (others ignore them). */
  readonly splits?: readonly SplitGroups[] | undefined;
}

export function planSessions(ruleSet: RuleSet, config: Config, resolveArn: ArnResolver, opts: PlanOptions = {}): Plan {
  const unplaced: UnplacedRule[] = [];
  const partlyServed: UnplacedRule[] = [];
  const units = new Map<string, Unit>();
  const polled = new Map<string, PollUnit>();
  const rules = [...ruleSet.rules].filter((r) => r.enabled).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const rule of rules) {
    const placed = unitsOf(rule, config, resolveArn, opts.exclude);
    if ('reason' in placed) {
      unplaced.push({ rule: rule.id, reason: placed.reason });
      continue;
    }
    if (placed.skipped.length > 0) partlyServed.push({ rule: rule.id, reason: `served without ${placed.skipped.join('; ')}` });
    const feed = rule.feed;
    if (feed?.kind === 'poll') {
      // A polled rule gets no session (that is what it saves): one poll per log group, interval and lag.
      for (const u of placed.units) {
        for (const arn of u.groups) {
          const key = stableJson({ region: u.region, arn, intervalMs: feed.intervalMs, lagMs: feed.lagMs });
          const one = u.groups.length === 1;
          const member: Unit = { ...u, groups: [arn], streams: one ? u.streams : undefined, prefixes: one ? u.prefixes : undefined };
          const existing = polled.get(key);
          if (existing) existing.members.push(member);
          else polled.set(key, { region: u.region, arn, intervalMs: feed.intervalMs, lagMs: feed.lagMs, members: [member] });
        }
      }
      continue;
    }
    for (const u of placed.units) {
      const existing = units.get(u.key);
      if (existing) existing.rules.push(rule.id);
      else units.set(u.key, u);
    }
  }
  const byRegion = new Map<string, Unit[]>();
  for (const u of [...units.values()].sort((a, b) => cmp(a.key, b.key))) {
    const list = byRegion.get(u.region) ?? [];
    list.push(u);
    byRegion.set(u.region, list);
  }
  const sessions: SessionSpec[] = [];
  const max = Math.max(0, config.sessions.maxConcurrent);
  const overQuota = new Map<string, string>();
  for (const region of [...byRegion.keys()].sort(cmp)) {
    const regionUnits = byRegion.get(region)!;
    const strategy = config.sessions.strategy;
    let bins: Bin[];
    if (strategy === 'adaptive') bins = packAdaptive(regionUnits, max, (opts.splits ?? []).filter((x) => x.region === region));
    else bins = strategy === 'economical' ? packEconomical(regionUnits) : packPrecise(regionUnits, max);
    if (bins.length > max) {
      // Keep the sessions serving the most rules; report the rest.
      const ranked = bins.map((b, i) => ({ b, i, n: ruleIds(b).length })).sort((x, y) => y.n - x.n || x.i - y.i);
      const kept = new Set(ranked.slice(0, max).map((x) => x.i));
      const servedByKept = new Set(bins.filter((_, i) => kept.has(i)).flatMap(ruleIds));
      for (const x of ranked.slice(max)) {
        for (const id of ruleIds(x.b)) {
          const partly = servedByKept.has(id) ? 'some of its log groups need' : 'needs';
          overQuota.set(id, `${partly} a session beyond sessions.maxConcurrent (${max}) in ${region}`);
        }
      }
      bins = bins.filter((_, i) => kept.has(i));
    }
    for (const b of bins) sessions.push(buildSession(region, b, config.sessions.pricePerMinute));
  }
  for (const [rule, reason] of [...overQuota].sort((a, b) => cmp(a[0], b[0]))) unplaced.push({ rule, reason });
  sessions.sort((a, b) => cmp(a.region, b.region) || cmp(a.params.logGroupIdentifiers.join('\n'), b.params.logGroupIdentifiers.join('\n')) || cmp(a.id, b.id));
  unplaced.sort((a, b) => cmp(a.rule, b.rule));
  const polls = [...polled.values()].map(buildPoll).sort((a, b) => cmp(a.region, b.region) || cmp(a.params.logGroupIdentifiers[0]!, b.params.logGroupIdentifiers[0]!) || a.intervalMs - b.intervalMs || a.lagMs - b.lagMs || cmp(a.id, b.id));
  return { sessions, polls, unplaced, partlyServed, monthlyCost: money(sessions.reduce((s, x) => s + x.monthlyCost, 0)) };
}

/** The polled rules' sources on one log group with one interval and lag. */
interface PollUnit {
  readonly region: string;
  readonly arn: string;
  readonly intervalMs: number;
  readonly lagMs: number;
  readonly members: Unit[];
}

/**
 * One poll: its stream filter and pattern are what a shared session of one log group would
 * send (the union of its rules'; none when they differ in kind); the engine re-checks each
 * rule's streams and pattern, so the union only saves transfer.
 */
function buildPoll(p: PollUnit): PollSpec {
  const session = buildSession(p.region, { groups: new Set([p.arn]), members: p.members }, 0);
  let params = session.params;
  // FilterLogEvents takes one prefix a call: several prefixes would multiply the calls, so they
  // are not sent (stream names go in one call).
  if ((params.logStreamNamePrefixes?.length ?? 0) > 1) {
    const { logStreamNamePrefixes: _dropped, ...rest } = params;
    params = rest;
  }
  const perInterval = 1;
  return {
    id: pollId(p.region, params, p.intervalMs, p.lagMs),
    region: p.region,
    params,
    intervalMs: p.intervalMs,
    lagMs: p.lagMs,
    rules: session.rules,
    callsPerMinute: Math.round(((perInterval * 60_000) / p.intervalMs) * 100) / 100,
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function ruleIds(b: Bin): string[] {
  return [...new Set(b.members.flatMap((m) => m.rules))].sort(cmp);
}

function unitsOf(rule: Rule, config: Config, resolveArn: ArnResolver, exclude: GroupExclusion | undefined): { units: Unit[]; skipped: string[] } | { reason: string } {
  const src = rule.source;
  if (src.logGroups.length === 0) return { reason: 'no log groups' };
  const perRegion = new Map<string, Set<string>>();
  const skipped: string[] = [];
  for (const t of logGroupTargets(src)) {
    const g = t.written;
    let arn: string;
    let region: string | undefined;
    if (t.arn !== undefined) {
      arn = t.arn;
      if (arn.endsWith('*')) return { reason: `log group ARN "${g}" has a wildcard (Live Tail takes exact ARNs)` };
      region = t.region;
      if (region === undefined) return { reason: `"${g}" is not a log group ARN` };
    } else {
      region = src.region ?? config.aws.region;
      if (region === undefined) return { reason: `no region for log group "${g}" (set aws.region, or name the log group by its ARN)` };
      const r = resolveArn(region, g);
      if (typeof r !== 'string') {
        // Not there yet (a Lambda group before its first invocation) or not looked up: the rule's other groups are still served.
        skipped.push(r.unresolved);
        continue;
      }
      arn = r;
    }
    const why = exclude?.(region, arn);
    if (why !== undefined) {
      skipped.push(`log group "${logGroupNameOf(arn)}": ${why}`);
      continue;
    }
    const set = perRegion.get(region) ?? new Set<string>();
    set.add(arn);
    perRegion.set(region, set);
  }
  if (perRegion.size === 0) return { reason: skipped.join('; ') };
  const pattern = src.filterPattern?.trim() ? src.filterPattern.trim() : undefined;
  const units: Unit[] = [];
  for (const [region, set] of perRegion) {
    const groups = [...set].sort(cmp);
    if (groups.length > MAX_GROUPS_PER_SESSION) return { reason: `more than ${MAX_GROUPS_PER_SESSION} log groups in ${region}` };
    // Stream filters are sent only where the API takes them; the engine checks them anyway.
    const one = groups.length === 1;
    const streams = one && src.logStreams?.length && !src.logStreamPrefixes?.length ? [...new Set(src.logStreams)].sort(cmp) : undefined;
    const prefixes = one && src.logStreamPrefixes?.length && !src.logStreams?.length ? [...new Set(src.logStreamPrefixes)].sort(cmp) : undefined;
    const key = stableJson({ region, groups, streams, prefixes, pattern });
    units.push({ key, region, groups, streams, prefixes, pattern, rules: [rule.id] });
  }
  return { units, skipped };
}

function packPrecise(units: readonly Unit[], max: number): Bin[] {
  let bins: Bin[] = units.map((u) => ({ groups: new Set(u.groups), members: [u] }));
  if (bins.length <= max) return bins;
  // 1. Sources over the same log groups share a session (only the stream filter or pattern widens).
  const classes = new Map<string, Bin[]>();
  for (const b of bins) {
    const k = [...b.groups].join('\n');
    classes.set(k, [...(classes.get(k) ?? []), b]);
  }
  for (const k of [...classes.keys()].sort(cmp)) {
    if (bins.length <= max) break;
    const same = classes.get(k)!;
    if (same.length < 2) continue;
    const merged: Bin = { groups: new Set(same[0]!.groups), members: same.flatMap((b) => b.members) };
    bins = bins.filter((b) => !same.includes(b));
    bins.push(merged);
  }
  bins.sort((a, b) => cmp(binKey(a), binKey(b)));
  const sameGroupBins = bins;
  // 2. Then the pair with the fewest log groups together, while it fits in one session.
  while (bins.length > max) {
    let best: [number, number, number] | undefined;
    for (let i = 0; i < bins.length; i++) {
      for (let j = i + 1; j < bins.length; j++) {
        const size = new Set([...bins[i]!.groups, ...bins[j]!.groups]).size;
        if (size <= MAX_GROUPS_PER_SESSION && (best === undefined || size < best[2])) best = [i, j, size];
      }
    }
    if (best === undefined) return firstFitDecreasing(sameGroupBins);
    const [i, j] = best;
    const merged: Bin = { groups: new Set([...bins[i]!.groups, ...bins[j]!.groups]), members: [...bins[i]!.members, ...bins[j]!.members] };
    bins = bins.filter((_, k) => k !== i && k !== j);
    bins.push(merged);
    bins.sort((a, b) => cmp(binKey(a), binKey(b)));
  }
  return bins;
}

/**
 * Balanced merging got stuck (e.g. 4 + 4 + 3 groups): repack the sessions
 * fullest-first into as few as fit 10 groups each.
 */
function firstFitDecreasing(bins: readonly Bin[]): Bin[] {
  const sorted = [...bins].sort((a, b) => b.groups.size - a.groups.size || cmp(binKey(a), binKey(b)));
  const out: Bin[] = [];
  for (const b of sorted) {
    const into = out.find((o) => new Set([...o.groups, ...b.groups]).size <= MAX_GROUPS_PER_SESSION);
    if (into) {
      for (const g of b.groups) into.groups.add(g);
      into.members.push(...b.members);
    } else out.push({ groups: new Set(b.groups), members: [...b.members] });
  }
  return out.sort((a, b) => cmp(binKey(a), binKey(b)));
}

function binKey(b: Bin): string {
  return [...b.groups].sort(cmp).join('\n') + '\u0000' + b.members.map((m) => m.key).join('\u0001');
}

/**
 * Economical, except for the sources on the log groups of split decisions: those are placed as
 * precise places them, in the sessions the economical rest leaves under the quota. Decisions
 * are taken in order, each only if the layout with it still fits (else it has no effect).
 */
function packAdaptive(units: readonly Unit[], max: number, splits: readonly SplitGroups[]): Bin[] {
  let best = packEconomical(units);
  const taken: SplitGroups[] = [];
  for (const split of [...splits].sort((a, b) => cmp(a.key, b.key))) {
    const trial = [...taken, split];
    const groups = new Set(trial.flatMap((x) => x.logGroups));
    const touched = (u: Unit): boolean => u.groups.some((g) => groups.has(g));
    const splitUnits = units.filter(touched);
    if (splitUnits.length === 0) continue;
    const rest = packEconomical(units.filter((u) => !touched(u)));
    const room = max - rest.length;
    if (room < 1) continue;
    const parts = packPrecise(splitUnits, room);
    if (parts.length > room) continue;
    for (const b of parts) {
      const of = trial.filter((x) => b.members.some((m) => m.groups.some((g) => x.logGroups.includes(g)))).map((x) => x.key);
      b.splitOf = of;
    }
    taken.push(split);
    best = [...rest, ...parts];
  }
  return best;
}

/** Every log group of the region once, a rule's groups kept adjacent, 10 to a session. */
function packEconomical(units: readonly Unit[]): Bin[] {
  const order: string[] = [];
  const seen = new Set<string>();
  for (const u of units) for (const g of u.groups) if (!seen.has(g)) (seen.add(g), order.push(g));
  const bins: Bin[] = [];
  for (let i = 0; i < order.length; i += MAX_GROUPS_PER_SESSION) {
    const groups = new Set(order.slice(i, i + MAX_GROUPS_PER_SESSION));
    bins.push({ groups, members: units.filter((u) => u.groups.some((g) => groups.has(g))) });
  }
  return bins;
}

function buildSession(region: string, bin: Bin, pricePerMinute: number): SessionSpec {
  const groups = [...bin.groups].sort(cmp);
  const members = bin.members;
  let logStreamNames: string[] | undefined;
  let logStreamNamePrefixes: string[] | undefined;
  if (groups.length === 1) {
    if (members.every((m) => m.streams)) logStreamNames = [...new Set(members.flatMap((m) => m.streams!))].sort(cmp);
    else if (members.every((m) => m.prefixes)) logStreamNamePrefixes = [...new Set(members.flatMap((m) => m.prefixes!))].sort(cmp);
    if (logStreamNames && logStreamNames.length > MAX_STREAM_FILTERS) logStreamNames = undefined;
    if (logStreamNamePrefixes && logStreamNamePrefixes.length > MAX_STREAM_FILTERS) logStreamNamePrefixes = undefined;
  }
  const pattern = unionPattern(members.map((m) => m.pattern));
  const params: SessionParams = {
    logGroupIdentifiers: groups,
    ...(logStreamNames ? { logStreamNames } : {}),
    ...(logStreamNamePrefixes ? { logStreamNamePrefixes } : {}),
    ...(pattern !== undefined ? { logEventFilterPattern: pattern } : {}),
  };
  return {
    id: sessionId(region, params),
    region,
    params,
    rules: ruleIds(bin),
    monthlyCost: money(MINUTES_A_MONTH * pricePerMinute),
    ...(bin.splitOf?.length ? { splitOf: [...bin.splitOf].sort(cmp) } : {}),
  };
}

/** Log group names of a session's identifiers, for routing events (the engine routes by name). */
export function sessionGroupNames(spec: SessionSpec): string[] {
  return spec.params.logGroupIdentifiers.map(logGroupNameOf);
}
