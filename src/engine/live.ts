/**
 * The daemon's engine: events from several sources (Live Tail sessions, their
 * backfills), each serving some rules, decided exactly as `replay` decides
 * them from the same events.
 *
 * - **One count per event and rule.** A source's events reach only the rules
 *   it serves. An event that two sources deliver to one rule (a session
 *   swapped by a reload, overlapping sessions) counts once: identical events
 *   (same `eventKey`) count as often as the one source that delivered most of
 *   them did.
 * - **Canonical order.** A rule sees its events in (timestamp, eventKey)
 *   order, the order replay uses, each released only once every source of the
 *   rule has covered its timestamp (the rule's low watermark). Decisions and
 *   ids never depend on which session delivered first.
 * - **Held once, and only where it may count.** An event waits for a rule's
 *   watermark only if the rule may match it (select.ts): what its stream
 *   filter, filter pattern or match tree rejects is counted as received on
 *   arrival and forgotten, so the many rules reading one log group do not each
 *   keep its whole feed. The test runs once per event and rule on one shared
 *   parse; the rule's engine tests the events held again when it decides them.
 * - **One clock per rule.** Each rule runs in an Engine of its own whose clock
 *   stops at the rule's low watermark: a rule whose session is down or still
 *   backfilling waits (absence and resolve never decide on a gap), the others
 *   go on. An event that arrives for a rule at or before its clock is late
 *   (counted, not evaluated): a duplicate of what another source delivered,
 *   or a line ingested more than the grace after its timestamp.
 *
 * Pure: time enters only through the sources' watermarks.
 */
import type { Rule, RuleSet, Silence } from '../model/config.js';
import type { RoutedAlert } from '../model/alert.js';
import { logGroupNameOf, logGroupTargets } from '../aws/index.js';
import { EngineCounters } from './counters.js';
import { Engine, type RuleErrorHandler } from './engine.js';
import { eventKey, type LogEvent, type SourceBatch } from '../model/event.js';
import { TimerHeap } from './heap.js';
import { EventView } from './match.js';
import { selectionOf, type Selection } from './select.js';
import { ENGINE_STATE_VERSION, type EngineState, type RuleStateJson } from './state.js';

/** The daemon's saved state: each rule's groups and its own clock. */
export interface LiveEngineState {
  readonly version: typeof LIVE_STATE_VERSION;
  readonly rules: readonly RuleStateJson[];
}
export const LIVE_STATE_VERSION = 2;

export interface LiveCounters {
  /** Events that arrived for a rule at or before its watermark (duplicates or too late). */
  late: number;
  /** Gaps sources reported that could not be backfilled. */
  gaps: number;
}

/**
 * Copies of one event identity pending for a rule, per source. Almost always one source delivers
 * an identity: its count lives in the record itself; a map is made only when a second source
 * delivers the same identity (tens of thousands of these are pending per rule at the ceiling).
 */
interface Copies {
  readonly first: string;
  /** Copies `first` delivered. */
  n: number;
  /** Copies each other source delivered. */
  others: Map<string, number> | undefined;
  /** Copies pushed (the largest count of any source) and not yet released. */
  pending: number;
}

/** Counts one more copy of an identity from `source`; true when it is beyond what every other source delivered. */
function countCopy(c: Copies, source: string): boolean {
  let n: number;
  let most: number;
  if (source === c.first) {
    n = ++c.n;
    most = 0;
    if (c.others) for (const k of c.others.values()) if (k > most) most = k;
  } else {
    c.others ??= new Map();
    n = (c.others.get(source) ?? 0) + 1;
    c.others.set(source, n);
    most = c.n;
    for (const [s, k] of c.others) if (s !== source && k > most) most = k;
  }
  return n > most;
}

/** One rule: its engine, the events it may match pending in canonical order, the sources serving it. */
class Lane {
  readonly pending = new TimerHeap<LogEvent>();
  readonly copies = new Map<string, Copies>();
  readonly sources = new Set<string>();
  constructor(
    public engine: Engine,
    public rule: Rule,
    /** Log group names the rule reads (events of other groups never reach it). */
    public groups: ReadonlySet<string>,
    /** Which events the rule may match (the others are not held). */
    public selection: Selection,
  ) {}

