// The session planner (SPEC §6): packing by strategy, API validity of every
// session, exact union patterns, unplaced rules, cost, determinism.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Config, Rule, RuleSet } from '../../src/model/config.js';
import { compileFilterPattern } from '../../src/filter/index.js';
import { accountArnResolver, planSessions, unionPattern, type Plan } from '../../src/livetail/index.js';
import { emulatorConfig } from '../kit/livetail.js';
import { rule } from '../kit/rules.js';

const ACCOUNT = '123456789012';
const resolve = accountArnResolver(ACCOUNT);
const config = (sessions: Partial<Config['sessions']> = {}): Config => emulatorConfig('', sessions, { endpoint: undefined });
const set = (rules: Rule[]): RuleSet => ({ rules, files: [] });

/** 40 rules over 25 log groups, each with its own pattern, no stream filters. */
const forty = set(Array.from({ length: 40 }, (_, j) => rule({ id: `r${String(j).padStart(2, '0')}`, logGroups: [`/svc/g${j % 25}`], filterPattern: `ERROR${j}` })));

/** Every session is a valid StartLiveTail input, and every rule's groups are covered by sessions that serve it. */
function expectValid(plan: Plan, rules: RuleSet, max: number): void {
  const byRegion = new Map<string, number>();
  for (const s of plan.sessions) {
    byRegion.set(s.region, (byRegion.get(s.region) ?? 0) + 1);
    const p = s.params;
    expect(p.logGroupIdentifiers.length).toBeGreaterThanOrEqual(1);
    expect(p.logGroupIdentifiers.length).toBeLessThanOrEqual(10);
    expect(new Set(p.logGroupIdentifiers).size).toBe(p.logGroupIdentifiers.length);
    for (const arn of p.logGroupIdentifiers) {
      expect(arn).toMatch(new RegExp(`^arn:aws:logs:${s.region}:\\d{12}:log-group:[^*]+$`));
      expect(arn.endsWith('*')).toBe(false);
    }
    expect(p.logStreamNames !== undefined && p.logStreamNamePrefixes !== undefined).toBe(false);
    if (p.logStreamNames || p.logStreamNamePrefixes) expect(p.logGroupIdentifiers).toHaveLength(1);
    if (p.logEventFilterPattern !== undefined) {
      expect(p.logEventFilterPattern.length).toBeLessThanOrEqual(1024);
      expect(() => compileFilterPattern(p.logEventFilterPattern!)).not.toThrow();
    }
    expect(s.rules.length).toBeGreaterThan(0);
  }
  for (const n of byRegion.values()) expect(n).toBeLessThanOrEqual(max);
  const unplaced = new Set(plan.unplaced.map((u) => u.rule));
  for (const r of rules.rules) {
    if (unplaced.has(r.id) || !r.enabled) continue;
    const mine = plan.sessions.filter((s) => s.rules.includes(r.id));
    for (const g of r.source.logGroups) {
      const arn = `arn:aws:logs:${r.source.region ?? 'us-east-1'}:${ACCOUNT}:log-group:${g}`;
      expect(mine.some((s) => s.params.logGroupIdentifiers.includes(arn)), `${r.id} ${g}`).toBe(true);
    }
    // A session's stream filter never hides a stream the rule wants.
    for (const s of mine) {
      if (s.params.logStreamNames) for (const x of r.source.logStreams ?? ['<all>']) expect(s.params.logStreamNames).toContain(x);
      if (s.params.logStreamNamePrefixes) for (const x of r.source.logStreamPrefixes ?? ['<all>']) expect(s.params.logStreamNamePrefixes).toContain(x);
    }
  }
}

