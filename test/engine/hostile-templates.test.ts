/**
 * Template names every JS object has (`constructor`, `hasOwnProperty`, `__proto__`…) are not
 * variables: they are unknown-variable problems at their position, and where a name is data
 * (a label, a group key, a JSON field) only the own property is read.
 */
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { checkTemplate, compileTemplate, type TemplateValues } from '../../src/engine/template.js';
import { alertmanagerAlert } from '../../src/notify/alertmanager/index.js';
import { runCli } from '../kit/cli.js';
import { makeProject } from '../kit/project.js';
import { ev, feed, rule } from '../kit/rules.js';

const values: TemplateValues = {
  kind: 'firing',
  rule: { id: 'r', description: '', severity: 'warning' },
  labels: { team: 'a' },
  group: { user: 'u1' },
  count: 1,
  window: '',
  suppressed: 0,
  sampled: false,
  event: ev(0, { a: 1 }),
};

const INHERITED = ['hasOwnProperty', 'valueOf', 'constructor', '__proto__', 'toString', 'isPrototypeOf', '__defineGetter__'];

describe('template names every object has', () => {
  it.each(INHERITED)('{{%s}} is an unknown variable at its offset', (name) => {
    expect(checkTemplate(`x {{ ${name} }}`)).toEqual([{ offset: 5, message: expect.stringContaining(`unknown variable "${name}"`) }]);
  });

  it('labels.* and group.* outside the rule are unknown at their offset', () => {
    const scope = { labels: ['team'], group: ['user'] };
    const problems = checkTemplate('{{group.constructor}} {{labels.__proto__}} {{labels.toString}}', scope);
    expect(problems.map((p) => p.offset)).toEqual([2, 24, 45]);
  });

  it('render only own properties of labels, group and JSON fields', () => {
    const t = compileTemplate('[{{labels.__proto__}}][{{labels.constructor}}][{{group.constructor}}][{{group.hasOwnProperty}}][{{event.fields.toString}}][{{event.fields.constructor}}]');
    expect(t.render(values)).toBe('[][][][][][]');
    const own = compileTemplate('[{{labels.constructor}}][{{group.__proto__}}][{{event.fields.toString}}][{{event.fields.__proto__}}]');
    const data: TemplateValues = {
      ...values,
      labels: JSON.parse('{"constructor":"L"}') as Record<string, string>,
      group: JSON.parse('{"__proto__":"G"}') as Record<string, string>,
      event: ev(0, '{"toString":"T","__proto__":"P"}'),
    };
    expect(own.render(data)).toBe('[L][G][T][P]');
  });

  it('a compiled template with such a name renders it as nothing instead of throwing', () => {
    // The loader rejects these; a rule built by hand (tests, the API) must still not crash.
    expect(compileTemplate('a{{hasOwnProperty}}b{{__proto__}}c{{constructor}}').render(values)).toBe('abc');
  });

  it('a groupBy named __proto__ or constructor is a group value like any other', () => {
    const r = rule({ throttle: '0s', window: { type: 'threshold', count: 1, within: '1m', groupBy: ['$.__proto__', '$.constructor'] }, title: '{{group.__proto__}}/{{group.constructor}}' });
    const [a] = feed(new Engine({ rules: [r] }), [ev(0, '{"__proto__":"p","constructor":"c"}')]);
    expect(Object.keys(a!.group)).toEqual(['__proto__', 'constructor']);
    expect(a!.title).toBe('p/c');
    const am = alertmanagerAlert({ ...a!, rule: { ...a!.rule, labels: JSON.parse('{"__proto__":"l"}') as Record<string, string> } }, Date.now());
    expect(Object.entries(am.labels)).toEqual([
      ['__proto__', 'l'],
      ['group___proto__', 'p'],
      ['constructor', 'c'],
      ['alertname', 'r1'],
      ['severity', 'warning'],
    ]);
  });
});

describe('tailwatch validate on such names', () => {
  it('reports each at file:line:col and exits 1', async () => {
    const dir = makeProject({
      'tailwatch.yaml': 'destinations: { out: { type: console } }\ndefaults: { notify: [out] }\n',
      'rules/t.yaml': [
        'rules:',
        '  - id: r1',
        '    source: { logGroups: [/app] }',
        '    window: { type: threshold, count: 1, within: 1m, groupBy: [$.user] }',
        '    title: "x {{hasOwnProperty}} {{valueOf}} {{constructor}} {{__proto__}}"',
        '    message: "{{group.constructor}} {{labels.__proto__}} {{event.fields.toString}}"',
        '',
      ].join('\n'),
    });
    const r = await runCli(['validate'], { cwd: dir });
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines.map((l) => /^rules\/t\.yaml:(\d+):(\d+): /.exec(l)?.slice(1).join(':'))).toEqual(['5:17', '5:36', '5:48', '5:64', '6:17', '6:39']);
    expect(lines.slice(0, 4).map((l) => /unknown variable "(\w+)"/.exec(l)?.[1])).toEqual(['hasOwnProperty', 'valueOf', 'constructor', '__proto__']);
    expect(r.stdout).not.toMatch(/NaN|undefined/);
  });
});