  get clock(): number {
    return this.engine.clock;
  }
}

interface SourceState {
  rules: readonly string[];
  watermark: number | undefined;
}

export interface LiveEngineOptions {
  readonly rules: RuleSet | readonly Rule[];
  readonly silences?: readonly Silence[] | undefined;
  /** Saved by `exportState` (or an older single-clock EngineState). */
  readonly state?: LiveEngineState | EngineState | undefined;
  /** Shared across reloads so counts only grow. */
  readonly counters?: EngineCounters | undefined;
  /** A rule failed on an event or timer (engine.ts `onRuleError`); the other rules went on. */
  readonly onRuleError?: RuleErrorHandler | undefined;
}

export class LiveEngine {
  readonly counters: EngineCounters;
  readonly live: LiveCounters = { late: 0, gaps: 0 };
  private readonly lanes = new Map<string, Lane>();
  private readonly sources = new Map<string, SourceState>();
  private silences: readonly Silence[];
  private readonly onRuleError: RuleErrorHandler | undefined;

  constructor(opts: LiveEngineOptions) {
    this.counters = opts.counters ?? new EngineCounters();
    this.silences = opts.silences ?? [];
    this.onRuleError = opts.onRuleError;
    const saved = savedRules(opts.state);
    for (const rule of ruleList(opts.rules)) {
      if (!rule.enabled) continue;
      this.lanes.set(rule.id, this.newLane(rule, saved.get(rule.id)));
    }
  }

  /** Ids of the rules running. */
  get ruleIds(): string[] {
    return [...this.lanes.keys()];
  }

  /** A rule's clock: every event at or before it has been decided (-Infinity before any). */
  clockOf(ruleId: string): number | undefined {
    return this.lanes.get(ruleId)?.clock;
  }

  /** Events a rule holds until its watermark passes them (those it may match). */
  pendingOf(ruleId: string): number {
    return this.lanes.get(ruleId)?.pending.size ?? 0;
  }

  /** Sources' watermarks (ms; undefined before they covered anything). */
  watermarks(): ReadonlyMap<string, number | undefined> {
    return new Map([...this.sources].map(([id, s]) => [id, s.watermark]));
  }

  /**
   * Where a source serving `rules` has to start so that none of them misses an event: the
   * oldest of their clocks (undefined when none has one: new rules start with the stream).
   */
  resumePoint(rules: readonly string[]): number | undefined {
    let min: number | undefined;
    for (const id of rules) {
      const c = this.lanes.get(id)?.clock;
      if (c !== undefined && Number.isFinite(c) && (min === undefined || c < min)) min = c;
    }
    return min;
  }

  /** A source's events, watermark and losses. Returns the alerts decided. */
  receive(batch: SourceBatch): readonly RoutedAlert[] {
    const src = this.attach(batch.source, batch.rules);
    const out: RoutedAlert[] = [];
    if (batch.lost !== undefined) this.onLost(src, batch.lost, out);
    for (const e of batch.events) this.push(batch.source, src, e);
    // A source's watermark only grows, except when a session is started again under the same id
    // (it then covers from where its rules stand): the batch says where it is.
    if (batch.watermark !== undefined) src.watermark = batch.watermark;
    for (const id of src.rules) {
      const lane = this.lanes.get(id);
      if (lane) this.release(lane, out);
    }
    return out;
  }

  /** Forgets sources that no longer run: they stop holding their rules' watermarks. */
  retainSources(ids: Iterable<string>): readonly RoutedAlert[] {
    const keep = new Set(ids);
    const touched = new Set<Lane>();
    for (const [id, src] of [...this.sources]) {
      if (keep.has(id)) continue;
      this.sources.delete(id);
      for (const r of src.rules) {
        const lane = this.lanes.get(r);
        if (!lane) continue;
        lane.sources.delete(id);
        touched.add(lane);
      }
    }
    const out: RoutedAlert[] = [];
    for (const lane of touched) this.release(lane, out);
    return out;
  }

