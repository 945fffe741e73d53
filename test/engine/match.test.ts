import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MatchNode } from '../../src/model/config.js';
import { Engine } from '../../src/engine/engine.js';
import { compileMatch, EventView, RuleCompileError } from '../../src/engine/match.js';
import { ev, feed, m, rule } from '../kit/rules.js';

function matches(node: MatchNode, message: string | object, extra = {}): boolean {
  return compileMatch(node, 'r').test(new EventView(ev(0, message, extra)));
}

describe('match leaves', () => {
  const doc = { status: 503, path: '/v1/charges/9', ua: 'curl', ok: true, none: null, s: '500', nested: { list: [{ id: 'a' }] } };

  it.each([
    [m.field('$.status', { op: 'equals', value: 503 }), true],
    [m.field('$.status', { op: 'equals', value: '503' }), true],
    [m.field('$.s', { op: 'equals', value: 500 }), true],
    [m.field('$.status', { op: 'equals', value: 500 }), false],
    [m.field('$.none', { op: 'equals', value: null }), true],
    [m.field('$.ok', { op: 'equals', value: true }), true],
    [m.field('$.status', { op: 'notEquals', value: 500 }), true],
    [m.field('$.status', { op: 'in', value: [502, 503] }), true],
    [m.field('$.status', { op: 'in', value: [500] }), false],
    [m.field('$.ua', { op: 'contains', value: 'ur' }), true],
    [m.field('$.path', { op: 'startsWith', value: '/v1/' }), true],
    [m.field('$.path', { op: 'endsWith', value: '/9' }), true],
    [m.field('$.path', { op: 'regex', value: '^/v1/charges' }), true],
    [m.field('$.path', { op: 'regex', value: '^/v2' }), false],
    [m.field('$.status', { op: 'gt', value: 502 }), true],
    [m.field('$.status', { op: 'gt', value: 503 }), false],
    [m.field('$.status', { op: 'gte', value: 503 }), true],
    [m.field('$.status', { op: 'lt', value: 504 }), true],
    [m.field('$.status', { op: 'lte', value: 502 }), false],
    [m.field('$.s', { op: 'gte', value: 500 }), true],
    [m.field('$.ua', { op: 'gt', value: 1 }), false],
    [m.field('$.nested.list[0].id', { op: 'equals', value: 'a' }), true],
    [m.field('$.none', { op: 'exists', value: true }), true],
    [m.field('$.gone', { op: 'exists', value: false }), true],
    [m.field('$.status', { op: 'exists', value: false }), false],
    [m.field('message', { op: 'contains', value: '"status":503' }), true],
    [m.field('logGroup', { op: 'equals', value: '/app' }), true],
    [m.field('logStream', { op: 'startsWith', value: 's' }), true],
  ])('%j on the sample document is %s', (node, want) => {
    expect(matches(node, doc)).toBe(want);
  });

  it('a missing field makes every operator false, and `not` of it true', () => {
    for (const test of [
      { op: 'equals', value: 1 },
      { op: 'notEquals', value: 1 },
      { op: 'in', value: [1] },
      { op: 'contains', value: '' },
      { op: 'regex', value: '.*' },
      { op: 'gte', value: 0 },
    ] as const) {
      expect(matches(m.field('$.missing', test), { a: 1 })).toBe(false);
      expect(matches(m.not(m.field('$.missing', test)), { a: 1 })).toBe(true);
    }
  });

  it('a message that is not JSON makes `$.` leaves false (even exists: false), never an error', () => {
    expect(matches(m.field('$.a', { op: 'exists', value: false }), 'plain text')).toBe(false);
    expect(matches(m.field('$.a', { op: 'equals', value: 1 }), '{"a": 1')).toBe(false);
    expect(matches(m.not(m.field('$.a', { op: 'equals', value: 1 })), 'plain')).toBe(true);
    const deep = '{"a":'.repeat(200_000) + '1' + '}'.repeat(200_000);
    expect(matches(m.field('$.b', { op: 'exists', value: true }), deep)).toBe(false);
  });

  it('combines leaves with all / any / not', () => {
    const node = m.all(m.field('$.a', { op: 'equals', value: 1 }), m.any(m.field('$.b', { op: 'gt', value: 5 }), m.not(m.field('$.c', { op: 'exists', value: true }))));
    expect(matches(node, { a: 1, b: 9, c: 0 })).toBe(true);
    expect(matches(node, { a: 1, b: 1 })).toBe(true);
    expect(matches(node, { a: 1, b: 1, c: 0 })).toBe(false);
    expect(matches(node, { a: 2 })).toBe(false);
  });

  it('`pattern:` leaves use the filter pattern engine', () => {
    expect(matches(m.pattern('ERROR'), 'an ERROR here')).toBe(true);
    expect(matches(m.pattern('ERROR'), 'fine')).toBe(false);
  });

  it('a bad regex is a compile error carrying the node position', () => {
    const node = m.field('$.a', { op: 'regex', value: '(' });
    expect(() => compileMatch(node, 'r')).toThrow(RuleCompileError);
  });

  it('a regex V8 cannot run in linear time is a compile error too (rule sets not loaded from files)', () => {
    for (const value of ['(.*a){25}X', '^(?=.*a)(a+)+$', '(\\w+\\s?)+\\1$']) {
      expect(() => compileMatch(m.field('message', { op: 'regex', value }), 'r')).toThrow(/^regex: .*: the regex must run in linear time$/);
    }
  });

  it('regex leaves run on the linear engine: a line that takes V8 backtracking seconds takes milliseconds', () => {
    const node = m.field('message', { op: 'regex', value: '\\w+=' });
    const start = performance.now();
    expect(matches(node, 'a'.repeat(256 * 1024))).toBe(false);
    expect(performance.now() - start).toBeLessThan(3_000);
    expect(matches(node, 'key=value')).toBe(true);
  });
});

