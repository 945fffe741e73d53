/**
 * Resolved alerts: their own wording (resolvedTitle / resolvedMessage or the
 * built-in default, never the firing templates) and the optional `reason`.
 */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { buildAlert, type Decision } from '../../src/engine/alert-build.js';
import { compileRule } from '../../src/engine/compile.js';
import { ev, rule, T0 } from '../kit/rules.js';

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
    const templated = compileRule({ ...threshold, message: '[{{reason}}] {{kind}}' });
    expect(buildAlert(templated, decision({ kind: 'firing' })).text).toBe('[] firing');
    expect(buildAlert(templated, decision({ reason: 'rule-changed' })).text).toBe('[rule-changed] resolved');
  });
});
