/**
 * Which events a rule of the daemon's LiveEngine has to hold until its
 * watermark passes them: only those it may match. An event the rule's stream
 * filter, filter pattern or match tree rejects changes nothing in the rule's
 * engine but its `received` count: its clock moves to the watermark anyway
 * (`advanceTo`), and timers due before the event run at the next event or
 * watermark, in the same order and at the same times (they run at their due
 * time, not at the clock). So the rule counts it as received on arrival and
 * forgets it, and a log group's events are not kept once per rule reading it.
 * (So a rejected line that two sessions deliver counts as received twice; only
 * what is held is deduplicated, and only that counts towards decisions.)
 */
import type { Rule } from '../model/config.js';
import { compileRule, type CompiledRule } from './compile.js';
import type { RuleCounters } from './counters.js';
import { streamAllowed } from './engine.js';
import type { EventView } from './match.js';

export interface Selection {
  /**
   * True: the rule may match the event (or its test failed: the rule's engine decides it and
   * counts the error in order). False: rejected and counted as received, nothing to hold.
   */
  mayMatch(view: EventView): boolean;
}

export function selectionOf(rule: Rule, counters: RuleCounters): Selection {
  let cr: CompiledRule;
  try {
    cr = compileRule(rule);
  } catch {
    // The rule's engine throws the compile error itself; hold everything meanwhile.
    return { mayMatch: () => true };
  }
  const { filterTest, match } = cr;
  return {
    mayMatch(view: EventView): boolean {
      const stream = view.event.logStream;
      if (stream !== '' && !streamAllowed(cr, stream)) return false; // not routed to the rule: not received either
      try {
        if ((filterTest === undefined || filterTest(view)) && (match === undefined || match(view))) return true;
      } catch {
        return true;
      }
      counters.received++;
      return false;
    },
  };
}
