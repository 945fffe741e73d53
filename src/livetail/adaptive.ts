/**
 * The `adaptive` strategy's decisions, as a pure function of the rules, the
 * config and what the sessions observed: start economical (as few sessions
 * as the API allows); split a session that Live Tail sampled in more than
 * `splitAbove` of its last `window` updates into sessions of its rules' own
 * sources (as `precise` places them, within `sessions.maxConcurrent`); merge
 * the parts back only after a long quiet period — each part sampled in none
 * of its last `quietUpdates` updates, and their peaks together at most
 * `mergeBelowShare` of the cap — and only when the parts' rates bound what
 * the merged session would carry. A decision merged back once and needed
 * again stays for good: the strategy never flaps.
 *
 * Decisions are remembered in `state.dir/plan-state.json` (with each
 * session's observed rate, for `tailwatch plan`), so a restart starts with
 * the split sessions instead of merging and sampling again.
 */
import type { Config, RuleSet } from '../model/config.js';
import { planSessions, type ArnResolver, type GroupExclusion, type SplitGroups } from './planner.js';
import { groupNameOf, type Plan, type SessionSpec } from './spec.js';

export interface AdaptiveThresholds {
  /** Updates of the split window. */
  readonly window: number;
  /** A session sampled in more than this many of its last `window` updates is split. */
  readonly splitAbove: number;
  /** A split is merged back only when each part saw this many updates, none sampled… */
  readonly quietUpdates: number;
  /** …and the parts' peaks (events in one update) together stay at or below this share of the cap. */
  readonly mergeBelowShare: number;
}

/**
 * > 20 of 60 (a third of about a minute of updates) is sustained load over the cap, not a burst:
 * bursts are completed by FilterLogEvents without a re-plan. Merging wants ten times as long with
 * no sampled update at all, and half the cap: a rate that hovers around the cap never merges.
 */
export const ADAPTIVE_DEFAULTS: AdaptiveThresholds = { window: 60, splitAbove: 20, quietUpdates: 600, mergeBelowShare: 0.5 };

/** Live Tail's cap: beyond this many matching events in an update (about a second), it samples. */
export const LIVE_TAIL_CAP = 500;

/** What a session observed over its last updates. */
export interface ObservedStats {
  /** Updates since the session started (in this process). */
  readonly updates: number;
  /** The last `window` updates (fewer while fewer were seen) and how many were sampled. */
  readonly recent: { readonly updates: number; readonly sampled: number };
  /** The last `quietUpdates` updates: sampled ones, the most events one update carried, the mean. */
  readonly long: { readonly updates: number; readonly sampled: number; readonly peak: number; readonly mean: number };
  /** Events in the last sampled update: the service's sample size, i.e. its cap. */
  readonly sampleSize?: number | undefined;
}

/** The last updates of one session (events, sampled), a ring buffer. */
export class UpdateWindow {
  private readonly events: Uint32Array;
  private readonly sampled: Uint8Array;
  private next = 0;
  private count = 0;
  private total = 0;
  private lastSampleSize: number | undefined;

  constructor(private readonly thresholds: AdaptiveThresholds = ADAPTIVE_DEFAULTS) {
    const size = Math.max(thresholds.window, thresholds.quietUpdates, 1);
    this.events = new Uint32Array(size);
    this.sampled = new Uint8Array(size);
  }

  push(events: number, sampled: boolean): void {
    this.events[this.next] = Math.min(events, 0xffffffff);
    this.sampled[this.next] = sampled ? 1 : 0;
    this.next = (this.next + 1) % this.events.length;
    this.count = Math.min(this.count + 1, this.events.length);
    this.total++;
    if (sampled) this.lastSampleSize = events;
  }

  get updates(): number {
    return this.total;
  }

  stats(): ObservedStats {
    const size = this.events.length;
    const over = (n: number) => {
      const k = Math.min(n, this.count);
      let sampled = 0;
      let peak = 0;
      let sum = 0;
      for (let i = 1; i <= k; i++) {
        const j = (this.next - i + size) % size;
        sampled += this.sampled[j]!;
        const e = this.events[j]!;
        sum += e;
        if (e > peak) peak = e;
      }
      return { updates: k, sampled, peak, mean: k === 0 ? 0 : sum / k };
    };
    const recent = over(this.thresholds.window);
    return { updates: this.total, recent: { updates: recent.updates, sampled: recent.sampled }, long: over(this.thresholds.quietUpdates), sampleSize: this.lastSampleSize };
  }
}

