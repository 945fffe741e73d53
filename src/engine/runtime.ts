/**
 * One enabled rule as the engine runs it: compiled once, with its series and
 * counters. Shared by the engine's parts (engine.ts, episodes.ts, timers.ts,
 * state.ts).
 */
import type { Rule, RuleWindow } from '../model/config.js';
import type { CompiledRule } from './compile.js';
import type { RuleCounters } from './counters.js';
import type { SeriesTable } from './series.js';

export interface Runtime {
  readonly cr: CompiledRule;
  readonly rule: Rule;
  readonly window: RuleWindow | undefined;
  readonly series: SeriesTable;
  readonly counters: RuleCounters;
  /** Position in the rule set: orders timers that fall due at the same time. */
  readonly rank: number;
}

/** What a series key means: a rule whose window type or groupBy changed cannot keep its series. */
export function groupingKey(rule: Rule): string {
  return JSON.stringify([rule.window?.type ?? null, rule.window?.groupBy ?? []]);
}