  /**
   * A new rule set: rules that keep their id keep their engines' state (engine.ts `reload`:
   * counts too unless what they count changed); open episodes of removed rules, or of rules
   * whose grouping changed, are resolved (the alerts returned). Pending events stay, and the new
   * definition decides them; a rule whose source or match changed starts selecting with the events
   * that arrive after the reload (those its old definition did not hold are gone), as it would if
   * the reload had come a moment later.
   */
  reload(rules: RuleSet | readonly Rule[], silences: readonly Silence[] = this.silences): readonly RoutedAlert[] {
    this.silences = silences;
    const next = new Map(ruleList(rules).filter((r) => r.enabled).map((r) => [r.id, r]));
    const out: RoutedAlert[] = [];
    for (const [id, lane] of [...this.lanes]) {
      const rule = next.get(id);
      const r = lane.engine.reload(rule ? [rule] : [], silences);
      out.push(...r.alerts);
      if (!rule) {
        this.lanes.delete(id);
        continue;
      }
      lane.engine = r.engine;
      lane.rule = rule;
      lane.groups = groupsOf(rule);
      lane.selection = selectionOf(rule, this.counters.forRule(id));
    }
    for (const [id, rule] of next) if (!this.lanes.has(id)) this.lanes.set(id, this.newLane(rule, undefined));
    // Sources keep serving what they served until they say otherwise.
    for (const [sid, src] of this.sources) for (const r of src.rules) this.lanes.get(r)?.sources.add(sid);
    return out;
  }

  exportState(): LiveEngineState {
    const rules: RuleStateJson[] = [];
    for (const lane of this.lanes.values()) {
      const s = lane.engine.exportState();
      for (const r of s.rules) rules.push({ ...r, clock: s.clock, ...(s.gaps ? { gaps: s.gaps } : {}) });
    }
    return { version: LIVE_STATE_VERSION, rules };
  }

  // ---- internals -------------------------------------------------------------

  private newLane(rule: Rule, saved: { rule: RuleStateJson; clock: number | null } | undefined): Lane {
    // Per-rule engines count rules into the shared counters; events are counted here, once.
    const counters = new EngineCounters(this.counters.rules);
    const state: EngineState | undefined = saved ? { version: ENGINE_STATE_VERSION, clock: saved.clock, gaps: saved.rule.gaps, rules: [saved.rule] } : undefined;
    const engine = new Engine({ rules: [rule], silences: this.silences, state, counters, onRuleError: this.onRuleError });
    return new Lane(engine, rule, groupsOf(rule), selectionOf(rule, this.counters.forRule(rule.id)));
  }

  /** Records which rules a source serves (a batch says it each time: a reload may change it). */
  private attach(id: string, rules: readonly string[]): SourceState {
    let src = this.sources.get(id);
    if (src === undefined) {
      src = { rules: [], watermark: undefined };
      this.sources.set(id, src);
    }
    if (src.rules !== rules && !sameList(src.rules, rules)) {
      const old = src.rules;
      src.rules = [...rules];
      for (const r of old) if (!rules.includes(r)) this.lanes.get(r)?.sources.delete(id);
    }
    for (const r of src.rules) this.lanes.get(r)?.sources.add(id);
    return src;
  }

