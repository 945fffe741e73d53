/**
 * The rule engine: a pure function of (state, event time, input).
 *
 *   route by log group/stream → filter pattern → match tree → series (groupBy)
 *   → window step (windows/) → throttle, silence, episode (episodes.ts) ⇒ RoutedAlert
 *
 * Time is event time only: the clock is the greatest timestamp ingested (or
 * given to `advanceTo`: the daemon's watermarks, replay's `--until`). Timers
 * (absence, resolve) are decided at the exact event time they fall due, after
 * every event of that millisecond (a timer due at t runs when the clock moves
 * past t, or on `advanceTo(t)`), so a rule decides the same whether other
 * rules' events share its engine or not: replay (one engine), tests and the
 * daemon (one engine per rule, see live.ts) decide the same alerts with the
 * same ids. README.md in this folder has the whole picture.
 */
import type { Rule, RuleSet, Silence } from '../model/config.js';
import type { RoutedAlert } from '../model/alert.js';
import { logGroupNameOf } from '../aws/index.js';
import { compileRule, type CompiledRule } from './compile.js';
import { EngineCounters } from './counters.js';
import { Episodes } from './episodes.js';
import type { LogEvent } from '../model/event.js';
import { EventView } from './match.js';
import { groupingKey, type Runtime } from './runtime.js';
import { SeriesTable, type Series } from './series.js';
import { ENGINE_STATE_VERSION, exportRule, restoreRule, type EngineState, type Gap } from './state.js';
import { SeriesTimers } from './timers.js';
import { absenceDue, absenceEvent, absenceTimer } from './windows/absence.js';
import { noneEvent } from './windows/none.js';
import { resolveDue, type Outcome } from './windows/outcome.js';
import { spikeEvent, spikeTimer } from './windows/spike.js';
import { thresholdEvent, thresholdTimer } from './windows/threshold.js';

const NO_ALERTS: readonly RoutedAlert[] = Object.freeze([]);
/** Gaps remembered for the `sampled` flag: firings only look back one window. */
const MAX_GAPS_KEPT = 64;

export interface EngineOptions {
  readonly rules: RuleSet | readonly Rule[];
  /** Config silences; expired ones are ignored at decision time. */
  readonly silences?: readonly Silence[] | undefined;
  /** State exported by an earlier engine; rules whose fingerprint changed start fresh. */
  readonly state?: EngineState | undefined;
  /** Shared across reloads so counts only grow. */
  readonly counters?: EngineCounters | undefined;
  /**
   * An exception while one rule evaluated an event or a timer, or rendered its alert: that rule
   * skips it (counted in its `errors`), the other rules go on. Called for every one: callers rate-limit.
   */
  readonly onRuleError?: RuleErrorHandler | undefined;
}

export type RuleErrorHandler = (ruleId: string, err: unknown) => void;

export class Engine {
  readonly counters: EngineCounters;
  private readonly runtimes: Runtime[] = [];
  private readonly byLogGroup = new Map<string, Runtime[]>();
  private readonly silences: readonly Silence[];
  private readonly onRuleError: RuleErrorHandler | undefined;
  private readonly timers = new SeriesTimers();
  private readonly episodes: Episodes;
  private clockMs = Number.NEGATIVE_INFINITY;
  /** The last ranges with missing events (markGap): firings whose window overlaps one say `sampled`. */
  private readonly gaps: Gap[] = [];

  /** Compiles the rules; throws RuleCompileError for a definition it cannot compile. */
  constructor(opts: EngineOptions) {
    const rules = 'rules' in opts.rules ? (opts.rules as RuleSet).rules : (opts.rules as readonly Rule[]);
    this.counters = opts.counters ?? new EngineCounters();
    this.silences = opts.silences ?? [];
    this.onRuleError = opts.onRuleError;
    this.episodes = new Episodes(this.silences, this.gaps, this.timers);
    for (const rule of rules) {
      if (!rule.enabled) continue;
      const cr = compileRule(rule);
      const rt: Runtime = { cr, rule, window: rule.window, series: new SeriesTable(cr), counters: this.counters.forRule(rule.id), rank: this.runtimes.length };
      this.runtimes.push(rt);
      for (const name of cr.logGroupNames) {
        const list = this.byLogGroup.get(name);
        if (list) list.push(rt);
        else this.byLogGroup.set(name, [rt]);
      }
    }
    if (opts.state) this.restore(opts.state);
  }