/** A split decision: the rules on these log groups get sessions of their own sources. */
export interface SplitRecord {
  readonly region: string;
  /** ARNs, sorted. */
  readonly logGroups: readonly string[];
  /** The session that was split. */
  readonly from: string;
  /** ISO time of the decision. */
  readonly since: string;
  /** Why, e.g. `sampled in 34 of 60 updates`. */
  readonly reason: string;
  /** The cap the session was sampled at (its sampled updates' size). */
  readonly cap: number;
  /** Times it was merged back: a decision needed again after a merge stays (no flapping). */
  readonly merges: number;
  /** False once merged back (kept to remember `merges`). */
  readonly active: boolean;
}

export interface AdaptiveState {
  readonly splits: readonly SplitRecord[];
}

export const EMPTY_ADAPTIVE_STATE: AdaptiveState = { splits: [] };

export function splitKey(r: Pick<SplitRecord, 'region' | 'logGroups'>): string {
  return `${r.region}|${r.logGroups.join(',')}`;
}

export type AdaptiveChangeKind = 'split' | 'merge' | 'not-split' | 'stays-split';

export interface AdaptiveChange {
  readonly kind: AdaptiveChangeKind;
  readonly region: string;
  /** Log group names. */
  readonly logGroups: readonly string[];
  /** The sessions concerned now (the sampled one; the parts of a merge). */
  readonly sessions: readonly string[];
  /** The sessions that replace them (split, merge). */
  readonly into: readonly string[];
  /** `sampled in 34 of 60 updates`, and for the other kinds why nothing changed. */
  readonly reason: string;
}

export interface AdaptiveInput {
  readonly ruleSet: RuleSet;
  readonly config: Config;
  readonly resolveArn: ArnResolver;
  readonly exclude?: GroupExclusion | undefined;
  readonly state: AdaptiveState;
  /** By session id (the label `lt-…`). */
  readonly observed: ReadonlyMap<string, ObservedStats>;
  /** Epoch ms (the decisions' `since`). */
  readonly now: number;
  readonly thresholds?: AdaptiveThresholds | undefined;
}

export interface AdaptiveDecision {
  readonly state: AdaptiveState;
  /** The plan with the decisions of `state`. */
  readonly plan: Plan;
  readonly changes: readonly AdaptiveChange[];
}

/** The planner's view of the decisions in force. */
export function activeSplits(state: AdaptiveState): SplitGroups[] {
  return state.splits.filter((s) => s.active).map((s) => ({ key: splitKey(s), region: s.region, logGroups: s.logGroups }));
}

/**
 * Plans with the decisions of `state`, then takes new ones from what the sessions observed:
 * splits of sessions sampled too often (each only if the quota lets it change the layout),
 * merges of splits quiet for long. Decisions about log groups no rule names any more are
 * forgotten. Pure and deterministic.
 */
