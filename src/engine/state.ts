/**
 * The engine's persisted state (plain JSON, versioned): per rule, its
 * definition fingerprint and its live series (the JSON calls them `groups`)
 * in least-recently-seen order. Timers are not stored; they are recomputed
 * from the series on restore (engine.ts).
 *
 * Version 1 is one Engine's state (one clock); version 2 is the daemon's
 * LiveEngine state (live.ts: a clock and gaps per rule), made of the same
 * rule entries.
 */
import { Buckets } from './buckets.js';
import type { GroupValue } from './compile.js';
import { keepEvent, withoutMessage, type KeptEvent } from './kept.js';
import { groupingKey, type Runtime } from './runtime.js';
import { Series } from './series.js';

export const ENGINE_STATE_VERSION = 1;

/** A range of event time whose events may not all have arrived (engine.ts markGap). */
export interface Gap {
  readonly from: number;
  readonly to: number;
}

/** One series (a rule's groupBy values) as saved. */
export interface SeriesStateJson {
  readonly key: string;
  readonly values: Readonly<Record<string, GroupValue>>;
  /** [second, count, firstTs, lastTs, old(0|1)] */
  readonly buckets: readonly (readonly [number, number, number, number, 0 | 1])[];
  /** Messages longer than 16 KiB cut (kept.ts); empty when the size bound dropped them (serializeState). */
  readonly samples: readonly KeptEvent[];
  readonly lastEvent: KeptEvent | null;
  readonly sampled: boolean;
  readonly firstSeen: number;
  readonly lastFireAt: number | null;
  readonly lastSentAt: number | null;
  readonly suppressed: number;
  readonly open: boolean;
  readonly absent: boolean;
}

export interface RuleStateJson {
  readonly id: string;
  readonly fingerprint: string;
  /** Window type and groupBy (runtime.ts groupingKey): a reload that keeps them keeps episodes. */
  readonly grouping?: string | undefined;
  /** This rule's own clock (ms), where rules run on clocks of their own (the daemon's LiveEngine). */
  readonly clock?: number | null | undefined;
  /** …and its own gaps (EngineState.gaps). */
  readonly gaps?: readonly Gap[] | undefined;
  readonly groups: readonly SeriesStateJson[];
}

export interface EngineState {
  readonly version: number;
  /** The engine clock (ms), null before the first event. */
  readonly clock: number | null;
  /** Ranges with missing events (engine.ts markGap): firings over them still say `sampled` after a restart. */
  readonly gaps?: readonly Gap[] | undefined;
  readonly rules: readonly RuleStateJson[];
}

/** A rule's entry of the state: its definition and its series, least recently seen first. */
export function exportRule(rt: Runtime): RuleStateJson {
  return {
    id: rt.rule.id,
    fingerprint: rt.cr.fingerprint,
    grouping: groupingKey(rt.rule),
    groups: [...rt.series.values()].map(
      (s): SeriesStateJson => ({
        key: s.key,
        values: s.values,
        buckets: s.buckets.toJSON(),
        samples: s.samples.map(plainEvent),
        lastEvent: s.lastEvent ? plainEvent(s.lastEvent) : null,
        sampled: s.sampled,
        firstSeen: s.firstSeen,
        lastFireAt: s.lastFireAt ?? null,
        lastSentAt: s.lastSentAt ?? null,
        suppressed: s.suppressed,
        open: s.open,
        absent: s.absent,
      }),
    ),
  };
}

/**
 * Puts a rule's saved series back into its (empty) table. Same definition (fingerprint):
 * everything. Same grouping only: episodes and throttles, counts afresh (first seen at `clock`,
 * so absence watches them again from now). Otherwise nothing (reload resolved them). The caller
 * arms their timers.
 */
export function restoreRule(rt: Runtime, saved: RuleStateJson, clock: number): void {
  const same = rt.cr.fingerprint === saved.fingerprint;
  if (!same && saved.grouping !== groupingKey(rt.rule)) return;
  for (const g of saved.groups) {
    const s = new Series(g.key, g.values);
    // keepEvent: a state written before events were cut when kept holds whole messages.
    s.lastEvent = g.lastEvent ? keepEvent({ ...g.lastEvent }, rt.cr.fields) : undefined;
    if (same) {
      s.buckets = Buckets.fromJSON(g.buckets);
      s.samples = g.samples.map((e) => keepEvent({ ...e }, rt.cr.fields));
      s.sampled = g.sampled;
      s.firstSeen = g.firstSeen;
    } else {
      s.firstSeen = clock;
    }
    s.lastFireAt = g.lastFireAt ?? undefined;
    s.lastSentAt = g.lastSentAt ?? undefined;
    s.suppressed = g.suppressed;
    s.open = g.open && rt.rule.resolve;
    s.absent = g.absent;
    rt.series.add(s);
  }
}

