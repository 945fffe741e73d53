// The two regex engines (V8 RegExp for ordinary regexes, the counting NFA for
// large counts) must accept exactly the same lines.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileRegexBody } from '../../src/filter/regex.js';

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

  it('follows RE2 semantics for ., \\s and $', () => {
    for (const engine of ['v8', 'nfa'] as const) {
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
