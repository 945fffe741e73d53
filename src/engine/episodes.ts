/**
 * From a window's outcome to alerts: throttle, silences and episodes.
 *
 * A sent firing opens an episode of its rule and series (with `resolve:
 * true`); `throttle` suppresses repeats within it; a `resolved` closes it, so
 * the next firing is sent at once (a condition that returns is always paged).
 */
import type { Silence } from '../model/config.js';
import type { ResolveReason, RoutedAlert } from '../model/alert.js';
import { buildAlert, type Decision } from './alert-build.js';
import type { Runtime } from './runtime.js';
import type { Series } from './series.js';
import { matchingSilence } from './silence.js';
import type { Gap } from './state.js';
import type { SeriesTimers } from './timers.js';
import type { Firing, Outcome } from './windows/outcome.js';

const NO_ALERTS: readonly RoutedAlert[] = Object.freeze([]);

export class Episodes {
  private out: RoutedAlert[] = [];

  constructor(
    private readonly silences: readonly Silence[],
    /** The engine's gaps (markGap), read when a firing is sent. */
    private readonly gaps: readonly Gap[],
    private readonly timers: SeriesTimers,
  ) {}

  /** A window's outcome: a firing, or a cleared condition that resolves the open episode. */
  decide(rt: Runtime, s: Series, o: Outcome): void {
    if (o.kind === 'firing') this.fire(rt, s, o);
    else this.resolve(rt, s, o.at, o.count);
  }

  /** A firing: throttled → suppressed; silenced → counted; else sent. */
  fire(rt: Runtime, s: Series, f: Firing): void {
    const rule = rt.rule;
    const at = f.at;
    rt.counters.fired++;
    s.lastFireAt = at;
    if (s.lastSentAt !== undefined && rule.throttleMs > 0 && at - s.lastSentAt < rule.throttleMs) {
      s.suppressed++;
      rt.counters.suppressed++;
      // A suppressed firing is still a firing: the resolve waits a full window after it.
      if (s.open && rt.window !== undefined && rt.window.type !== 'absence') this.timers.schedule(rt, s, at + rt.window.withinMs);
      return;
    }
    if (this.silenced(rt, s, at)) return;
    const within = rt.window?.withinMs ?? 0;
    const overGap = this.gaps.length > 0 && this.gaps.some((gap) => at >= gap.from && at - within < gap.to);
    this.emit(rt, s, { kind: 'firing', at, groupKey: s.key, group: s.values, count: f.count, firstEventAt: f.first, lastEventAt: f.last, suppressed: s.suppressed, sampled: f.sampled || overGap, samples: f.samples, event: s.lastEvent });
    s.lastSentAt = at;
    if (rule.resolve && rt.window !== undefined) {
      s.open = true;
      if (rt.window.type !== 'absence') this.timers.schedule(rt, s, at + rt.window.withinMs);
    }
  }

  /**
   * The condition cleared (or, with `reason`, the rule was removed or regrouped): a `resolved`
   * alert, never throttled (silences still apply). It closes the episode: the throttle no longer
   * holds back the next firing.
   */
  resolve(rt: Runtime, s: Series, at: number, count: number, reason?: ResolveReason): void {
    s.open = false;
    s.lastSentAt = undefined;
    rt.counters.resolved++;
    if (this.silenced(rt, s, at)) return;
    const last = s.buckets.lastTs() ?? s.lastEvent?.timestamp ?? at;
    const first = s.buckets.firstTs() ?? last;
    const samples = s.samples.filter((e) => e.timestamp >= first);
    this.emit(rt, s, { ...(reason !== undefined ? { reason } : {}), kind: 'resolved', at, groupKey: s.key, group: s.values, count, firstEventAt: first, lastEventAt: last, suppressed: s.suppressed, sampled: s.sampled, samples, event: s.lastEvent });
  }

  /** The alerts decided since the last call. */
  flush(): readonly RoutedAlert[] {
    if (this.out.length === 0) return NO_ALERTS;
    const out = this.out;
    this.out = [];
    return out;
  }

  private silenced(rt: Runtime, s: Series, at: number): boolean {
    if (this.silences.length === 0) return false;
    const rule = rt.rule;
    const hit = matchingSilence(this.silences, { ruleId: rule.id, severity: rule.severity, labels: rule.labels, group: s.values, at });
    if (hit === undefined) return false;
    rt.counters.silenced++;
    return true;
  }

  private emit(rt: Runtime, s: Series, d: Decision): void {
    const alert = buildAlert(rt.cr, d);
    s.suppressed = 0;
    this.out.push({ alert, destinations: rt.rule.notify });
  }
}
