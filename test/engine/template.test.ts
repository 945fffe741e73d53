import { describe, expect, it } from 'vitest';
import { checkTemplate, compileTemplate, type TemplateValues } from '../../src/engine/template.js';
import { ev } from '../kit/rules.js';

const values: TemplateValues = {
  kind: 'firing',
  rule: { id: 'pay', description: 'Payments 5xx', severity: 'critical' },
  labels: { team: 'payments' },
  group: { merchantId: 'm-42', 'user.id': 7 },
  count: 20,
  window: '5m',
  suppressed: 3,
  sampled: false,
  event: ev(0, { status: 503, req: { path: '/v1/x' }, tags: ['a', 'b'] }),
};

describe('templates', () => {
  it('render every variable of SPEC §4', () => {
    const t = compileTemplate(
      '{{count}} on {{ group.merchantId }}/{{group.user.id}} in {{window}} [{{rule.id}} {{rule.severity}} {{rule.description}}] ' +
        '{{labels.team}} {{suppressed}} {{sampled}} {{kind}} {{event.timestamp}} {{event.logGroup}} {{event.logStream}} ' +
        '{{event.fields.status}} {{event.fields.req.path}} {{event.fields.tags[1]}} {{event.fields.req}}',
    );
    expect(t.render(values)).toBe(
      '20 on m-42/7 in 5m [pay critical Payments 5xx] payments 3 false firing 2026-01-01T00:00:00.000Z /app s1 503 /v1/x b {"path":"/v1/x"}',
    );
  });

  it('render the raw message (escaping is the destination’s job) and missing values as empty', () => {
    const t = compileTemplate('<{{event.message}}> [{{event.fields.nope}}] [{{labels.none}}]');
    expect(t.render({ ...values, event: ev(0, '<@channel> & co') })).toBe('<<@channel> & co> [] []');
  });

  it('leave text without placeholders alone', () => {
    expect(compileTemplate('50% of { braces }').render(values)).toBe('50% of { braces }');
  });

  it('report unknown variables with the offset of the name', () => {
    expect(checkTemplate('ok {{count}} then {{ cuont }}')).toEqual([{ offset: 21, message: expect.stringContaining('unknown variable "cuont"') }]);
    expect(checkTemplate('{{event.fields.}}')).toHaveLength(1);
    expect(checkTemplate('{{rule.name}}')[0]!.offset).toBe(2);
  });

  it('report an unterminated placeholder and an empty one', () => {
    expect(checkTemplate('abc {{count')).toEqual([{ offset: 4, message: expect.stringContaining('unterminated') }]);
    expect(checkTemplate('{{ }}')).toEqual([{ offset: 3, message: expect.stringContaining('empty') }]);
  });

  it('check labels and group keys against the rule when given its scope', () => {
    const scope = { labels: ['team'], group: ['merchantId'] };
    expect(checkTemplate('{{labels.team}} {{group.merchantId}}', scope)).toEqual([]);
    const problems = checkTemplate('{{labels.owner}} {{group.merchant}}', scope);
    expect(problems.map((p) => p.offset)).toEqual([2, 19]);
    expect(problems[1]!.message).toContain('group.merchantId');
  });

  it('report a bad field path inside event.fields', () => {
    const [p] = checkTemplate('{{event.fields.a..b}}');
    expect(p!.message).toContain('bad field path');
  });
});

describe('the reason variable', () => {
  it('is known to the template checker', () => {
    expect(checkTemplate('{{reason}} / {{ reason }}')).toEqual([]);
    expect(checkTemplate('{{reasons}}')[0]!.message).toContain('kind, reason)');
  });

  it('renders the reason, or nothing when there is none', () => {
    const t = compileTemplate('<{{reason}}>');
    expect(t.render(values)).toBe('<>');
    expect(t.render({ ...values, kind: 'resolved', reason: 'rule-removed' })).toBe('<rule-removed>');
  });
});