export function decideAdaptive(input: AdaptiveInput): AdaptiveDecision {
  const t = input.thresholds ?? ADAPTIVE_DEFAULTS;
  const { ruleSet, config, resolveArn, exclude, observed } = input;
  const planWith = (state: AdaptiveState, cfg: Config = config): Plan => planSessions(ruleSet, cfg, resolveArn, { exclude, splits: activeSplits(state) });
  // Forget decisions about log groups no session would serve.
  // (Groups left out for a while — missing, denied — keep their decisions.)
  const everyGroup = new Set(planSessions(ruleSet, { ...config, sessions: { ...config.sessions, strategy: 'precise', maxConcurrent: Number.MAX_SAFE_INTEGER } }, resolveArn).sessions.flatMap((s) => s.params.logGroupIdentifiers.map((g) => `${s.region}|${g}`)));
  let state: AdaptiveState = { splits: input.state.splits.filter((r) => r.logGroups.some((g) => everyGroup.has(`${r.region}|${g}`))) };
  if (config.sessions.strategy !== 'adaptive') return { state, plan: planWith(state), changes: [] };
  const plan0 = planWith(state);
  const changes: AdaptiveChange[] = [];
  const ids = (p: Plan) => new Set(p.sessions.map((s) => s.id));

  // Splits: each sampled session, in plan order.
  let current = plan0;
  for (const s of plan0.sessions) {
    const o = observed.get(s.id);
    if (o === undefined || o.recent.sampled <= t.splitAbove) continue;
    if (!ids(current).has(s.id)) continue; // an earlier split of this round moved it already
    const reason = `sampled in ${o.recent.sampled} of ${o.recent.updates} updates`;
    const groups = [...s.params.logGroupIdentifiers];
    const names = groups.map(groupNameOf);
    const key = splitKey({ region: s.region, logGroups: groups });
    const before = state.splits.filter((r) => r.region === s.region && r.logGroups.some((g) => groups.includes(g)));
    const record: SplitRecord = {
      region: s.region,
      logGroups: groups,
      from: s.id,
      since: new Date(input.now).toISOString(),
      reason,
      cap: o.sampleSize !== undefined && o.sampleSize > 0 ? o.sampleSize : LIVE_TAIL_CAP,
      merges: Math.max(0, ...before.map((r) => r.merges)),
      active: true,
    };
    // Inactive decisions on these groups are replaced (their merge count carried over); active ones stay.
    const next: AdaptiveState = { splits: [...state.splits.filter((r) => !(r.region === s.region && !r.active && r.logGroups.some((g) => groups.includes(g))) && splitKey(r) !== key), record] };
    const trial = planWith(next);
    if (ids(trial).has(s.id)) {
      const unbounded = planWith(next, { ...config, sessions: { ...config.sessions, maxConcurrent: Number.MAX_SAFE_INTEGER } });
      const why = ids(unbounded).has(s.id) ? 'it serves one source already (its rules share log groups, streams and pattern): nothing to split' : `no room under sessions.maxConcurrent (${config.sessions.maxConcurrent}) in ${s.region}`;
      changes.push({ kind: 'not-split', region: s.region, logGroups: names, sessions: [s.id], into: [], reason: `${reason}; ${why}` });
      continue;
    }
    const had = ids(current);
    state = next;
    current = trial;
    changes.push({ kind: 'split', region: s.region, logGroups: names, sessions: [s.id], into: trial.sessions.filter((x) => !had.has(x.id)).map((x) => x.id), reason });
  }

  // Merges: the decisions in force before this round whose parts have all been quiet for long.
  for (const r of input.state.splits) {
    if (!r.active || !state.splits.includes(r)) continue;
    const key = splitKey(r);
    const parts = current.sessions.filter((s) => s.splitOf?.includes(key));
    if (parts.length === 0) continue;
    const stats = parts.map((p) => observed.get(p.id));
    if (!stats.every((o) => o !== undefined && o.long.updates >= t.quietUpdates && o.long.sampled === 0)) continue;
    const names = r.logGroups.map(groupNameOf);
    const quiet = `sampled in 0 of the last ${t.quietUpdates} updates of each part`;
    if (r.merges > 0) {
      changes.push({ kind: 'stays-split', region: r.region, logGroups: names, sessions: parts.map((p) => p.id), into: [], reason: `${quiet}, but split again after a merge: stays split` });
      continue;
    }
    const next: AdaptiveState = { splits: state.splits.map((x) => (x === r ? { ...x, active: false, merges: x.merges + 1 } : x)) };
    const trial = planWith(next);
    const had = ids(current);
    const fresh = trial.sessions.filter((s) => !had.has(s.id));
    // What each new session would carry, bounded by the sessions that serve its rules on its groups now.
    let worst = 0;
    let unmeasured: SessionSpec | undefined;
    let waiting = false;
    for (const n of fresh) {
      const feeding = current.sessions.filter((c) => c.rules.some((id) => n.rules.includes(id)) && c.params.logGroupIdentifiers.some((g) => n.params.logGroupIdentifiers.includes(g)));
      const streamsAll = (c: SessionSpec) => c.params.logEventFilterPattern === undefined && !c.params.logStreamNames && !c.params.logStreamNamePrefixes;
      if (n.params.logEventFilterPattern === undefined && !feeding.every(streamsAll)) unmeasured ??= n;
      let sum = 0;
      for (const c of feeding) {
        const o = observed.get(c.id);
        if (o === undefined || o.long.updates < t.quietUpdates || o.long.sampled > 0) waiting = true;
        sum += o?.long.peak ?? 0;
      }
      worst = Math.max(worst, sum);
    }
    if (unmeasured !== undefined) {
      changes.push({ kind: 'stays-split', region: r.region, logGroups: names, sessions: parts.map((p) => p.id), into: [], reason: `${quiet}, but merged it would have no server-side pattern and stream every event of its log groups, which its parts do not measure: stays split` });
      continue;
    }
    if (waiting) continue;
    const limit = r.cap * t.mergeBelowShare;
    if (worst > limit) continue;
    state = next;
    current = trial;
    const after = ids(trial);
    changes.push({
      kind: 'merge',
      region: r.region,
      logGroups: names,
      sessions: parts.map((p) => p.id).filter((id) => !after.has(id)),
      into: fresh.map((s) => s.id),
      reason: `${quiet}; at most ${worst} events an update together (cap ${r.cap})`,
    });
  }
  return { state, plan: current, changes };
}

