/**
 * Resolved alerts: their own wording (resolvedTitle / resolvedMessage or the
 * built-in default, never the firing templates) and the optional `reason`.
 */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { buildAlert, type Decision } from '../../src/engine/alert-build.js';
import { compileRule, ruleFingerprint } from '../../src/engine/compile.js';
import { Engine } from '../../src/engine/engine.js';
import { brief, ev, feed, rule, storm, T0 } from '../kit/rules.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const threshold = rule({
  id: 'pay-5xx',
  description: 'Payments 5xx',
  resolve: true,
  window: { type: 'threshold', count: 3, within: '5m', groupBy: ['$.merchantId'] },
  title: '{{count}} 5xx on payments for {{group.merchantId}}',
  message: '{{count}} responses >= 500. Last: {{event.message}}',
});

function decision(over: Partial<Decision> = {}): Decision {
  const event = ev(1, { merchantId: 'm-42', status: 503 });
  return {
    kind: 'resolved',
    at: T0 + 301_000,
    groupKey: '["m-42"]',
    group: { merchantId: 'm-42' },
    count: 4,
    firstEventAt: event.timestamp,
    lastEventAt: event.timestamp,
    suppressed: 0,
    sampled: false,
    samples: [event],
    event,
    ...over,
  };
}

describe('the reason of a resolved alert', () => {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats(ajv);
  const validate = ajv.compile(JSON.parse(readFileSync(new URL('../../schema/alert.schema.json', import.meta.url), 'utf8')) as object);
  const cr = compileRule(threshold);

  it('is left out of the payload when the decision has none', () => {
    const alert = buildAlert(cr, decision());
    expect('reason' in alert).toBe(false);
    expect(JSON.stringify(alert)).not.toContain('"reason"');
    expect(validate(JSON.parse(JSON.stringify(alert))), JSON.stringify(validate.errors)).toBe(true);
  });

  it.each(['rule-removed', 'rule-changed'] as const)('is passed through as %s and accepted by schema/alert.schema.json', (reason) => {
    const alert = buildAlert(cr, decision({ reason }));
    expect(alert.reason).toBe(reason);
    expect(validate(JSON.parse(JSON.stringify(alert))), JSON.stringify(validate.errors)).toBe(true);
  });

  it('is rejected by the schema when it is not one of the two values', () => {
    const alert = { ...buildAlert(cr, decision()), reason: 'rule-renamed' };
    expect(validate(JSON.parse(JSON.stringify(alert)))).toBe(false);
    expect(validate.errors!.map((e) => e.instancePath)).toContain('/reason');
  });

  it('is the template variable {{reason}}: its value when set, empty when not', () => {
    const templated = compileRule({ ...threshold, resolvedMessage: '[{{reason}}] {{kind}}' });
    expect(buildAlert(templated, decision()).text).toBe('[] resolved');
    expect(buildAlert(templated, decision({ reason: 'rule-changed' })).text).toBe('[rule-changed] resolved');
  });
});