describe('packing', () => {
  it('precise: 40 rules over 25 log groups fit in at most 15 sessions, every rule placed', () => {
    const plan = planSessions(forty, config({ strategy: 'precise' }), resolve);
    expect(plan.sessions.length).toBeLessThanOrEqual(15);
    expect(plan.unplaced).toEqual([]);
    expect(new Set(plan.sessions.flatMap((s) => s.rules)).size).toBe(40);
    expectValid(plan, forty, 15);
  });

  it('economical: the same rules take 3 sessions (10 + 10 + 5 log groups)', () => {
    const plan = planSessions(forty, config({ strategy: 'economical' }), resolve);
    expect(plan.sessions.map((s) => s.params.logGroupIdentifiers.length)).toEqual([10, 10, 5]);
    expect(plan.unplaced).toEqual([]);
    expectValid(plan, forty, 15);
  });

  it('precise under the quota: each distinct source its own session; identical sources share one', () => {
    const rs = set([
      rule({ id: 'a', logGroups: ['/a'], filterPattern: 'ERROR' }),
      rule({ id: 'a-same', logGroups: ['/a'], filterPattern: 'ERROR' }),
      rule({ id: 'a-json', logGroups: ['/a'], filterPattern: '{ $.status >= 500 }' }),
      rule({ id: 'b-streams', logGroups: ['/b'], logStreams: ['s2', 's1'] }),
      rule({ id: 'c-prefix', logGroups: ['/c'], logStreamPrefixes: ['api-'] }),
      rule({ id: 'two', logGroups: ['/b', '/a'] }),
    ]);
    const plan = planSessions(rs, config(), resolve);
    expect(plan.sessions).toHaveLength(5);
    const of = (id: string) => plan.sessions.filter((s) => s.rules.includes(id));
    expect(of('a')[0]!.rules).toEqual(['a', 'a-same']);
    expect(of('a')[0]!.params.logEventFilterPattern).toBe('ERROR');
    expect(of('b-streams')[0]!.params).toMatchObject({ logStreamNames: ['s1', 's2'] });
    expect(of('c-prefix')[0]!.params).toMatchObject({ logStreamNamePrefixes: ['api-'] });
    expect(of('two')[0]!.params.logGroupIdentifiers).toHaveLength(2);
    expectValid(plan, rs, 15);
  });

  it('merging beyond the quota drops stream filters the API cannot take and keeps the exact union pattern', () => {
    const rs = set([
      rule({ id: 'a1', logGroups: ['/a'], logStreams: ['x'], filterPattern: 'ERROR' }),
      rule({ id: 'a2', logGroups: ['/a'], logStreamPrefixes: ['api-'], filterPattern: 'WARN' }),
      rule({ id: 'b', logGroups: ['/b'], logStreams: ['y'], filterPattern: '?FATAL ?PANIC' }),
    ]);
    const plan = planSessions(rs, config({ maxConcurrent: 1 }), resolve);
    expect(plan.sessions).toHaveLength(1);
    expect(plan.sessions[0]!.params).toEqual({
      logGroupIdentifiers: [`arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/a`, `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/b`],
      logEventFilterPattern: '?ERROR ?FATAL ?PANIC ?WARN',
    });
    expectValid(plan, rs, 1);
  });

  it('is deterministic: the same rules in any order give the same plan', () => {
    const shuffled = set([...forty.rules].sort(() => 0.5 - Math.random()));
    for (const strategy of ['precise', 'economical'] as const) {
      expect(JSON.stringify(planSessions(shuffled, config({ strategy }), resolve))).toBe(JSON.stringify(planSessions(forty, config({ strategy }), resolve)));
    }
  });

  it('plans per region, each within its own quota', () => {
    const rs = set([rule({ id: 'eu', logGroups: ['/a'], region: 'eu-west-1' }), rule({ id: 'us', logGroups: ['/a'] }), rule({ id: 'arn', logGroups: [`arn:aws:logs:ap-south-1:${ACCOUNT}:log-group:/z:*`] })]);
    const plan = planSessions(rs, config({ maxConcurrent: 1 }), resolve);
    expect(plan.sessions.map((s) => [s.region, s.rules])).toEqual([
      ['ap-south-1', ['arn']],
      ['eu-west-1', ['eu']],
      ['us-east-1', ['us']],
    ]);
    expect(plan.sessions[0]!.params.logGroupIdentifiers).toEqual([`arn:aws:logs:ap-south-1:${ACCOUNT}:log-group:/z`]);
  });
});