function plainEvent(e: KeptEvent): KeptEvent {
  const out: { -readonly [K in keyof KeptEvent]: KeptEvent[K] } = { timestamp: e.timestamp, logGroup: e.logGroup, logStream: e.logStream, message: e.message };
  if (e.sampled) out.sampled = true;
  if (e.digest !== undefined) out.digest = e.digest;
  if (e.fields !== undefined) out.fields = e.fields;
  return out;
}

/** The state file's size bound (bytes of JSON). */
export const MAX_STATE_BYTES = 64 * 1024 * 1024;

export interface SerializedState {
  /** The JSON text in pieces (never one string: no string-length limit, no second copy). */
  readonly parts: readonly string[];
  readonly bytes: number;
  /** Groups whose samples, or whose last event's message too, were left out to stay within the bound. */
  readonly trimmed: { readonly samples: number; readonly lastEvents: number };
  /** Still over the bound with every sample and message left out (group keys and windows alone). */
  readonly overBound: boolean;
}

interface Entry {
  readonly rule: number;
  group: SeriesStateJson;
  text: string;
  bytes: number;
  readonly lastSeen: number;
}

/**
 * A state (Engine's or LiveEngine's: `rules` with their `groups`) as JSON of at most `maxBytes`:
 * beyond it, the least recently seen groups (by their last event) lose their samples first, then
 * their last event's message (its digest stays, so alert ids do not change: kept.ts). Episodes,
 * throttles, windows and clocks are always kept.
 */
export function serializeState(state: { readonly rules: readonly RuleStateJson[] }, maxBytes = MAX_STATE_BYTES): SerializedState {
  const entries: Entry[][] = [];
  let total = 0;
  const heads: string[] = [];
  const { rules, ...top } = state;
  const head = JSON.stringify({ ...top, rules: [] }).slice(0, -2);
  total += Buffer.byteLength(head) + 2 + Math.max(0, rules.length - 1);
  rules.forEach((r, i) => {
    const { groups, ...rest } = r;
    const h = JSON.stringify({ ...rest, groups: [] }).slice(0, -2);
    heads.push(h);
    total += Buffer.byteLength(h) + 2 + Math.max(0, groups.length - 1);
    entries.push(
      groups.map((group) => {
        const text = JSON.stringify(group);
        const bytes = Buffer.byteLength(text);
        total += bytes;
        return { rule: i, group, text, bytes, lastSeen: group.lastEvent?.timestamp ?? group.firstSeen };
      }),
    );
  });
  const trimmed = { samples: 0, lastEvents: 0 };
  if (total > maxBytes) {
    // Least recently seen first; ties in rule order, then each rule's own least-recently-seen order.
    const order = entries.flat().sort((a, b) => a.lastSeen - b.lastSeen);
    const shrink = (e: Entry, group: SeriesStateJson): void => {
      const text = JSON.stringify(group);
      const bytes = Buffer.byteLength(text);
      total -= e.bytes - bytes;
      Object.assign(e, { group, text, bytes });
    };
    for (const e of order) {
      if (total <= maxBytes) break;
      if (e.group.samples.length === 0) continue;
      shrink(e, { ...e.group, samples: [] });
      trimmed.samples++;
    }
    for (const e of order) {
      if (total <= maxBytes) break;
      const last = e.group.lastEvent;
      if (last === null || last.message === '') continue;
      shrink(e, { ...e.group, lastEvent: withoutMessage(last) });
      trimmed.lastEvents++;
    }
  }
  const parts: string[] = [head];
  rules.forEach((_, i) => {
    if (i > 0) parts.push(',');
    parts.push(heads[i]!);
    entries[i]!.forEach((e, j) => {
      if (j > 0) parts.push(',');
      parts.push(e.text);
    });
    parts.push(']}');
  });
  parts.push(']}');
  return { parts, bytes: total, trimmed, overBound: total > maxBytes };
}
