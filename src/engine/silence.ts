/**
 * Silences as code (`silences` in the config): an alert that a live silence matches is not
 * sent. A silence matches when its `rule` (if set) is the alert's rule and
 * each of its `labels` equals one of the alert's labels, which are — as in
 * Alertmanager — `alertname` (the rule id), `severity`, the rule's labels and
 * the group values. A silence whose `until` is at or before the alert's time
 * is expired and ignored.
 */
import type { Silence } from '../model/config.js';
import type { GroupValue } from './compile.js';

export interface SilenceSubject {
  readonly ruleId: string;
  readonly severity: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly group: Readonly<Record<string, GroupValue>>;
  /** Event time of the alert (ms). */
  readonly at: number;
}

function labelOf(s: SilenceSubject, name: string): string | undefined {
  if (name in s.group) {
    const v = s.group[name];
    return v === null || v === undefined ? '' : String(v);
  }
  if (Object.prototype.hasOwnProperty.call(s.labels, name)) return s.labels[name];
  if (name === 'alertname') return s.ruleId;
  if (name === 'severity') return s.severity;
  return undefined;
}

/** The first live silence that matches, if any. */
export function matchingSilence(silences: readonly Silence[], s: SilenceSubject): Silence | undefined {
  for (const silence of silences) {
    if (silence.until <= s.at) continue;
    if (silence.rule !== undefined && silence.rule !== s.ruleId) continue;
    let all = true;
    for (const [k, v] of Object.entries(silence.labels)) {
      if (labelOf(s, k) !== v) {
        all = false;
        break;
      }
    }
    if (all) return silence;
  }
  return undefined;
}

/** Silences already expired at `now` (for a `validate` warning). */
export function expiredSilences(silences: readonly Silence[], now: number): Silence[] {
  return silences.filter((s) => s.until <= now);
}