describe('rules that cannot be placed are reported', () => {
  it('rules needing more sessions than the quota, with the reason', () => {
    const plan = planSessions(forty, config({ strategy: 'economical', maxConcurrent: 2 }), resolve);
    expect(plan.sessions).toHaveLength(2);
    expect(plan.unplaced.length).toBeGreaterThan(0);
    for (const u of plan.unplaced) expect(u.reason).toMatch(/sessions\.maxConcurrent \(2\) in us-east-1/);
    const placed = new Set(plan.sessions.flatMap((s) => s.rules));
    for (const u of plan.unplaced) expect(placed.has(u.rule)).toBe(false);
    expect(placed.size + plan.unplaced.length).toBe(40);
    expectValid(plan, forty, 2);
  });

  it('precise with 11 single-group sources and a quota of 1: ten groups fit one session, one rule is reported', () => {
    const rs = set(Array.from({ length: 11 }, (_, i) => rule({ id: `r${String(i).padStart(2, '0')}`, logGroups: [`/g${String(i).padStart(2, '0')}`] })));
    const plan = planSessions(rs, config({ maxConcurrent: 1 }), resolve);
    expect(plan.sessions).toHaveLength(1);
    expect(plan.sessions[0]!.params.logGroupIdentifiers).toHaveLength(10);
    expect(plan.unplaced).toHaveLength(1);
  });

  it('wildcard ARNs, names without a region, unresolvable names', () => {
    const rs = set([
      rule({ id: 'wild', logGroups: [`arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/ecs/*`] }),
      rule({ id: 'ghost', logGroups: ['/ghost'] }),
      rule({ id: 'ok', logGroups: ['/ok'] }),
      rule({ id: 'off', logGroups: ['/off'], enabled: false }),
    ]);
    const plan = planSessions(rs, config(), (region, name) => (name === '/ghost' ? { unresolved: `log group "${name}" not found in ${region}` } : resolve(region, name)));
    expect(plan.unplaced).toEqual([
      { rule: 'ghost', reason: 'log group "/ghost" not found in us-east-1' },
      { rule: 'wild', reason: expect.stringContaining('wildcard') },
    ]);
    expect(plan.sessions.map((s) => s.rules)).toEqual([['ok']]);
    const noRegion = planSessions(set([rule({ id: 'x', logGroups: ['/x'] })]), emulatorConfig('', {}, { region: undefined, endpoint: undefined }), resolve);
    expect(noRegion.unplaced[0]).toMatchObject({ rule: 'x', reason: expect.stringContaining('no region') });
  });
});

describe('unavailable log groups', () => {
  const arn = (name: string) => `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${name}`;
  it('excluded groups (refused at run time) leave the plan; a rule left with none is unplaced, one left with some is partly served', () => {
    const rs = set([
      rule({ id: 'one', logGroups: ['/app/one'] }),
      rule({ id: 'lambda', logGroups: ['/aws/lambda/f'] }),
      rule({ id: 'both', logGroups: ['/app/one', '/aws/lambda/f'] }),
    ]);
    const exclude = (_region: string, a: string) => (a === arn('/aws/lambda/f') ? 'not found' : undefined);
    const plan = planSessions(rs, config({ strategy: 'economical' }), resolve, { exclude });
    expect(plan.sessions.map((s) => [s.params.logGroupIdentifiers, s.rules])).toEqual([[[arn('/app/one')], ['both', 'one']]]);
    expect(plan.unplaced).toEqual([{ rule: 'lambda', reason: 'log group "/aws/lambda/f": not found' }]);
    expect(plan.partlyServed).toEqual([{ rule: 'both', reason: 'served without log group "/aws/lambda/f": not found' }]);
    const without = planSessions(rs, config({ strategy: 'economical' }), resolve);
    expect(without.sessions.map((s) => s.params.logGroupIdentifiers)).toEqual([[arn('/app/one'), arn('/aws/lambda/f')]]);
    expect(without.partlyServed).toEqual([]);
  });

  it('a name that does not resolve leaves only that group out of its rule', () => {
    const rs = set([rule({ id: 'both', logGroups: ['/app/one', '/nope'] })]);
    const plan = planSessions(rs, config(), (region, name) => (name === '/nope' ? { unresolved: `log group "${name}" not found in ${region}` } : resolve(region, name)));
    expect(plan.sessions.map((s) => s.params.logGroupIdentifiers)).toEqual([[arn('/app/one')]]);
    expect(plan.unplaced).toEqual([]);
    expect(plan.partlyServed).toEqual([{ rule: 'both', reason: 'served without log group "/nope" not found in us-east-1' }]);
  });
});

describe('cost', () => {
  it('a session running all month is 43,200 session-minutes at pricePerMinute; the total sums the sessions', () => {
    const plan = planSessions(forty, config({ strategy: 'economical', pricePerMinute: 0.01 }), resolve);
    expect(plan.sessions.map((s) => s.monthlyCost)).toEqual([432, 432, 432]);
    expect(plan.monthlyCost).toBe(1296);
    expect(planSessions(forty, config({ strategy: 'economical', pricePerMinute: 0.0015 }), resolve).monthlyCost).toBeCloseTo(194.4, 6);
  });
});