describe('one JSON parse per event', () => {
  afterEach(() => vi.restoreAllMocks());

  it('parses the message once however many rules look at it', () => {
    const rules = Array.from({ length: 10 }, (_, i) =>
      rule({ id: `r${i}`, match: m.field('$.d.n', { op: 'gte', value: i }), window: { type: 'threshold', count: 100, within: '1m', groupBy: ['$.g'] } }),
    );
    const engine = new Engine({ rules });
    const spy = vi.spyOn(JSON, 'parse');
    feed(engine, [ev(0, { d: { n: 5 }, g: 'x' })]);
    const parsesOfMessage = spy.mock.calls.filter((c) => c[0] === '{"d":{"n":5},"g":"x"}').length;
    expect(parsesOfMessage).toBe(1);
  });

  it('reads `$.key` fields (groupBy, match leaves) by scanning the message, without parsing it', () => {
    const rules = [
      rule({ id: 'a', match: m.field('$.n', { op: 'gte', value: 5 }), window: { type: 'threshold', count: 2, within: '1m', groupBy: ['$.g'] } }),
      rule({ id: 'b', filterPattern: 'x', window: { type: 'threshold', count: 2, within: '1m', groupBy: ['$.g', '$.o'] } }),
    ];
    const engine = new Engine({ rules });
    const spy = vi.spyOn(JSON, 'parse');
    const msg = { n: 5, g: 'x', o: { k: [1] } };
    const alerts = feed(engine, [ev(0, msg), ev(1, msg), ev(2, '{"n":5,"g":"y",}')]);
    expect(alerts.map((a) => [a.rule.id, a.group])).toEqual([
      ['a', { g: 'x' }],
      ['b', { g: 'x', o: '{"k":[1]}' }],
    ]);
    // Only the object value of $.o is parsed (the scan decodes just the value it returns).
    expect(spy.mock.calls.map((c) => c[0])).toEqual(['{"k":[1]}', '{"k":[1]}']);
  });

  it('does not parse at all when no rule needs JSON', () => {
    const engine = new Engine({ rules: [rule({ filterPattern: 'ERROR' }), rule({ id: 'r2', match: m.field('message', { op: 'contains', value: 'x' }) })] });
    const spy = vi.spyOn(JSON, 'parse');
    feed(engine, [ev(0, { n: 5 })]);
    expect(spy).not.toHaveBeenCalled();
  });

  it('does not parse a message that no JSON filter pattern can match (raw prefilter), and still decides the same', () => {
    const rules = [
      rule({ id: 'err', filterPattern: '{ $.level = "ERROR" }' }),
      rule({ id: 'slow', filterPattern: '{ $.latency_ms > 2500 && $.path = "/v1*" }', match: m.field('$.method', { op: 'equals', value: 'GET' }) }),
    ];
    const engine = new Engine({ rules });
    const spy = vi.spyOn(JSON, 'parse');
    const skipped = [
      { level: 'INFO', latency_ms: 12, path: '/v1/x', method: 'GET', msg: 'ERROR later' },
      { level: 'WARN', latency_ms: 2500, path: '/v1/x', method: 'GET' },
      { level: 'INFO', latency_ms: 9000, path: '/v2/x', method: 'GET' },
    ];
    expect(feed(engine, skipped.map((d, i) => ev(i, d)))).toEqual([]);
    expect(spy).not.toHaveBeenCalled();
    // Parsed: a possible match, and a message with an escape (the raw text proves nothing then).
    const alerts = feed(engine, [ev(5, { level: 'ERROR' }), ev(6, '{"lev\\u0065l":"ERROR"}'), ev(7, { level: 'INFO', latency_ms: 3000, path: '/v1/y', method: 'GET' })]);
    expect(alerts.map((a) => a.rule.id)).toEqual(['err', 'err', 'slow']);
    expect(spy).toHaveBeenCalledTimes(3);
  });
});