describe('the default wording of a resolved alert', () => {
  it('threshold: the description as title and "No longer firing" with the last window\'s count, not the firing templates', () => {
    const alerts = feed(new Engine({ rules: [threshold] }), [...storm(0, 3, 1, { merchantId: 'm-42' }), ev(30, { merchantId: 'm-42' })], 1000);
    expect(alerts.map((a) => [brief(a).kind, brief(a).at, a.title, a.text])).toEqual([
      ['firing', 2, '3 5xx on payments for m-42', '3 responses >= 500. Last: {"merchantId":"m-42"}'],
      ['resolved', 302, 'Payments 5xx', 'No longer firing: 1 matching event(s) in the last 5m'],
    ]);
  });

  it('spike: worded like threshold', () => {
    const spike = rule({ id: 'spiky', resolve: true, window: { type: 'spike', factor: 2, minCount: 2, within: '1m' }, title: '{{count}} spiking' });
    const alerts = feed(new Engine({ rules: [spike] }), storm(0, 2, 1), 1000);
    expect(alerts.map((a) => [a.kind, a.title, a.text])).toEqual([
      ['firing', '2 spiking', ''],
      ['resolved', 'spiky', 'No longer firing: 0 matching event(s) in the last 1m'],
    ]);
  });

  it('absence: "Events resumed" with the count that brought the window back', () => {
    const silent = rule({ id: 'hb', description: 'Heartbeat missing', resolve: true, window: { type: 'absence', within: '1m' }, title: 'silent for {{window}}', message: 'Fewer than 1 in {{window}}' });
    const alerts = feed(new Engine({ rules: [silent] }), [ev(0), ev(100)]);
    expect(alerts.map((a) => [brief(a).kind, brief(a).at, a.title, a.text])).toEqual([
      ['firing', 60, 'silent for 1m', 'Fewer than 1 in 1m'],
      ['resolved', 100, 'Heartbeat missing', 'Events resumed: 1 matching event(s) in the last 1m'],
    ]);
  });

  it('takes the id as title when there is no description, and a description\'s {{ }} literally', () => {
    const cr = compileRule({ ...threshold, description: '' });
    expect(buildAlert(cr, decision()).title).toBe('pay-5xx');
    const braces = compileRule({ ...threshold, description: 'Rate {{count}} high' });
    expect(buildAlert(braces, decision()).title).toBe('Rate {{count}} high');
  });

  it('says why when a reload ended it (reason), and keeps the title', () => {
    const cr = compileRule(threshold);
    const removed = buildAlert(cr, decision({ reason: 'rule-removed' }));
    expect([removed.title, removed.text]).toEqual(['Payments 5xx', 'No longer evaluated: the rule was removed or disabled']);
    expect(buildAlert(cr, decision({ reason: 'rule-changed' })).text).toBe("No longer evaluated: the rule's grouping or window type changed");
  });
});

describe('resolvedTitle and resolvedMessage', () => {
  const worded = { ...threshold, resolvedTitle: '{{rule.description}} back to normal for {{group.merchantId}}', resolvedMessage: '{{kind}}: {{count}} in the last {{window}}' };

  it('are rendered for a resolved alert, with the same variables as title and message', () => {
    const alerts = feed(new Engine({ rules: [worded] }), storm(0, 3, 1, { merchantId: 'm-42' }), 1000);
    expect(alerts.map((a) => [a.kind, a.title, a.text])).toEqual([
      ['firing', '3 5xx on payments for m-42', '3 responses >= 500. Last: {"merchantId":"m-42"}'],
      ['resolved', 'Payments 5xx back to normal for m-42', 'resolved: 0 in the last 5m'],
    ]);
  });

  it('replace the default text even when a reason is set ({{reason}} is there to say it)', () => {
    expect(buildAlert(compileRule(worded), decision({ reason: 'rule-removed' })).text).toBe('resolved: 4 in the last 5m');
  });

  it('each fall back on its own: a resolvedMessage alone keeps the default title, and the reverse', () => {
    const messageOnly = buildAlert(compileRule({ ...threshold, resolvedMessage: 'all clear' }), decision());
    expect([messageOnly.title, messageOnly.text]).toEqual(['Payments 5xx', 'all clear']);
    const titleOnly = buildAlert(compileRule({ ...threshold, resolvedTitle: 'clear' }), decision());
    expect([titleOnly.title, titleOnly.text]).toEqual(['clear', 'No longer firing: 4 matching event(s) in the last 5m']);
  });
});

describe('resolved wording is text only', () => {
  it('editing only resolvedTitle or resolvedMessage keeps the rule\'s fingerprint', () => {
    const before = ruleFingerprint(threshold);
    expect(ruleFingerprint({ ...threshold, resolvedTitle: 'quiet again' })).toBe(before);
    expect(ruleFingerprint({ ...threshold, resolvedMessage: 'all clear' })).toBe(before);
    // the fingerprint does notice a change of what is counted
    expect(ruleFingerprint({ ...threshold, window: { ...threshold.window!, withinMs: 60_000 } as never })).not.toBe(before);
  });

  it('a reload that edits only the resolved wording keeps the window and the open firing', () => {
    const engine = new Engine({ rules: [threshold] });
    feed(engine, storm(0, 3, 1, { merchantId: 'm-42' }));
    const reloaded = engine.reload([{ ...threshold, resolvedTitle: 'quiet again for {{group.merchantId}}' }]).engine;
    // the firing at 2 is still open and resolves a window later, in the new words
    expect(feed(reloaded, [], 1000).map((a) => [a.kind, brief(a).at, a.title])).toEqual([['resolved', 302, 'quiet again for m-42']]);
  });
});