  private push(sourceId: string, src: SourceState, e: LogEvent): void {
    this.counters.events++;
    if (e.sampled) this.counters.sampledEvents++;
    let key: string | undefined;
    let view: EventView | undefined;
    // Live Tail names the group by ARN: its name is taken out once, not once per rule.
    const group = e.logGroup === '' ? '' : logGroupNameOf(e.logGroup);
    for (const id of src.rules) {
      const lane = this.lanes.get(id);
      if (lane === undefined) continue;
      if (group !== '' && !lane.groups.has(group) && !lane.groups.has(e.logGroup)) continue;
      if (e.timestamp <= lane.clock) {
        this.live.late++;
        continue;
      }
      if (!lane.selection.mayMatch((view ??= new EventView(e)))) continue;
      key ??= eventKey(e);
      let c = lane.copies.get(key);
      if (c === undefined) {
        c = { first: sourceId, n: 0, others: undefined, pending: 0 };
        lane.copies.set(key, c);
      }
      if (!countCopy(c, sourceId)) continue; // another source already delivered this copy
      c.pending++;
      lane.pending.push(e.timestamp, 0, key, e);
    }
  }

  /** The rule's low watermark: the least of its sources' (undefined while one has none or it has no source). */
  private lowWatermark(lane: Lane): number | undefined {
    if (lane.sources.size === 0) return undefined;
    let low = Number.POSITIVE_INFINITY;
    for (const id of lane.sources) {
      const w = this.sources.get(id)?.watermark;
      if (w === undefined) return undefined;
      if (w < low) low = w;
    }
    return low;
  }

  /** Feeds the rule every pending event up to its low watermark, in order, then moves its clock there. */
  private release(lane: Lane, out: RoutedAlert[]): void {
    const low = this.lowWatermark(lane);
    if (low === undefined || low < lane.clock) return;
    for (;;) {
      const due = lane.pending.peekDue();
      if (due === undefined || due > low) break;
      const { key, value } = lane.pending.pop()!;
      const c = lane.copies.get(key);
      if (c !== undefined && --c.pending <= 0) lane.copies.delete(key);
      for (const a of lane.engine.ingest(value)) out.push(a);
    }
    for (const a of lane.engine.advanceTo(low)) out.push(a);
  }

  /** A source lost (from, to]: its rules decide what they have up to `from`, then skip the gap. */
  private onLost(src: SourceState, lost: { readonly from: number; readonly to: number }, out: RoutedAlert[]): void {
    this.live.gaps++;
    for (const id of src.rules) {
      const lane = this.lanes.get(id);
      if (lane === undefined) continue;
      this.release(lane, out);
      if (lane.clock >= lost.to) continue;
      lane.engine.markGap(lost.from, lost.to);
      // Pending events inside the gap are decided before it closes; later ones wait for the watermark.
      for (;;) {
        const due = lane.pending.peekDue();
        if (due === undefined || due > lost.to) break;
        const { key, value } = lane.pending.pop()!;
        const c = lane.copies.get(key);
        if (c !== undefined && --c.pending <= 0) lane.copies.delete(key);
        for (const a of lane.engine.ingest(value)) out.push(a);
      }
      for (const a of lane.engine.skipGap(lost.to)) out.push(a);
    }
    if (src.watermark === undefined || lost.to > src.watermark) src.watermark = lost.to;
  }
}

function ruleList(rules: RuleSet | readonly Rule[]): readonly Rule[] {
  return 'rules' in rules ? (rules as RuleSet).rules : (rules as readonly Rule[]);
}

function groupsOf(rule: Rule): ReadonlySet<string> {
  return new Set(logGroupTargets(rule.source).map((t) => t.name));
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Per rule id, its saved groups and clock, from this engine's state or an older single-clock one. */
function savedRules(state: LiveEngineState | EngineState | undefined): Map<string, { rule: RuleStateJson; clock: number | null }> {
  const out = new Map<string, { rule: RuleStateJson; clock: number | null }>();
  if (state === undefined) return out;
  if (state.version === LIVE_STATE_VERSION) {
    for (const r of state.rules) out.set(r.id, { rule: r, clock: r.clock ?? null });
  } else if (state.version === ENGINE_STATE_VERSION) {
    const clock = (state as EngineState).clock;
    for (const r of state.rules) out.set(r.id, { rule: r, clock });
  } else {
    throw new Error(`engine state version ${String(state.version)} is not supported (expected ${LIVE_STATE_VERSION})`);
  }
  return out;
}