describe('routing', () => {
  it('sends an event only to rules of its log group (names or ARNs) and stream filter', () => {
    const engine = new Engine({
      rules: [
        rule({ id: 'a', logGroups: ['/app'] }),
        rule({ id: 'b', logGroups: ['arn:aws:logs:eu-west-1:123456789012:log-group:/app:*'], logStreamPrefixes: ['api-'] }),
        rule({ id: 'c', logGroups: ['/other'] }),
      ],
    });
    const alerts = feed(engine, [ev(0, 'x', { logStream: 'api-1' }), ev(1, 'x', { logStream: 'worker' })]);
    expect(alerts.map((a) => a.rule.id)).toEqual(['a', 'b', 'a']);
    expect(engine.counters.forRule('c').received).toBe(0);
  });

  it('sends an event without a log group to every rule', () => {
    const engine = new Engine({ rules: [rule({ id: 'a', logGroups: ['/app'] }), rule({ id: 'c', logGroups: ['/other'] })] });
    const alerts = feed(engine, [ev(0, 'x', { logGroup: '', logStream: '' })]);
    expect(alerts.map((a) => a.rule.id)).toEqual(['a', 'c']);
  });

  it('skips disabled rules', () => {
    const engine = new Engine({ rules: [rule({ enabled: false })] });
    expect(feed(engine, [ev(0)])).toEqual([]);
  });
});

describe('selectors', () => {
  it('read own properties only, never JavaScript internals, on the fast and the general path', () => {
    const doc = { a: { b: [10, { c: 'x' }] }, 'k.dot': 1 };
    expect(matches(m.field('$.a.b[1].c', { op: 'equals', value: 'x' }), doc)).toBe(true);
    expect(matches(m.field('$.a.b[5]', { op: 'exists', value: true }), doc)).toBe(false);
    expect(matches(m.field('$.a.constructor', { op: 'exists', value: true }), doc)).toBe(false);
    expect(matches(m.field('$.a.b.length', { op: 'exists', value: true }), doc)).toBe(false);
    expect(matches(m.field("$['k.dot']", { op: 'equals', value: 1 }), doc)).toBe(true);
    expect(matches(m.field('$.a.b[*]', { op: 'equals', value: 10 }), doc)).toBe(true);
  });
});