describe('union patterns', () => {
  it.each([
    [['ERROR', 'WARN'], '?ERROR ?WARN'],
    [['?a ?b', 'c', '?b'], '?a ?b ?c'],
    [['"an error"', 'FATAL'], '?"an error" ?FATAL'],
    [['{ $.a = 1 }', '{ $.a = 1 }'], '{ $.a = 1 }'],
    [['ERROR', ''], undefined],
    [['ERROR', undefined], undefined],
    [['ERROR Exception', 'WARN'], undefined],
    [['-DEBUG', 'WARN'], undefined],
    [['?a -b', 'c'], undefined],
    [['{ $.a = 1 }', 'ERROR'], undefined],
    [['{ $.level = "FATAL" }', '{ $.level = "ERROR" }'], '{ $.level = "ERROR" || $.level = "FATAL" }'],
    [['{ $.a = 1 && $.b = 2 }', '{($.c = 3 || $.d = 4) && $.e = 5}', '{ $.a = 1 && $.b = 2 }'], '{ $.a = 1 && $.b = 2 || ($.c = 3 || $.d = 4) && $.e = 5 }'],
    [['{ $.status >= 500 }', '{ $.type = "refund" && $.result = "failed" }', '{ $.event = "heartbeat" }'], '{ $.event = "heartbeat" || $.status >= 500 || $.type = "refund" && $.result = "failed" }'],
    [['{ $.a[*] = 1 }', '{ $.b[*] = 1 }', '{ $.c[*] = 1 }', '{ $.d[*] = 1 }'], undefined], // 4 wildcard selectors: CloudWatch takes 3
    [['{ $.a = %x% }', '{ $.b = %y% }', '{ $.c = %z% }'], undefined], // 3 regexes: CloudWatch takes 2
    [[`{ $.a = "${'x'.repeat(600)}" }`, `{ $.b = "${'y'.repeat(600)}" }`], undefined], // over 1024 characters
    [['{ $.a = 1 }', '[w1, w2]'], undefined],
    [['%ERR[0-9]%', 'WARN'], undefined],
    [['[ip, user, status=5*]', 'WARN'], undefined],
  ] as [(string | undefined)[], string | undefined][])('%j → %j', (patterns, expected) => {
    expect(unionPattern(patterns)).toBe(expected);
  });

  /** JSON patterns of any shape: comparisons, IS, NOT EXISTS, wildcard selectors, regexes, &&, ||, parentheses. */
  const selector = fc.constantFrom('$.level', '$.status', '$.user.id', '$.tags[*]', '$.tags[0]', '$.n');
  const comparison = fc.oneof(
    fc.tuple(selector, fc.constantFrom('=', '!='), fc.constantFrom('"ERROR"', 'WARN', 'ERR*', '*OR', '"*"', '%^E.R%', '5*', '"42"')).map(([s, o, v]) => `${s} ${o} ${v}`),
    fc.tuple(selector, fc.constantFrom('=', '!=', '<', '>', '<=', '>='), fc.constantFrom('500', '404', '-1', '1e2', '42')).map(([s, o, v]) => `${s} ${o} ${v}`),
    fc.tuple(selector, fc.constantFrom('IS NULL', 'IS TRUE', 'IS FALSE', 'NOT EXISTS')).map(([s, k]) => `${s} ${k}`),
  );
  const condition: fc.Arbitrary<string> = fc.letrec<{ c: string }>((tie) => ({
    c: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      comparison,
      fc.tuple(tie('c'), fc.constantFrom('&&', '||'), tie('c')).map(([a, op, b]) => `${a} ${op} ${b}`),
      tie('c').map((a) => `(${a})`),
    ),
  })).c;
  const jsonPattern = condition.map((c) => `{ ${c} }`).filter((p) => {
    try {
      compileFilterPattern(p);
      return true;
    } catch {
      return false; // over CloudWatch's limits (wildcard selectors, regexes)
    }
  });
  const jsonValue = fc.oneof(fc.constantFrom('ERROR', 'WARN', 'ERROR!', 'xOR', '*', '42', '', 'EAR'), fc.constantFrom(500, 404, -1, 100, 42, 503.5), fc.constantFrom(null, true, false), fc.constant({ id: 'x' }));
  const jsonMessage = fc
    .record(
      { level: jsonValue, status: jsonValue, user: fc.oneof(fc.record({ id: jsonValue }, { requiredKeys: [] }), jsonValue), tags: fc.oneof(fc.array(jsonValue, { maxLength: 3 }), jsonValue), n: jsonValue },
      { requiredKeys: [] },
    )
    .map((o) => JSON.stringify(o));

  const WORDS = ['ERROR', 'WARN', 'error', 'timeout', 'a', 'ab', 'b', 'x-y', '500', 'an error'];
  const term = fc.constantFrom(...WORDS).map((w) => (w.includes(' ') ? `"${w}"` : w));
  const pattern = fc.oneof(
    term,
    fc.array(term, { minLength: 1, maxLength: 4 }).map((ts) => ts.map((t) => '?' + t).join(' ')),
    fc.array(term, { minLength: 2, maxLength: 3 }).map((ts) => ts.join(' ')),
    fc.tuple(term, term).map(([a, b]) => `${a} -${b}`),
    fc.tuple(term, term).map(([a, b]) => `?${a} -${b}`),
    fc.constant(''),
    fc.constantFrom('{ $.level = "ERROR" }', '{ $.status >= 500 }', '[w1, w2 = "ERROR"]'),
    jsonPattern,
  );
  const message = fc.oneof(
    fc.array(fc.constantFrom(...WORDS, ' ', 'zz', 'ERR', 'OR'), { maxLength: 8 }).map((ps) => ps.join(' ')),
    fc.record({ level: fc.constantFrom('ERROR', 'WARN'), status: fc.constantFrom(200, 404, 500, 503) }).map((o) => JSON.stringify(o)),
    jsonMessage,
  );

  it('a union never drops an event one of its rules matches — and passes only such events (fast-check, src/filter)', () => {
    fc.assert(
      fc.property(fc.array(pattern, { minLength: 1, maxLength: 5 }), fc.array(message, { minLength: 1, maxLength: 20 }), (patterns, messages) => {
        const union = unionPattern(patterns);
        if (union === undefined) return; // none: every event is sent, nothing can be dropped
        const u = compileFilterPattern(union);
        const rules = patterns.map((p) => (p.trim() === '' ? undefined : compileFilterPattern(p)));
        for (const m of messages) {
          const some = rules.some((r) => r === undefined || r.matches(m));
          expect(u.matches(m), `${union} on ${m}`).toBe(some);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('JSON patterns of any shape: the union passes an event iff one of them does (fast-check, src/filter)', () => {
    let passed = 0;
    let failed = 0;
    fc.assert(
      fc.property(fc.array(jsonPattern, { minLength: 2, maxLength: 4 }), fc.array(fc.oneof(jsonMessage, message), { minLength: 1, maxLength: 30 }), (patterns, messages) => {
        const union = unionPattern(patterns);
        const rules = patterns.map((p) => compileFilterPattern(p));
        if (union === undefined) {
          // Only CloudWatch's limits stop a JSON union.
          expect(() => compileFilterPattern(`{ ${patterns.map((p) => p.trim().slice(1, -1).trim()).join(' || ')} }`)).toThrow();
          return;
        }
        expect(union.length).toBeLessThanOrEqual(1024);
        const u = compileFilterPattern(union);
        for (const m of messages) {
          const some = rules.some((r) => r.matches(m));
          expect(u.matches(m), `${union} on ${m}`).toBe(some);
          if (some) passed++;
          else failed++;
        }
      }),
      { numRuns: 2_000 },
    );
    // Not vacuous: both answers came up often.
    expect(passed).toBeGreaterThan(1_000);
    expect(failed).toBeGreaterThan(1_000);
  });
});

describe('any rule set', () => {
  it('plans only valid sessions within the quota, each rule placed or reported (fast-check)', () => {
    const groupName = fc.integer({ min: 0, max: 29 }).map((i) => `/g/${i}`);
    const ruleArb = fc.record({
      groups: fc.uniqueArray(groupName, { minLength: 1, maxLength: 4 }),
      streams: fc.oneof(fc.constant(undefined), fc.constant(['s1']), fc.constant(['s1', 's2'])),
      prefixes: fc.oneof(fc.constant(undefined), fc.constant(['api-'])),
      pattern: fc.constantFrom(undefined, 'ERROR', '?WARN ?FATAL', '{ $.status >= 500 }', 'a b'),
    });
    fc.assert(
      fc.property(fc.array(ruleArb, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 15 }), fc.constantFrom('precise' as const, 'economical' as const, 'adaptive' as const), fc.array(fc.uniqueArray(groupName, { minLength: 1, maxLength: 10 }), { maxLength: 3 }), (specs, max, strategy, splitGroups) => {
        const rs = set(
          specs.map((x, i) =>
            rule({
              id: `r${i}`,
              logGroups: x.groups,
              ...(x.groups.length === 1 && x.streams ? { logStreams: [...x.streams] } : {}),
              ...(x.groups.length === 1 && !x.streams && x.prefixes ? { logStreamPrefixes: [...x.prefixes] } : {}),
              ...(x.pattern ? { filterPattern: x.pattern } : {}),
            }),
          ),
        );
        // Adaptive: any split decisions (log groups whose rules get sessions of their own sources).
        const splits = splitGroups.map((gs, i) => ({ key: `s${i}`, region: 'us-east-1', logGroups: gs.map((g) => `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${g}`).sort() }));
        const plan = planSessions(rs, config({ maxConcurrent: max, strategy }), resolve, { splits });
        expectValid(plan, rs, max);
        if (strategy === 'adaptive') {
          // Never more sessions than economical needs or the quota allows; without decisions, economical.
          const economical = planSessions(rs, config({ maxConcurrent: max, strategy: 'economical' }), resolve);
          expect(plan.sessions.length).toBeLessThanOrEqual(Math.max(max, economical.sessions.length));
          expect(plan.unplaced.length).toBeLessThanOrEqual(economical.unplaced.length);
          expect(planSessions(rs, config({ maxConcurrent: max, strategy }), resolve)).toEqual(economical);
        }
        const placed = new Set(plan.sessions.flatMap((s) => s.rules));
        for (const r of rs.rules) expect(placed.has(r.id) || plan.unplaced.some((u) => u.rule === r.id), r.id).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('polled rules', () => {
  const arn = (g: string): string => `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${g}`;
  it('get no session: one poll per log group, interval and lag, shared by the rules on it (union pattern), with its calls a minute', () => {
    const rules = set([
      rule({ id: 'live', logGroups: ['/a'], filterPattern: 'ERROR' }),
      rule({ id: 'p1', logGroups: ['/a', '/b'], filterPattern: 'WARN', feed: { poll: '30s' } }),
      rule({ id: 'p2', logGroups: ['/a'], filterPattern: 'FATAL', feed: { poll: '30s' } }),
      rule({ id: 'p3', logGroups: ['/a'], feed: { poll: '1m', lag: '10s' } }),
      rule({ id: 'p4', logGroups: ['/c'], logStreamPrefixes: ['x-', 'y-'], feed: { poll: '15s' } }),
    ]);
    const plan = planSessions(rules, config(), resolve);
    expect(plan.sessions.map((s) => s.rules)).toEqual([['live']]);
    expect(plan.monthlyCost).toBe(432);
    expect(plan.polls.map((p) => ({ group: p.params.logGroupIdentifiers, pattern: p.params.logEventFilterPattern, prefixes: p.params.logStreamNamePrefixes, interval: p.intervalMs, lag: p.lagMs, rules: p.rules, calls: p.callsPerMinute }))).toEqual([
      { group: [arn('/a')], pattern: '?FATAL ?WARN', prefixes: undefined, interval: 30_000, lag: 30_000, rules: ['p1', 'p2'], calls: 2 },
      { group: [arn('/a')], pattern: undefined, prefixes: undefined, interval: 60_000, lag: 10_000, rules: ['p3'], calls: 1 },
      { group: [arn('/b')], pattern: 'WARN', prefixes: undefined, interval: 30_000, lag: 30_000, rules: ['p1'], calls: 2 },
      // Two prefixes would be two calls each time: not sent (the engine checks streams anyway).
      { group: [arn('/c')], pattern: undefined, prefixes: undefined, interval: 15_000, lag: 30_000, rules: ['p4'], calls: 4 },
    ]);
    expect(new Set(plan.polls.map((p) => p.id)).size).toBe(4);
    expect(planSessions(rules, config(), resolve)).toEqual(plan);
  });
});