  /** The engine clock (ms); -Infinity before the first event. */
  get clock(): number {
    return this.clockMs;
  }

  /** Ids of the rules this engine runs (enabled ones). */
  get ruleIds(): string[] {
    return this.runtimes.map((r) => r.rule.id);
  }

  /**
   * One event in. Events with a log group go to the rules listening to it;
   * an event without one (tests, hand-written input) goes to every rule.
   */
  ingest(event: LogEvent): readonly RoutedAlert[] {
    const ts = event.timestamp;
    this.counters.events++;
    if (event.sampled) this.counters.sampledEvents++;
    if (ts > this.clockMs) {
      this.runTimers(ts, false);
      this.clockMs = ts;
    }
    const candidates = event.logGroup === '' ? this.runtimes : this.byLogGroup.get(event.logGroup) ?? this.byLogGroup.get(logGroupNameOf(event.logGroup));
    if (candidates !== undefined) {
      const view = new EventView(event);
      for (let i = 0; i < candidates.length; i++) {
        const rt = candidates[i]!;
        const cr = rt.cr;
        if (event.logStream !== '' && !streamAllowed(cr, event.logStream)) continue;
        rt.counters.received++;
        // One rule's failure never costs the other rules the event.
        try {
          if (cr.filterTest !== undefined && !cr.filterTest(view)) continue;
          if (cr.match !== undefined && !cr.match(view)) continue;
          rt.counters.matched++;
          this.onMatch(rt, view, ts);
        } catch (err) {
          this.failed(rt, err);
        }
      }
    }
    return this.episodes.flush();
  }

  /**
   * Moves the clock to `ms` (the daemon's watermark, `--until` in replay): absence and resolve
   * due at or before it fall due. Every event at or before `ms` must have been ingested.
   */
  advanceTo(ms: number): readonly RoutedAlert[] {
    if (ms >= this.clockMs) {
      this.runTimers(ms, true);
      this.clockMs = ms;
    }
    return this.episodes.flush();
  }

  /**
   * Some events of [from, to] may be missing (a gap that could not be backfilled, a sampled
   * interval that could not be completed): a firing whose window overlaps it says `sampled`
   * (its count may be short). Call before ingesting what did arrive of it.
   */
  markGap(from: number, to: number): void {
    this.gaps.push({ from, to });
    if (this.gaps.length > MAX_GAPS_KEPT) this.gaps.shift();
  }

  /**
   * The clock jumps to `to` without deciding on (clock, to], whose events did not all arrive
   * (see markGap): absence and resolve timers due in it wait a full window after it (never
   * "missing" on data we did not see).
   */
  skipGap(to: number): readonly RoutedAlert[] {
    if (to <= this.clockMs) return NO_ALERTS;
    for (let t = this.timers.next(to, true); t !== undefined; t = this.timers.next(to, true)) {
      const { rt, series } = t.value;
      this.timers.schedule(rt, series, to + (rt.window?.withinMs ?? 0));
    }
    // Absence watches again from the end of the gap, as if the series were first seen then.
    for (const rt of this.runtimes) {
      if (rt.window?.type !== 'absence') continue;
      for (const s of rt.series.values()) s.firstSeen = Math.max(s.firstSeen, to);
    }
    this.clockMs = to;
    return NO_ALERTS;
  }

  /**
   * A new engine for a new rule set. A rule that keeps its id keeps its episodes and throttles
   * per series; it keeps its counts too unless its source, match or window changed. Open episodes
   * of rules that are gone (removed, disabled) or whose grouping changed (window type, groupBy)
   * are resolved now, with `reason` rule-removed / rule-changed: those alerts come back with the
   * engine.
   */
  reload(rules: RuleSet | readonly Rule[], silences: readonly Silence[] = this.silences): { engine: Engine; alerts: readonly RoutedAlert[] } {
    const list = 'rules' in rules ? (rules as RuleSet).rules : (rules as readonly Rule[]);
    const next = new Map(list.filter((r) => r.enabled).map((r) => [r.id, r]));
    for (const rt of this.runtimes) {
      const rule = next.get(rt.rule.id);
      const reason = rule === undefined ? 'rule-removed' : groupingKey(rule) !== groupingKey(rt.rule) ? 'rule-changed' : undefined;
      if (reason === undefined) continue;
      for (const s of rt.series.values()) {
        if (!s.open) continue;
        try {
          this.episodes.resolve(rt, s, this.clockMs, 0, reason);
        } catch (err) {
          this.failed(rt, err);
        }
      }
    }
    const alerts = this.episodes.flush();
    const engine = new Engine({ rules, silences, state: this.exportState(), counters: this.counters, onRuleError: this.onRuleError });
    return { engine, alerts };
  }

