/**
 * An exception while one rule evaluates an event or a timer, or renders its alert, costs that
 * rule the event (counted, reported) and never the other rules. Templates no longer throw on
 * names like `{{hasOwnProperty}}` (hostile-templates.test.ts); to prove the containment itself,
 * the failing rule here has labels that throw when a template reads them.
 */
import { describe, expect, it } from 'vitest';
import type { Rule } from '../../src/model/config.js';
import { Engine } from '../../src/engine/engine.js';
import { LiveEngine } from '../../src/engine/live.js';
import { ev, feed, rule, T0, type RuleSpec } from '../kit/rules.js';

/** A rule whose alert rendering throws (`{{labels.team}}` over labels that throw). */
function failing(spec: RuleSpec): Rule {
  const labels = new Proxy({}, { getOwnPropertyDescriptor: () => { throw new TypeError('boom'); } });
  return { ...rule({ ...spec, message: '{{labels.team}}' }), labels };
}

const rules = [failing({ id: 'bad', throttle: '0s' }), rule({ id: 'every', throttle: '0s' })];

describe('a rule that throws on an event', () => {
  it('skips it alone: the later rules on the log group still get the event', () => {
    const errors: [string, unknown][] = [];
    const engine = new Engine({ rules, onRuleError: (id, err) => errors.push([id, err]) });
    const alerts = feed(engine, [ev(0), ev(1)]);
    expect(alerts.map((a) => `${a.rule.id}@${(Date.parse(a.firedAt) - T0) / 1000}`)).toEqual(['every@0', 'every@1']);
    expect(errors.map(([id, err]) => [id, (err as Error).message])).toEqual([['bad', 'boom'], ['bad', 'boom']]);
    expect(engine.counters.forRule('bad')).toMatchObject({ received: 2, matched: 2, errors: 2 });
    expect(engine.counters.forRule('every').errors).toBe(0);
  });

  it('skips a timer alone: other rules’ timers and later events go on', () => {
    const absence = [
      failing({ id: 'quiet-bad', window: { type: 'absence', within: '1m' } }),
      rule({ id: 'quiet', window: { type: 'absence', within: '1m' } }),
    ];
    const engine = new Engine({ rules: absence });
    const alerts = feed(engine, [ev(0), ev(100)], 200);
    expect(alerts.map((a) => `${a.rule.id}@${(Date.parse(a.firedAt) - T0) / 1000}`)).toEqual(['quiet@60', 'quiet@160']);
    expect(engine.counters.forRule('quiet-bad').errors).toBe(2);
  });

  it('in the daemon’s LiveEngine, also when several rules share one session', () => {
    const errors: string[] = [];
    const live = new LiveEngine({ rules, onRuleError: (id) => errors.push(id) });
    const out = live.receive({ source: 's', rules: ['bad', 'every'], events: [ev(0), ev(1)], watermark: T0 + 1000 });
    expect(out.map((r) => r.alert.rule.id)).toEqual(['every', 'every']);
    expect(errors).toEqual(['bad', 'bad']);
    expect(live.counters.forRule('bad').errors).toBe(2);
    // Reloaded engines keep reporting, and the other rule keeps deciding.
    live.reload(rules);
    expect(live.receive({ source: 's', rules: ['bad', 'every'], events: [ev(2)], watermark: T0 + 2000 }).map((r) => r.alert.rule.id)).toEqual(['every']);
    expect(errors).toEqual(['bad', 'bad', 'bad']);
  });
});
