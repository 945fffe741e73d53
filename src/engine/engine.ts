/**
 * The rule engine: a pure function of (state, event time, input).
 *
 *   route by log group/stream → filter pattern → match tree → window (per group)
 *   → throttle → silence ⇒ RoutedAlert
 *
 * Time is event time only: the clock is the greatest timestamp ingested (or
 * given to `advanceTo`: the daemon's watermarks, replay's `--until`). Timers
 * (absence, resolve) are decided at the exact event time they fall due, after
 * every event of that millisecond (a timer due at t runs when the clock moves
 * past t, or on `advanceTo(t)`), so a rule decides the same whether other
 * rules' events share its engine or not: replay (one engine), tests and the
 * daemon (one engine per rule, see live.ts) decide the same alerts with the
 * same ids.
 *
 * Episodes: a sent firing opens an episode of its rule+group; `throttle`
 * suppresses repeats within it; a `resolved` closes it, so the next firing is
 * sent at once (a condition that returns is always paged).
 */
import type { Rule, RuleSet, RuleWindow, Silence } from '../config/model.js';
import type { AlertKind, ResolveReason, RoutedAlert } from './alert.js';
import { buildAlert, MAX_SAMPLES } from './alert-build.js';
import { Buckets } from './buckets.js';
import { boundGroupValue, compileRule, groupValue, logGroupName, MAX_GROUP_VALUE_CHARS, type CompiledRule, type GroupValue } from './compile.js';
import { EngineCounters, type RuleCounters } from './counters.js';
import type { LogEvent } from './event.js';
import { TimerHeap } from './heap.js';
import { keepEvent, type FieldReader, type KeptEvent } from './kept.js';
import { EventView } from './match.js';
import { matchingSilence } from './silence.js';
import { ENGINE_STATE_VERSION, type EngineState, type GroupStateJson } from './state.js';

const NO_ALERTS: readonly RoutedAlert[] = Object.freeze([]);
/** Gaps remembered for the `sampled` flag: firings only look back one window. */
const MAX_GAPS_KEPT = 64;

/** Per rule and group: window contents, throttle and resolve bookkeeping. */
class Group {
  buckets = new Buckets();
  /** The most recent matching events (at most MAX_SAMPLES), oldest first, long messages cut (kept.ts). */
  samples: KeptEvent[] = [];
  lastEvent: KeptEvent | undefined;
  sampled = false;
  firstSeen = 0;
  /** Last firing decided (sent, suppressed or silenced). */
  lastFireAt: number | undefined;
  /** Last firing actually sent (the throttle's reference). */
  lastSentAt: number | undefined;
  suppressed = 0;
  /** A sent firing awaits its `resolved` (only with `resolve: true`). */
  open = false;
  /** Absence: fired and waiting for events to resume. */
  absent = false;
  /** Due time of this group's live timer, if any. */
  scheduledAt: number | undefined;
  evicted = false;
  /** Least-recently-seen list links (older → newer). */
  older: Group | undefined;
  newer: Group | undefined;
  constructor(
    readonly key: string,
    readonly values: Readonly<Record<string, GroupValue>>,
  ) {}

  /** Keeps `e` as the last event and a sample (cut when long: the group outlives the line); returns it as kept. */
  addSample(event: LogEvent, fields: FieldReader | undefined): KeptEvent {
    const e = keepEvent(event, fields);
    this.lastEvent = e;
    if (e.sampled) this.sampled = true;
    if (this.samples.length >= MAX_SAMPLES) this.samples.shift();
    this.samples.push(e);
    return e;
  }
}

/**
 * A rule's groups: lookup by key plus a least-recently-seen list, so touching
 * and evicting are O(1) (iterating a Map from its start to find the oldest
 * entry degrades with every deletion).
 */
class GroupTable {
  readonly byKey = new Map<string, Group>();
  oldest: Group | undefined;
  newest: Group | undefined;

  get size(): number {
    return this.byKey.size;
  }

  get(key: string): Group | undefined {
    return this.byKey.get(key);
  }

  /** Appends a new group as the most recently seen. */
  add(g: Group): void {
    this.byKey.set(g.key, g);
    this.link(g);
  }

  touch(g: Group): void {
    if (this.newest === g) return;
    this.unlink(g);
    this.link(g);
  }

