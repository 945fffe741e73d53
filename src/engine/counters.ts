/**
 * Plain counters the engine bumps on its hot path; the daemon's /metrics
 * reads them (no metrics library in the pure engine). One object lives
 * across reloads so counts never go backwards.
 */
export interface RuleCounters {
  /** Events routed to the rule (its log group and stream filter). */
  received: number;
  /** Events that passed the filter pattern and match tree. */
  matched: number;
  /** Firings decided by the window (sent, suppressed or silenced). */
  fired: number;
  /** Firings held back by the throttle. */
  suppressed: number;
  /** Alerts (firing or resolved) a silence held back. */
  silenced: number;
  /** Resolved alerts decided. */
  resolved: number;
  /** Groups dropped because `maxGroups` was reached. */
  evictedGroups: number;
  /** Exceptions while evaluating the rule or rendering its alert (the event or timer was skipped for this rule only). */
  errors: number;
}

export class EngineCounters {
  /** Every event ingested. */
  events = 0;
  /** Events that arrived flagged `sampled` by Live Tail. */
  sampledEvents = 0;
  /** Per rule; engines that each run some of the rules may share one map (the daemon's LiveEngine). */
  constructor(readonly rules: Map<string, RuleCounters> = new Map()) {}

  forRule(id: string): RuleCounters {
    let c = this.rules.get(id);
    if (!c) {
      c = { received: 0, matched: 0, fired: 0, suppressed: 0, silenced: 0, resolved: 0, evictedGroups: 0, errors: 0 };
      this.rules.set(id, c);
    }
    return c;
  }
}
