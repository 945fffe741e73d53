/**
 * The rule engine's public surface: events in, routed alerts out, pure and
 * deterministic in event time. See README.md in this folder for the pipeline.
 */
export { Engine, type EngineOptions, type RuleErrorHandler } from './engine.js';
export { LiveEngine, LIVE_STATE_VERSION, type LiveEngineOptions, type LiveEngineState, type LiveCounters } from './live.js';
export { SameTimeOrder, sortByKey } from './order.js';
export { EngineCounters, type RuleCounters } from './counters.js';
export { MAX_STATE_BYTES, serializeState, type EngineState, type SerializedState } from './state.js';
export { RuleCompileError } from './match.js';
export { checkTemplate, compileTemplate, type TemplateProblem, type TemplateScope } from './template.js';
export { ruleFingerprint, groupName } from './compile.js';
export { alertId } from './alert-build.js';
export { expiredSilences, matchingSilence } from './silence.js';
export type { Alert, AlertEvent, AlertKind, ResolveReason, RoutedAlert } from '../model/alert.js';
export { eventKey, type LogEvent, type SourceBatch } from '../model/event.js';
