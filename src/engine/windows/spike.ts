/**
 * Spike: the current window (`within` up to the clock) holds at least
 * `minCount` matching events and `factor` times as many as the window before
 * it. After a firing, the events counted so far belong to earlier windows
 * only, so the next firing needs a new spike. An open episode resolves a
 * window after its last firing.
 */
import type { RuleWindow } from '../../model/config.js';
import type { LogEvent } from '../../model/event.js';
import type { FieldReader } from '../kept.js';
import type { Series } from '../series.js';
import { resolveDue, type Cleared, type Firing } from './outcome.js';

export type SpikeWindow = Extract<RuleWindow, { type: 'spike' }>;

/** A matching event at or before the clock `now`. */
export function spikeEvent(s: Series, event: LogEvent, now: number, w: SpikeWindow, fields: FieldReader | undefined): Firing | undefined {
  const ts = event.timestamp;
  const within = w.withinMs;
  const previousStart = now - 2 * within;
  s.buckets.trim(previousStart);
  if (ts <= previousStart) return undefined; // too late for both windows
  s.buckets.add(ts);
  s.addSample(event, fields);
  const cur = s.buckets.countCurrent(now - within);
  if (cur.n < w.minCount || cur.n < w.factor * s.buckets.countBetween(previousStart, now - within)) return undefined;
  const firing: Firing = { kind: 'firing', at: cur.last, count: cur.n, first: cur.first, last: cur.last, samples: s.samples.filter((e) => e.timestamp >= cur.first), sampled: s.sampled };
  s.buckets.markOld();
  s.samples = [];
  s.sampled = false;
  return firing;
}

/** The series' timer fell due at `t`: the open episode resolves when no firing came for a window. */
export function spikeTimer(s: Series, t: number, w: SpikeWindow): Cleared | undefined {
  const due = resolveDue(s, w.withinMs);
  if (due === undefined || t < due) return undefined;
  s.buckets.trim(t - 2 * w.withinMs);
  return { kind: 'resolved', at: t, count: s.buckets.countBetween(t - w.withinMs, Infinity) };
}