  /** Removes and returns the least recently seen group. */
  evictOldest(): Group | undefined {
    const g = this.oldest;
    if (g === undefined) return undefined;
    this.unlink(g);
    this.byKey.delete(g.key);
    return g;
  }

  /** Oldest first. */
  *values(): IterableIterator<Group> {
    for (let g = this.oldest; g !== undefined; g = g.newer) yield g;
  }

  private link(g: Group): void {
    g.older = this.newest;
    g.newer = undefined;
    if (this.newest) this.newest.newer = g;
    else this.oldest = g;
    this.newest = g;
  }

  private unlink(g: Group): void {
    if (g.older) g.older.newer = g.newer;
    else this.oldest = g.newer;
    if (g.newer) g.newer.older = g.older;
    else this.newest = g.older;
    g.older = g.newer = undefined;
  }
}

interface Runtime {
  readonly cr: CompiledRule;
  readonly rule: Rule;
  readonly window: RuleWindow | undefined;
  readonly groups: GroupTable;
  readonly counters: RuleCounters;
  /** Position in the rule set: orders timers that fall due at the same time. */
  readonly rank: number;
}

interface Timer {
  readonly rt: Runtime;
  readonly g: Group;
}

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
  private readonly heap = new TimerHeap<Timer>();
  private liveTimers = 0;
  private clockMs = Number.NEGATIVE_INFINITY;
  /** The last ranges with missing events (markGap): firings whose window overlaps one say `sampled`. */
  private readonly gaps: { from: number; to: number }[] = [];
  private out: RoutedAlert[] = [];

  /** Compiles the rules; throws RuleCompileError for a definition it cannot compile. */
  constructor(opts: EngineOptions) {
    const rules = 'rules' in opts.rules ? (opts.rules as RuleSet).rules : (opts.rules as readonly Rule[]);
    this.counters = opts.counters ?? new EngineCounters();
    this.silences = opts.silences ?? [];
    this.onRuleError = opts.onRuleError;
    for (const rule of rules) {
      if (!rule.enabled) continue;
      const cr = compileRule(rule);
      const rt: Runtime = { cr, rule, window: rule.window, groups: new GroupTable(), counters: this.counters.forRule(rule.id), rank: this.runtimes.length };
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
    const candidates = event.logGroup === '' ? this.runtimes : this.byLogGroup.get(event.logGroup) ?? this.byLogGroup.get(logGroupName(event.logGroup));
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
    return this.flush();
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
    return this.flush();
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
    for (;;) {
      const due = this.heap.peekDue();
      if (due === undefined || due > to) break;
      const { value } = this.heap.pop()!;
      const g = value.g;
      if (g.evicted || g.scheduledAt !== due) continue;
      g.scheduledAt = undefined;
      this.liveTimers--;
      this.schedule(value.rt, g, to + (value.rt.window?.withinMs ?? 0));
    }
    // Absence watches again from the end of the gap, as if the groups were first seen then.
    for (const rt of this.runtimes) {
      if (rt.window?.type !== 'absence') continue;
      for (const g of rt.groups.values()) g.firstSeen = Math.max(g.firstSeen, to);
    }
    this.clockMs = to;
    return NO_ALERTS;
  }

  /**
   * A new engine for a new rule set. A rule that keeps its id keeps its episodes and throttles
   * per group; it keeps its counts too unless its source, match or window changed. Open episodes
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
      for (const g of rt.groups.values()) {
        if (!g.open) continue;
        try {
          this.resolveGroup(rt, g, this.clockMs, 0, reason);
        } catch (err) {
          this.failed(rt, err);
        }
      }
    }
    const alerts = this.flush();
    const engine = new Engine({ rules, silences, state: this.exportState(), counters: this.counters, onRuleError: this.onRuleError });
    return { engine, alerts };
  }

  private failed(rt: Runtime, err: unknown): void {
    rt.counters.errors++;
    this.onRuleError?.(rt.rule.id, err);
  }

  private flush(): readonly RoutedAlert[] {
    if (this.out.length === 0) return NO_ALERTS;
    const out = this.out;
    this.out = [];
    return out;
  }

  // ---- windows -----------------------------------------------------------

  private groupFor(rt: Runtime, view: EventView, ts: number): Group {
    const readers = rt.cr.groupReaders;
    let key: string;
    let values: GroupValue[] | undefined;
    if (readers.length === 0) key = '';
    else if (readers.length === 1) {
      // One groupBy value (the common case): a typed key without building JSON.
      let v = groupValue(readers[0]!(view));
      if (typeof v === 'string' && v.length > MAX_GROUP_VALUE_CHARS) {
        const b = boundGroupValue(v);
        values = [b.shown];
        v = b.key;
      } else values = [v];
      key = v === null ? 'null' : typeof v === 'string' ? 's:' + v : typeof v === 'number' ? 'n:' + v : 'b:' + v;
    } else {
      const bound = readers.map((read) => boundGroupValue(groupValue(read(view))));
      values = bound.map((b) => b.shown);
      key = JSON.stringify(bound.map((b) => b.key));
    }
    const groups = rt.groups;
    let g = groups.get(key);
    if (g !== undefined) {
      groups.touch(g);
      return g;
    }
    // Own properties even for a groupBy named `__proto__` (an assignment would set the prototype).
    const named: Record<string, GroupValue> = {};
    rt.cr.groupNames.forEach((n, i) => Object.defineProperty(named, n, { value: values![i]!, enumerable: true, writable: true, configurable: true }));
    g = new Group(key, named);
    g.firstSeen = ts;
    groups.add(g);
    if (groups.size > (rt.window?.maxGroups ?? Infinity)) {
      const oldest = groups.evictOldest()!;
      oldest.evicted = true;
      if (oldest.scheduledAt !== undefined) this.liveTimers--;
      rt.counters.evictedGroups++;
    }
    return g;
  }

  private onMatch(rt: Runtime, view: EventView, ts: number): void {
    const w = rt.window;
    const g = this.groupFor(rt, view, ts);
    const now = this.clockMs;
    const event = view.event;
    if (w === undefined) {
      const kept = g.addSample(event, rt.cr.fields);
      this.fire(rt, g, ts, 1, ts, ts, [kept], !!event.sampled);
      g.sampled = false;
      return;
    }
    const within = w.withinMs;
    switch (w.type) {
      case 'threshold': {
        const cutoff = now - within;
        g.buckets.trim(cutoff);
        if (ts <= cutoff) return; // too late for any open window
        g.buckets.add(ts);
        g.addSample(event, rt.cr.fields);
        if (g.buckets.total >= w.count) {
          const last = g.buckets.lastTs()!;
          const samples = g.samples.filter((e) => e.timestamp > cutoff);
          this.fire(rt, g, last, g.buckets.total, g.buckets.firstTs()!, last, samples, g.sampled);
          g.buckets.clear();
          g.samples = [];
          g.sampled = false;
        }
        return;
      }
      case 'spike': {
        const cutoff2 = now - 2 * within;
        g.buckets.trim(cutoff2);
        if (ts <= cutoff2) return;
        g.buckets.add(ts);
        g.addSample(event, rt.cr.fields);
        const cur = g.buckets.countCurrent(now - within);
        if (cur.n >= w.minCount && cur.n >= w.factor * g.buckets.countBetween(cutoff2, now - within)) {
          const samples = g.samples.filter((e) => e.timestamp >= cur.first);
          this.fire(rt, g, cur.last, cur.n, cur.first, cur.last, samples, g.sampled);
          g.buckets.markOld();
          g.samples = [];
          g.sampled = false;
        }
        return;
      }
      case 'absence': {
        g.buckets.trim(now - within);
        if (ts > now - within) g.buckets.add(ts);
        g.addSample(event, rt.cr.fields);
        if (g.absent && g.buckets.total >= w.count) {
          g.absent = false;
          if (g.open) this.resolveGroup(rt, g, Math.max(ts, g.lastFireAt ?? ts), g.buckets.total);
        }
        if (!g.absent) this.schedule(rt, g, this.absenceDue(w, g, now));
        return;
      }
    }
  }

  /** When the absence condition (fewer than `count` in the last `within`) will hold for this group. */
  private absenceDue(w: RuleWindow & { type: 'absence' }, g: Group, now: number): number {
    const armed = g.firstSeen + w.withinMs;
    const nth = g.buckets.lastOfNthNewest(w.count);
    return Math.max(armed, nth === undefined ? now : nth + w.withinMs);
  }

  /** A timer fell due at `t`: absence may fire, an open firing may resolve. */
  private evaluate(rt: Runtime, g: Group, t: number): void {
    const w = rt.window;
    if (w === undefined) return;
    const within = w.withinMs;
    if (w.type === 'absence') {
      if (g.absent) return;
      g.buckets.trim(t - within);
      const due = this.absenceDue(w, g, t);
      if (due > t) {
        this.schedule(rt, g, due);
        return;
      }
      const last = g.buckets.lastTs() ?? g.lastEvent?.timestamp ?? t;
      const first = g.buckets.firstTs() ?? last;
      g.absent = true;
      this.fire(rt, g, t, g.buckets.total, first, last, g.samples, g.sampled);
      g.sampled = false;
      return;
    }
    if (!g.open || g.lastFireAt === undefined) return;
    const due = g.lastFireAt + within;
    if (t < due) {
      this.schedule(rt, g, due);
      return;
    }
    g.buckets.trim(w.type === 'spike' ? t - 2 * within : t - within);
    this.resolveGroup(rt, g, t, g.buckets.countBetween(t - within, Infinity));
  }

  // ---- throttle, silence, output -----------------------------------------

  /** A firing: throttled → suppressed; silenced → counted; else sent. */
  private fire(rt: Runtime, g: Group, at: number, count: number, first: number, last: number, samples: readonly KeptEvent[], sampled: boolean): void {
    const rule = rt.rule;
    rt.counters.fired++;
    g.lastFireAt = at;
    if (g.lastSentAt !== undefined && rule.throttleMs > 0 && at - g.lastSentAt < rule.throttleMs) {
      g.suppressed++;
      rt.counters.suppressed++;
      // A suppressed firing is still a firing: the resolve waits a full window after it.
      if (g.open && rt.window !== undefined && rt.window.type !== 'absence') this.schedule(rt, g, at + rt.window.withinMs);
      return;
    }
    if (this.silenced(rt, g, at)) return;
    const within = rt.window?.withinMs ?? 0;
    const overGap = this.gaps.length > 0 && this.gaps.some((gap) => at >= gap.from && at - within < gap.to);
    this.emit(rt, g, 'firing', at, count, first, last, samples, sampled || overGap);
    g.lastSentAt = at;
    if (rule.resolve && rt.window !== undefined) {
      g.open = true;
      if (rt.window.type !== 'absence') this.schedule(rt, g, at + rt.window.withinMs);
    }
  }

  /**
   * The condition cleared: a `resolved` alert (never throttled; silences still apply). It closes
   * the episode: the throttle no longer holds back the next firing.
   */
  private resolveGroup(rt: Runtime, g: Group, at: number, count: number, reason?: ResolveReason): void {
    g.open = false;
    g.lastSentAt = undefined;
    rt.counters.resolved++;
    if (this.silenced(rt, g, at)) return;
    const last = g.buckets.lastTs() ?? g.lastEvent?.timestamp ?? at;
    const first = g.buckets.firstTs() ?? last;
    const samples = g.samples.filter((e) => e.timestamp >= first);
    this.emit(rt, g, 'resolved', at, count, first, last, samples, g.sampled, reason);
  }

  private silenced(rt: Runtime, g: Group, at: number): boolean {
    if (this.silences.length === 0) return false;
    const rule = rt.rule;
    const hit = matchingSilence(this.silences, { ruleId: rule.id, severity: rule.severity, labels: rule.labels, group: g.values, at });
    if (hit === undefined) return false;
    rt.counters.silenced++;
    return true;
  }

  private emit(rt: Runtime, g: Group, kind: AlertKind, at: number, count: number, first: number, last: number, samples: readonly KeptEvent[], sampled: boolean, reason?: ResolveReason): void {
    const alert = buildAlert(rt.cr, {
      ...(reason !== undefined ? { reason } : {}),
      kind,
      at,
      groupKey: g.key,
      group: g.values,
      count,
      firstEventAt: first,
      lastEventAt: last,
      suppressed: g.suppressed,
      sampled,
      samples,
      event: g.lastEvent,
    });
    g.suppressed = 0;
    this.out.push({ alert, destinations: rt.rule.notify });
  }

  // ---- timers --------------------------------------------------------------

  private schedule(rt: Runtime, g: Group, due: number): void {
    if (g.scheduledAt !== undefined && g.scheduledAt <= due) return; // the earlier timer re-evaluates
    if (g.scheduledAt === undefined) this.liveTimers++;
    g.scheduledAt = due;
    this.heap.push(due, rt.rank, g.key, { rt, g });
    // Stale entries (rescheduled or evicted groups) are dropped lazily; compact when they dominate.
    if (this.heap.size > 1024 && this.heap.size > 4 * this.liveTimers) {
      this.heap.compact((t) => !t.value.g.evicted && t.value.g.scheduledAt === t.due);
    }
  }

  private runTimers(limit: number, inclusive: boolean): void {
    for (;;) {
      const due = this.heap.peekDue();
      if (due === undefined || due > limit || (!inclusive && due === limit)) return;
      const { value } = this.heap.pop()!;
      const g = value.g;
      if (g.evicted || g.scheduledAt !== due) continue;
      g.scheduledAt = undefined;
      this.liveTimers--;
      try {
        this.evaluate(value.rt, g, due);
      } catch (err) {
        this.failed(value.rt, err);
      }
    }
  }

  // ---- state ---------------------------------------------------------------

  /** Plain JSON of everything needed to continue after a restart (windows, throttles, open firings). */
  exportState(): EngineState {
    return {
      version: ENGINE_STATE_VERSION,
      clock: Number.isFinite(this.clockMs) ? this.clockMs : null,
      ...(this.gaps.length > 0 ? { gaps: this.gaps.map((g) => ({ ...g })) } : {}),
      rules: this.runtimes.map((rt) => ({
        id: rt.rule.id,
        fingerprint: rt.cr.fingerprint,
        grouping: groupingKey(rt.rule),
        groups: [...rt.groups.values()].map((g): GroupStateJson => ({
          key: g.key,
          values: g.values,
          buckets: g.buckets.toJSON(),
          samples: g.samples.map(plainEvent),
          lastEvent: g.lastEvent ? plainEvent(g.lastEvent) : null,
          sampled: g.sampled,
          firstSeen: g.firstSeen,
          lastFireAt: g.lastFireAt ?? null,
          lastSentAt: g.lastSentAt ?? null,
          suppressed: g.suppressed,
          open: g.open,
          absent: g.absent,
        })),
      })),
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
      // Same definition: everything. Same grouping only: episodes and throttles, counts afresh
      // (absence watches its groups again from now). Otherwise nothing (reload resolved them).
      const same = rt.cr.fingerprint === saved.fingerprint;
      if (!same && saved.grouping !== groupingKey(rt.rule)) continue;
      const clock = Number.isFinite(this.clockMs) ? this.clockMs : 0;
      for (const s of saved.groups) {
        const g = new Group(s.key, s.values);
        // keepEvent: a state written before events were cut when kept holds whole messages.
        g.lastEvent = s.lastEvent ? keepEvent({ ...s.lastEvent }, rt.cr.fields) : undefined;
        if (same) {
          g.buckets = Buckets.fromJSON(s.buckets);
          g.samples = s.samples.map((e) => keepEvent({ ...e }, rt.cr.fields));
          g.sampled = s.sampled;
          g.firstSeen = s.firstSeen;
        } else {
          g.firstSeen = clock;
        }
        g.lastFireAt = s.lastFireAt ?? undefined;
        g.lastSentAt = s.lastSentAt ?? undefined;
        g.suppressed = s.suppressed;
        g.open = s.open && rt.rule.resolve;
        g.absent = s.absent;
        rt.groups.add(g);
        const w = rt.window;
        if (w?.type === 'absence' && !g.absent) this.schedule(rt, g, this.absenceDue(w, g, this.clockMs));
        else if (w !== undefined && w.type !== 'absence' && g.open && g.lastFireAt !== undefined) this.schedule(rt, g, g.lastFireAt + w.withinMs);
      }
    }
  }
}

function streamAllowed(cr: CompiledRule, stream: string): boolean {
  if (cr.streams !== undefined) return cr.streams.has(stream);
  if (cr.streamPrefixes !== undefined) return cr.streamPrefixes.some((p) => stream.startsWith(p));
  return true;
}

function plainEvent(e: KeptEvent): KeptEvent {
  const out: { -readonly [K in keyof KeptEvent]: KeptEvent[K] } = { timestamp: e.timestamp, logGroup: e.logGroup, logStream: e.logStream, message: e.message };
  if (e.sampled) out.sampled = true;
  if (e.digest !== undefined) out.digest = e.digest;
  if (e.fields !== undefined) out.fields = e.fields;
  return out;
}

/** What a group key means: a rule whose window type or groupBy changed cannot keep its groups. */
function groupingKey(rule: Rule): string {
  return JSON.stringify([rule.window?.type ?? null, rule.window?.groupBy ?? []]);
}
