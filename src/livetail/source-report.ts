/**
 * What a LiveTailSource tells about itself: the plan line it logs when the
 * sessions change, and its health (readiness, the `/readyz` lines, the
 * unhealthy rules) from its sessions' and polls' statuses.
 */
import { logGroupNameOf } from '../aws/index.js';
import type { Logger } from 'pino';
import type { Config } from '../model/config.js';
import type { SourceHealth } from '../model/ports.js';
import type { PolledSource } from './poll.js';
import { isRefusal } from './refused-groups.js';
import type { SupervisedSession } from './session.js';
import { groupRefusalText, type Plan, type UnplacedRule } from './spec.js';

/** The `Live Tail plan: …` line: sessions, polls and the monthly cost. */
export function logPlan(logger: Logger, plan: Plan, config: Config): void {
  const n = plan.sessions.length;
  const sessions = plan.sessions.map((s) => ({ session: s.id, region: s.region, logGroups: s.params.logGroupIdentifiers.map(logGroupNameOf), rules: s.rules, monthlyCost: s.monthlyCost }));
  // Polled rules' polls, when there are any (no session-minutes; FilterLogEvents calls within the budget).
  const polls = plan.polls.map((p) => ({ poll: p.id, region: p.region, logGroup: logGroupNameOf(p.params.logGroupIdentifiers[0]!), intervalMs: p.intervalMs, lagMs: p.lagMs, rules: p.rules, callsPerMinute: p.callsPerMinute }));
  const calls = Math.round(plan.polls.reduce((sum, p) => sum + p.callsPerMinute, 0) * 100) / 100;
  const pollText = polls.length > 0 ? `; ${polls.length} poll${polls.length === 1 ? '' : 's'}, ${calls} FilterLogEvents calls/minute` : '';
  logger.info(
    { sessions, ...(polls.length > 0 ? { polls } : {}), monthlyCost: plan.monthlyCost, pricePerMinute: config.sessions.pricePerMinute, strategy: config.sessions.strategy },
    `Live Tail plan: ${n} session${n === 1 ? '' : 's'}, $${plan.monthlyCost.toFixed(2)}/month at $${config.sessions.pricePerMinute} per session-minute${pollText}`,
  );
}

export interface SourceParts {
  readonly sessions: readonly SupervisedSession[];
  readonly polls: readonly PolledSource[];
  readonly unplaced: readonly UnplacedRule[];
  readonly partlyServed: readonly UnplacedRule[];
  /** Planned at least once and not stopped. */
  readonly running: boolean;
}

/** Ready when every session started and every poll polled once, none failing; unhealthy rules and one line per part. */
export function sourceHealth(parts: SourceParts): SourceHealth {
  const statuses = parts.sessions.map((s) => s.status());
  const unhealthy = new Set<string>();
  for (const st of statuses) if (st.unhealthy) for (const r of st.rules) unhealthy.add(r);
  for (const u of parts.unplaced) unhealthy.add(u.rule);
  // Served on some of its log groups only: still unhealthy (events of the others are missed).
  for (const u of parts.partlyServed) unhealthy.add(u.rule);
  const details = parts.sessions.map((session) => {
    const st = session.status();
    const groups = session.spec.params.logGroupIdentifiers;
    // Refused for a group: which one, where and in which account (a session of several groups is probed: see the exclusions).
    const why = st.failing && isRefusal(st.lastReason) && groups.length === 1 ? `: ${groupRefusalText(groups[0]!, session.spec.region, st.lastReason)}` : '';
    return `${st.id}: ${st.state}${st.failing ? ` (failing: ${st.lastReason}${why})` : ''} [${st.rules.join(', ')}]`;
  });
  const polls = parts.polls.map((p) => ({ p, st: p.status() }));
  for (const { p, st } of polls) {
    if (st.unhealthy) for (const r of st.rules) unhealthy.add(r);
    // Lag: how far its watermark trails now − lag (up to one interval is its normal rhythm).
    const behind = st.behindMs > p.spec.intervalMs ? `, ${Math.round(st.behindMs / 1000)} s behind (cannot keep up)` : '';
    const state = !st.polledOnce && !st.failing ? 'starting' : `polling every ${Math.round(p.spec.intervalMs / 1000)} s, covered to ${Math.round((st.behindMs + p.spec.lagMs) / 1000)} s ago`;
    details.push(`${st.id}: ${state}${behind}${st.failing ? ` (failing: ${st.lastReason})` : ''} [${st.rules.join(', ')}]`);
  }
  for (const u of parts.unplaced) details.push(`${u.rule}: not placed: ${u.reason}`);
  for (const u of parts.partlyServed) details.push(`${u.rule}: partly served: ${u.reason}`);
  return {
    ready: parts.running && statuses.every((st) => st.startedOnce && !st.failing) && polls.every(({ st }) => st.polledOnce && !st.failing),
    details,
    unhealthyRules: [...unhealthy].sort(),
  };
}
