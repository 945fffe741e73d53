// The two regex engines (V8 RegExp for small bounded regexes, the counting NFA
// for everything else) must accept exactly the same lines, and so must the
// regex after its unanchored ends are trimmed ('auto').
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileRegexBody, V8_MAX_COST } from '../../src/filter/regex.js';

const atom = fc.constantFrom('a', 'b', '.', '[ab]', '[^a]', '\\d', '\\D', '\\s', '\\S', '\\w', '\\W', '\\x61', '\\.', '[a-c]', ' ', '-');
const quantifier = fc.constantFrom('', '', '?', '*', '+', '{2}', '{0,3}', '{1,}', '{2,4}', '{3,12}', '{0,20}');
const piece = fc.oneof({ weight: 8, arbitrary: fc.tuple(atom, quantifier).map(([a, q]) => a + q) }, { weight: 1, arbitrary: fc.constantFrom('^', '$') });
const regex = fc.array(fc.array(piece, { minLength: 1, maxLength: 6 }).map((p) => p.join('')), { minLength: 1, maxLength: 3 }).map((alts) => alts.join('|'));
const text = fc.array(fc.constantFrom('a', 'b', 'c', '1', ' ', '.', '\n', 'é', '-'), { maxLength: 30 }).map((cs) => cs.join(''));

describe('regex engines', () => {
  it('the counting NFA and V8 agree on random regexes and texts', () => {
    fc.assert(
      fc.property(regex, text, (source, message) => {
        expect(compileRegexBody(source, 'nfa').test(message)).toBe(compileRegexBody(source, 'v8').test(message));
      }),
      { numRuns: 3000 },
    );
  });

  it('trimming the unanchored ends and choosing the engine changes no answer', () => {
    fc.assert(
      fc.property(regex, text, (source, message) => {
        expect(compileRegexBody(source).test(message)).toBe(compileRegexBody(source, 'v8').test(message));
      }),
      { numRuns: 3000 },
    );
  });

  it('runs small bounded regexes on V8 and the rest on the NFA', () => {
    const engine = (source: string) => compileRegexBody(source).engine;
    // Bounded, or bounded once the unanchored ends are trimmed.
    for (const source of ['latency_ms=[0-9]{4}', 'ERROR|WARN|FATAL', '\\d+ms', '.*ERROR.*', 'a*a*a*a*a*a*a*b', '^a{2,5}$', '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}']) {
      expect(engine(source), source).toBe('v8');
    }
    // Unbounded inside, or too many paths for a backtracker (the IPv4 regex has 81 of 15 steps).
    for (const source of ['a\\w*=', '^a*b', 'a+b+$', 'ERROR.*timeout', '\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}', 'xa{0,1000}b', `x{${V8_MAX_COST + 1}}`]) {
      expect(engine(source), source).toBe('nfa');
    }
  });

  it('follows RE2 semantics for ., \\s and $', () => {
    for (const engine of ['v8', 'nfa', 'auto'] as const) {
      expect(compileRegexBody('a.b', engine).test('a\rb')).toBe(true);
      expect(compileRegexBody('a.b', engine).test('a\nb')).toBe(false);
      expect(compileRegexBody('a\\sb', engine).test('a\u00a0b')).toBe(false);
      expect(compileRegexBody('a\\sb', engine).test('a\tb')).toBe(true);
      expect(compileRegexBody('a$', engine).test('a\n')).toBe(false);
      expect(compileRegexBody('[^a]', engine).test('é')).toBe(true);
      expect(compileRegexBody('a{2,3}?', engine).test('aa')).toBe(true);
      expect(compileRegexBody('x{', engine).test('x{')).toBe(true);
    }
  });
});
