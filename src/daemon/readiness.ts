/**
 * Whether the daemon serves (`/readyz`, the heartbeat, systemd's READY=1),
 * with a line per reason when it does not; and the status line systemd shows.
 * The conditions are listed in src/daemon/README.md ("Readiness").
 */
import { storeErrorText } from '../notify/index.js';
import type { Config, RuleSet } from '../model/config.js';
import type { AlertSink, EventSource } from '../model/ports.js';
import type { HeldAlerts } from './held-alerts.js';

export interface Readiness {
  readonly ready: boolean;
  readonly details: string[];
}

export interface ReadinessInputs {
  readonly config: Config;
  readonly ruleSet: RuleSet;
  readonly source: EventSource;
  readonly sink: AlertSink;
  readonly held: HeldAlerts;
}

export function readinessOf(s: ReadinessInputs): Readiness {
  const h = s.source.health();
  const details = [`${s.ruleSet.rules.length} rule(s) loaded`, ...h.details];
  if (h.unhealthyRules.length) details.push(`unhealthy rules: ${h.unhealthyRules.join(', ')}`);
  const outbox = outboxProblem(s);
  if (outbox) details.push(outbox);
  // A deploy that lost its rules watches nothing: not ready, unless the config says that is fine.
  const empty = s.ruleSet.rules.length === 0 && !s.config.rules.allowEmpty;
  if (empty) details.push('no rules to run (set rules: { allowEmpty: true } if an empty rule set is intended)');
  return { ready: h.ready && h.unhealthyRules.length === 0 && !outbox && !empty, details };
}

/** Why the outbox is not taking alerts, or undefined. Names the kind of failure and its code, never a path. */
function outboxProblem(s: Pick<ReadinessInputs, 'sink' | 'held'>): string | undefined {
  if (s.held.size > 0) {
    const why = s.held.lastError !== undefined ? storeErrorText(s.held.lastError) : (s.sink.writeProblem?.() ?? 'retrying');
    return `outbox cannot write: ${why}; ${s.held.size} alert(s) held in memory, retrying`;
  }
  const problem = s.sink.writeProblem?.();
  return problem ? `outbox cannot write: ${problem}` : undefined;
}

/** systemd's STATUS= line: `N rules; ` and the source's details. */
export function statusLine(s: Pick<ReadinessInputs, 'ruleSet' | 'source'>): string {
  return `${s.ruleSet.rules.length} rules; ${s.source.health().details.join('; ')}`;
}
