/**
 * No window: every matching event is a firing of its own (throttle and
 * silences still apply, episodes.ts). Such a rule never resolves.
 */
import type { LogEvent } from '../../model/event.js';
import type { FieldReader } from '../kept.js';
import type { Series } from '../series.js';
import type { Firing } from './outcome.js';

export function noneEvent(s: Series, event: LogEvent, fields: FieldReader | undefined): Firing {
  const kept = s.addSample(event, fields);
  const ts = event.timestamp;
  s.sampled = false;
  return { kind: 'firing', at: ts, count: 1, first: ts, last: ts, samples: [kept], sampled: !!event.sampled };
}
