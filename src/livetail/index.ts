/** Live Tail: the planner, the supervised sessions, gap backfill. */
export { LiveTailSource, type LiveTailSourceOptions } from './source.js';
export { createLiveTailSource, planStateFileOf, SourceSet, type SourceSetOptions } from './source-set.js';
export type { SourceMetrics, SupervisorSettings, SessionStatus, RestartInfo } from './session.js';
export { planSessions, accountArnResolver, type ArnResolver, type SplitGroups } from './planner.js';
export {
  ADAPTIVE_DEFAULTS,
  EMPTY_ADAPTIVE_STATE,
  LIVE_TAIL_CAP,
  PLAN_STATE_FILE,
  UpdateWindow,
  activeSplits,
  decideAdaptive,
  parsePlanState,
  splitKey,
  type AdaptiveChange,
  type AdaptiveDecision,
  type AdaptiveInput,
  type AdaptiveState,
  type AdaptiveThresholds,
  type ObservedSession,
  type ObservedStats,
  type PlanStateFile,
  type SplitRecord,
} from './adaptive.js';
export { resolveArns } from './arns.js';
export { unionPattern, orTerms, jsonCondition } from './union.js';
export { createLogsClient, isLoopbackEndpoint, ClientPool } from './client.js';
export { classifyError, describeError, policyFor, refreshesCredentials, type RestartReason } from './errors.js';
export { probeGroup, type ProbeResult, type GroupRefusal } from './probe.js';
export { sessionJson, pollJson, type Plan, type SessionSpec, type PollSpec, type SessionParams, type UnplacedRule } from './spec.js';
export { PolledSource, type PollMetrics, type PollStatus } from './poll.js';