  /** Plain JSON of everything needed to continue after a restart (windows, throttles, open episodes). */
  exportState(): EngineState {
    return {
      version: ENGINE_STATE_VERSION,
      clock: Number.isFinite(this.clockMs) ? this.clockMs : null,
      ...(this.gaps.length > 0 ? { gaps: this.gaps.map((g) => ({ ...g })) } : {}),
      rules: this.runtimes.map(exportRule),
    };
  }

  private restore(state: EngineState): void {
    if (state.version !== ENGINE_STATE_VERSION) throw new Error(`engine state version ${String(state.version)} is not supported (expected ${ENGINE_STATE_VERSION})`);
    if (state.clock !== null) this.clockMs = state.clock;
    for (const g of state.gaps ?? []) this.markGap(g.from, g.to);
    const byId = new Map(this.runtimes.map((rt) => [rt.rule.id, rt]));
    for (const saved of state.rules) {
      const rt = byId.get(saved.id);
      if (!rt) continue;
      restoreRule(rt, saved, Number.isFinite(this.clockMs) ? this.clockMs : 0);
      // Timers are not saved: each series' is armed again from what it holds.
      for (const s of rt.series.values()) this.arm(rt, s, this.clockMs);
    }
  }

  private failed(rt: Runtime, err: unknown): void {
    rt.counters.errors++;
    this.onRuleError?.(rt.rule.id, err);
  }

  // ---- window steps --------------------------------------------------------

  /** A matching event: its series, the window's step, then what it decided. */
  private onMatch(rt: Runtime, view: EventView, ts: number): void {
    const s = rt.series.of(view, ts);
    const w = rt.window;
    if (w === undefined) {
      this.episodes.fire(rt, s, noneEvent(s, view.event, rt.cr.fields));
      return;
    }
    if (rt.series.size > w.maxGroups) {
      const oldest = rt.series.evictOldest()!;
      this.timers.dropped(oldest);
      rt.counters.evictedGroups++;
    }
    const now = this.clockMs;
    let outcome: Outcome | undefined;
    switch (w.type) {
      case 'threshold':
        outcome = thresholdEvent(s, view.event, now, w, rt.cr.fields);
        break;
      case 'spike':
        outcome = spikeEvent(s, view.event, now, w, rt.cr.fields);
        break;
      case 'absence':
        outcome = absenceEvent(s, view.event, now, w, rt.cr.fields);
        if (outcome !== undefined) this.episodes.decide(rt, s, outcome);
        this.arm(rt, s, now);
        return;
    }
    if (outcome !== undefined) this.episodes.decide(rt, s, outcome);
  }

  /** The series' timer fell due at `t`: the window's step, then its next timer. */
  private onTimer(rt: Runtime, s: Series, t: number): void {
    const w = rt.window;
    if (w === undefined) return;
    const outcome = w.type === 'absence' ? absenceTimer(s, t, w) : w.type === 'threshold' ? thresholdTimer(s, t, w) : spikeTimer(s, t, w);
    if (outcome !== undefined) this.episodes.decide(rt, s, outcome);
    this.arm(rt, s, t);
  }

  /** Arms the series' next timer, if it needs one: absence due, or the open episode's resolve. */
  private arm(rt: Runtime, s: Series, now: number): void {
    const w = rt.window;
    if (w === undefined) return;
    const due = w.type === 'absence' ? absenceDue(s, w, now) : resolveDue(s, w.withinMs);
    if (due !== undefined) this.timers.schedule(rt, s, due);
  }

  private runTimers(limit: number, inclusive: boolean): void {
    for (let t = this.timers.next(limit, inclusive); t !== undefined; t = this.timers.next(limit, inclusive)) {
      try {
        this.onTimer(t.value.rt, t.value.series, t.due);
      } catch (err) {
        this.failed(t.value.rt, err);
      }
    }
  }
}

/** Whether the rule reads a stream of that name (its `logStreams` / `logStreamPrefixes`). */
export function streamAllowed(cr: CompiledRule, stream: string): boolean {
  if (cr.streams !== undefined) return cr.streams.has(stream);
  if (cr.streamPrefixes !== undefined) return cr.streamPrefixes.some((p) => stream.startsWith(p));
  return true;
}
