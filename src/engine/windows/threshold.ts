/**
 * Threshold: at least `count` matching events within `within` fire, at the
 * event that reaches the count; the window then starts empty again. An open
 * episode resolves a window after its last firing.
 */
import type { RuleWindow } from '../../model/config.js';
import type { LogEvent } from '../../model/event.js';
import type { FieldReader } from '../kept.js';
import type { Series } from '../series.js';
import { resolveDue, type Cleared, type Firing } from './outcome.js';

export type ThresholdWindow = Extract<RuleWindow, { type: 'threshold' }>;

/** A matching event at or before the clock `now`. */
export function thresholdEvent(s: Series, event: LogEvent, now: number, w: ThresholdWindow, fields: FieldReader | undefined): Firing | undefined {
  const ts = event.timestamp;
  const cutoff = now - w.withinMs;
  s.buckets.trim(cutoff);
  if (ts <= cutoff) return undefined; // too late for any open window
  s.buckets.add(ts);
  s.addSample(event, fields);
  if (s.buckets.total < w.count) return undefined;
  const last = s.buckets.lastTs()!;
  const firing: Firing = { kind: 'firing', at: last, count: s.buckets.total, first: s.buckets.firstTs()!, last, samples: s.samples.filter((e) => e.timestamp > cutoff), sampled: s.sampled };
  s.buckets.clear();
  s.samples = [];
  s.sampled = false;
  return firing;
}

/** The series' timer fell due at `t`: the open episode resolves when no firing came for a window. */
export function thresholdTimer(s: Series, t: number, w: ThresholdWindow): Cleared | undefined {
  const due = resolveDue(s, w.withinMs);
  if (due === undefined || t < due) return undefined;
  s.buckets.trim(t - w.withinMs);
  return { kind: 'resolved', at: t, count: s.buckets.countBetween(t - w.withinMs, Infinity) };
}
