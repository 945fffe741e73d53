/**
 * A rule's series: the events of one rule that share their `groupBy` values
 * (one series when the rule has no `groupBy`). Each series has its own window
 * contents, samples, throttle and episode. Users meet a series as the alert's
 * `group` / `groupKey`, `maxGroups` and the state file's `groups`; the engine
 * calls it a series so that "group" alone always means a log group.
 */
import { MAX_SAMPLES } from './alert-build.js';
import { Buckets } from './buckets.js';
import { boundGroupValue, groupValue, MAX_GROUP_VALUE_CHARS, type CompiledRule, type GroupValue } from './compile.js';
import type { LogEvent } from '../model/event.js';
import { keepEvent, type FieldReader, type KeptEvent } from './kept.js';
import type { EventView } from './match.js';

/** One series of one rule: window contents, throttle and episode bookkeeping. */
export class Series {
  buckets = new Buckets();
  /** The most recent matching events (at most MAX_SAMPLES), oldest first, long messages cut (kept.ts). */
  samples: KeptEvent[] = [];
  lastEvent: KeptEvent | undefined;
  /** A sample since the last firing was sampled by Live Tail, or (on its firing) fell in a gap. */
  sampled = false;
  firstSeen = 0;
  /** Last firing decided (sent, suppressed or silenced). */
  lastFireAt: number | undefined;
  /** Last firing actually sent (the throttle's reference). */
  lastSentAt: number | undefined;
  suppressed = 0;
  /** A sent firing awaits its `resolved` (only with `resolve: true`): the episode is open. */
  open = false;
  /** Absence: fired and waiting for events to resume. */
  absent = false;
  /** Due time of this series' live timer, if any (timers.ts). */
  scheduledAt: number | undefined;
  /** Dropped by `maxGroups`: its timers, still in the heap, are ignored. */
  evicted = false;
  /** Least-recently-seen list links (older → newer). */
  older: Series | undefined;
  newer: Series | undefined;
  constructor(
    /** The groupBy values as one string: the alert id's `groupKey` and the state's `key`. */
    readonly key: string,
    /** The groupBy values by name: the alert's `group`. */
    readonly values: Readonly<Record<string, GroupValue>>,
  ) {}

  /** Keeps `e` as the last event and a sample (cut when long: the series outlives the line); returns it as kept. */
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
 * A rule's series: lookup by key plus a least-recently-seen list, so touching
 * and evicting are O(1) (iterating a Map from its start to find the oldest
 * entry degrades with every deletion).
 */
export class SeriesTable {
  private readonly byKey = new Map<string, Series>();
  private oldest: Series | undefined;
  private newest: Series | undefined;

  constructor(private readonly cr: CompiledRule) {}

  get size(): number {
    return this.byKey.size;
  }

  /**
   * The series of a matching event, made (first seen at `ts`) when new; touched as the most
   * recently seen. The caller evicts beyond `maxGroups` (evictOldest).
   */
  of(view: EventView, ts: number): Series {
    const readers = this.cr.groupReaders;
    if (readers.length === 0) return this.seen('') ?? this.create('', [], ts);
    if (readers.length === 1) {
      // One groupBy value (the common case): a typed key without building JSON.
      let v = groupValue(readers[0]!(view));
      let shown = v;
      if (typeof v === 'string' && v.length > MAX_GROUP_VALUE_CHARS) {
        const b = boundGroupValue(v);
        shown = b.shown;
        v = b.key;
      }
      const key = v === null ? 'null' : typeof v === 'string' ? 's:' + v : typeof v === 'number' ? 'n:' + v : 'b:' + v;
      return this.seen(key) ?? this.create(key, [shown], ts);
    }
    const bound = readers.map((read) => boundGroupValue(groupValue(read(view))));
    const key = JSON.stringify(bound.map((b) => b.key));
    return this.seen(key) ?? this.create(key, bound.map((b) => b.shown), ts);
  }

  /** Appends a series as the most recently seen (restore). */
  add(s: Series): void {
    this.byKey.set(s.key, s);
    this.link(s);
  }

  /** Removes and returns the least recently seen series, marked evicted. */
  evictOldest(): Series | undefined {
    const s = this.oldest;
    if (s === undefined) return undefined;
    this.unlink(s);
    this.byKey.delete(s.key);
    s.evicted = true;
    return s;
  }

  /** Oldest first. */
  *values(): IterableIterator<Series> {
    for (let s = this.oldest; s !== undefined; s = s.newer) yield s;
  }

  private create(key: string, values: readonly GroupValue[], ts: number): Series {
    // Own properties even for a groupBy named `__proto__` (an assignment would set the prototype).
    const named: Record<string, GroupValue> = {};
    this.cr.groupNames.forEach((n, i) => Object.defineProperty(named, n, { value: values[i]!, enumerable: true, writable: true, configurable: true }));
    const s = new Series(key, named);
    s.firstSeen = ts;
    this.add(s);
    return s;
  }

  /** The series of `key`, touched as the most recently seen; undefined when there is none. */
  private seen(key: string): Series | undefined {
    const s = this.byKey.get(key);
    if (s !== undefined && this.newest !== s) {
      this.unlink(s);
      this.link(s);
    }
    return s;
  }

  private link(s: Series): void {
    s.older = this.newest;
    s.newer = undefined;
    if (this.newest) this.newest.newer = s;
    else this.oldest = s;
    this.newest = s;
  }

  private unlink(s: Series): void {
    if (s.older) s.older.newer = s.newer;
    else this.oldest = s.newer;
    if (s.newer) s.newer.older = s.older;
    else this.newest = s.older;
    s.older = s.newer = undefined;
  }
}