/** The file `tailwatch run` keeps in `state.dir` and `tailwatch plan` reads. */
export const PLAN_STATE_FILE = 'plan-state.json';
export const PLAN_STATE_VERSION = 1;

export interface ObservedSession {
  readonly id: string;
  readonly region: string;
  readonly rules: readonly string[];
  readonly updates: number;
  /** Mean events an update over the last `quietUpdates` updates. */
  readonly eventsPerUpdate: number;
  readonly peakEventsPerUpdate: number;
  /** Sampled updates among the last `window`. */
  readonly sampledUpdates: number;
  readonly windowUpdates: number;
  readonly sampledShare: number;
}

export interface PlanStateFile {
  readonly version: number;
  /** ISO time the daemon wrote it. */
  readonly savedAt: string;
  readonly strategy: string;
  readonly splits: readonly SplitRecord[];
  readonly sessions: readonly ObservedSession[];
}

export function observedSession(spec: Pick<SessionSpec, 'id' | 'region' | 'rules'>, o: ObservedStats): ObservedSession {
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    id: spec.id,
    region: spec.region,
    rules: spec.rules,
    updates: o.updates,
    eventsPerUpdate: round(o.long.mean),
    peakEventsPerUpdate: o.long.peak,
    sampledUpdates: o.recent.sampled,
    windowUpdates: o.recent.updates,
    sampledShare: o.recent.updates === 0 ? 0 : round(o.recent.sampled / o.recent.updates),
  };
}

const isObj = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);
const isStrings = (x: unknown): x is string[] => Array.isArray(x) && x.every((v) => typeof v === 'string');

/** A plan state read back; undefined when it is not one this version wrote (ignored, rewritten later). */
export function parsePlanState(x: unknown): PlanStateFile | undefined {
  if (!isObj(x) || x['version'] !== PLAN_STATE_VERSION || !Array.isArray(x['splits']) || !Array.isArray(x['sessions'])) return undefined;
  const splits: SplitRecord[] = [];
  for (const r of x['splits']) {
    if (!isObj(r) || typeof r['region'] !== 'string' || !isStrings(r['logGroups']) || typeof r['from'] !== 'string' || typeof r['since'] !== 'string' || typeof r['reason'] !== 'string') return undefined;
    if (typeof r['cap'] !== 'number' || typeof r['merges'] !== 'number' || typeof r['active'] !== 'boolean') return undefined;
    splits.push({ region: r['region'], logGroups: [...r['logGroups']].sort(), from: r['from'], since: r['since'], reason: r['reason'], cap: r['cap'], merges: r['merges'], active: r['active'] });
  }
  const sessions: ObservedSession[] = [];
  for (const s of x['sessions']) {
    if (!isObj(s) || typeof s['id'] !== 'string' || typeof s['region'] !== 'string' || !isStrings(s['rules'])) return undefined;
    const num = (k: string) => (typeof s[k] === 'number' && Number.isFinite(s[k]) ? (s[k] as number) : 0);
    sessions.push({ id: s['id'], region: s['region'], rules: s['rules'], updates: num('updates'), eventsPerUpdate: num('eventsPerUpdate'), peakEventsPerUpdate: num('peakEventsPerUpdate'), sampledUpdates: num('sampledUpdates'), windowUpdates: num('windowUpdates'), sampledShare: num('sampledShare') });
  }
  return { version: PLAN_STATE_VERSION, savedAt: typeof x['savedAt'] === 'string' ? x['savedAt'] : '', strategy: typeof x['strategy'] === 'string' ? x['strategy'] : '', splits, sessions };
}
