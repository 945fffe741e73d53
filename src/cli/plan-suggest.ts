/**
 * `tailwatch plan --suggest`: live rules whose windows are long enough to be
 * polled. A rule with a window of W decides over W anyway; polled every P
 * (with the default lag) it fires at most P + lag later. A rule qualifies
 * when some P of 1m, 2m, 5m, 10m, 15m, 30m, 1h is at most a tenth of its
 * window (so W ≥ 10m): the largest such P is suggested, and the plan is made
 * again with those rules polled to say what it would save. Rules without a
 * window (every event alerts) are never suggested: they are the ones that want
 * seconds.
 */
import { formatDuration } from '../duration.js';
import { DEFAULT_POLL_LAG_MS, type Rule, type RuleSet } from '../model/config.js';

export const SUGGESTED_INTERVALS_MS = [60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000] as const;
/** The suggested interval is at most this share of the rule's window. */
export const SUGGEST_WINDOW_SHARE = 10;

export interface Suggestion {
  readonly rule: string;
  readonly window: string;
  readonly pollMs: number;
  readonly lagMs: number;
  /** At most this much later than live (poll + lag). */
  readonly laterByMs: number;
}

export function suggestPolling(ruleSet: RuleSet): Suggestion[] {
  const out: Suggestion[] = [];
  for (const r of ruleSet.rules) {
    if (!r.enabled || r.feed?.kind === 'poll' || !r.window) continue;
    const within = r.window.withinMs;
    const pollMs = [...SUGGESTED_INTERVALS_MS].reverse().find((p) => p * SUGGEST_WINDOW_SHARE <= within);
    if (pollMs === undefined) continue;
    out.push({ rule: r.id, window: `${r.window.type} within ${formatDuration(within)}`, pollMs, lagMs: DEFAULT_POLL_LAG_MS, laterByMs: pollMs + DEFAULT_POLL_LAG_MS });
  }
  return out.sort((a, b) => (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
}

/** The rule set with the suggestions applied. */
export function withSuggestions(ruleSet: RuleSet, suggestions: readonly Suggestion[]): RuleSet {
  const by = new Map(suggestions.map((s) => [s.rule, s]));
  const rules = ruleSet.rules.map((r): Rule => {
    const s = by.get(r.id);
    return s ? { ...r, feed: { kind: 'poll', intervalMs: s.pollMs, lagMs: s.lagMs } } : r;
  });
  return { ...ruleSet, rules };
}
