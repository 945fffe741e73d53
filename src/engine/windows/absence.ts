/**
 * Absence: fewer than `count` matching events in the last `within` fire, by
 * the series' timer, once the series has been watched for a whole window
 * (from its first event, a restore with a changed rule, or the end of a
 * skipped gap). It fires once; events that bring the count back end it (and
 * resolve the open episode).
 */
import type { RuleWindow } from '../../model/config.js';
import type { LogEvent } from '../../model/event.js';
import type { FieldReader } from '../kept.js';
import type { Series } from '../series.js';
import type { Cleared, Firing } from './outcome.js';

export type AbsenceWindow = Extract<RuleWindow, { type: 'absence' }>;

/** A matching event at or before the clock `now`: the absence ends when the count is back. */
export function absenceEvent(s: Series, event: LogEvent, now: number, w: AbsenceWindow, fields: FieldReader | undefined): Cleared | undefined {
  const ts = event.timestamp;
  s.buckets.trim(now - w.withinMs);
  if (ts > now - w.withinMs) s.buckets.add(ts);
  s.addSample(event, fields);
  if (!s.absent || s.buckets.total < w.count) return undefined;
  s.absent = false;
  return s.open ? { kind: 'resolved', at: Math.max(ts, s.lastFireAt ?? ts), count: s.buckets.total } : undefined;
}

/** The series' timer fell due at `t`: the firing when the absence holds now. */
export function absenceTimer(s: Series, t: number, w: AbsenceWindow): Firing | undefined {
  if (s.absent) return undefined;
  s.buckets.trim(t - w.withinMs);
  if (absenceHoldsAt(s, w, t) > t) return undefined;
  const last = s.buckets.lastTs() ?? s.lastEvent?.timestamp ?? t;
  const first = s.buckets.firstTs() ?? last;
  s.absent = true;
  const firing: Firing = { kind: 'firing', at: t, count: s.buckets.total, first, last, samples: s.samples, sampled: s.sampled };
  s.sampled = false;
  return firing;
}

/** When the series' timer is due (after an event, a timer or a restore); undefined while absent: events end that. */
export function absenceDue(s: Series, w: AbsenceWindow, now: number): number | undefined {
  return s.absent ? undefined : absenceHoldsAt(s, w, now);
}

/** When the absence condition (fewer than `count` in the last `within`) will hold for this series. */
function absenceHoldsAt(s: Series, w: AbsenceWindow, now: number): number {
  const armed = s.firstSeen + w.withinMs;
  const nth = s.buckets.lastOfNthNewest(w.count);
  return Math.max(armed, nth === undefined ? now : nth + w.withinMs);
}
