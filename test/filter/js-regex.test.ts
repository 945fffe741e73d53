// Rule regexes (`match: { regex: … }`) run on V8's linear-time engine: the
// ones it cannot run are rejected with the reason at the construct, and the
// rest give JavaScript's answers in time linear in the value.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileJsRegex, JsRegexError, LINEAR_MAX_REPEAT } from '../../src/filter/js-regex.js';

function rejection(source: string): { message: string; offset: number; kind: string } | undefined {
  try {
    compileJsRegex(source);
    return undefined;
  } catch (err) {
    if (!(err instanceof JsRegexError)) throw err;
    return { message: err.message, offset: err.offset, kind: err.kind };
  }
}

const linearOk = (source: string): boolean => {
  try {
    new RegExp(source, 'l');
    return true;
  } catch {
    return false;
  }
};

describe('rule regexes the linear engine cannot run', () => {
  it.each([
    // The security review's: minutes or hours on V8's backtracking engine.
    ['(.*a){25}X', 5, 'a repeat count above 16 is not supported'],
    ['(.*a){17}X', 5, 'a repeat count above 16 is not supported'],
    ['^(?=.*a)(a+)+$', 1, 'lookahead assertions are not supported'],
    ['(\\w+\\s?)+\\1$', 9, 'backreferences are not supported'],
    // and the other kinds
    ['(?<w>\\w+) \\k<w>', 10, 'backreferences are not supported'],
    ['(?!x)y', 0, 'lookahead assertions are not supported'],
    ['(?<=a)b', 0, 'lookbehind assertions are not supported'],
    ['x(?<!a)b', 1, 'lookbehind assertions are not supported'],
    ['[0-9a-f]{32}', 8, 'a repeat count above 16 is not supported'],
    ['a{2,17}', 1, 'a repeat count above 16 is not supported'],
    ['a{16,}', 1, 'a repeat of 16 or more is not supported'],
    ['(a+){9}', 4, 'nested repeats that make 18 copies are not supported'],
    ['((a{2}){2}){5}', 11, 'nested repeats that make 20 copies are not supported'],
  ])('%s: rejected at offset %i', (source, offset, reason) => {
    const r = rejection(source);
    expect(r).toBeDefined();
    expect(r!.kind).toBe('linear');
    expect(r!.offset).toBe(offset);
    expect(r!.message).toMatch(new RegExp(`^${reason.replace(/[()]/g, '\\$&')}.*: the regex must run in linear time$`));
    expect(linearOk(source)).toBe(false);
  });

  it('keeps syntax errors as they were (the whole regex)', () => {
    expect(rejection('^(unclosed')).toEqual({ message: 'invalid regex: /^(unclosed/: Unterminated group', offset: 0, kind: 'syntax' });
  });

  it.each(['^/v1/', '^/v1/(charges|refunds)/[0-9]+', 'timeout|refused', '(a+)+$', '(.*a){16}X', 'a{15,}', '(a{4}){4}', '\\1', '(a)\\2', '[\\1]', 'x{', 'a{,5}', '\\k', '(?<n>a)b', '\\bword\\b', '[^]', '[]'])('accepts %s', (source) => {
    expect(rejection(source)).toBeUndefined();
    expect(linearOk(source)).toBe(true);
  });
});

// Random regexes from JavaScript's syntax, including what the linear engine refuses.
const atom = fc.constantFrom('a', 'b', '.', '[ab]', '[^a]', '\\d', '\\w', '\\s', '\\.', '[a-c]', '-', '\\1', '\\2', '\\k<n>', '$', '^', '\\b', '{', 'x{2');
const quantifier = fc.constantFrom('', '', '', '?', '*', '+', '*?', '{2}', '{0,3}', '{1,}', '{3,5}', '{15,}', '{16}', '{17}', '{0,20}', '{8}');
const piece = fc.tuple(atom, quantifier).map(([a, q]) => (/^[\^$]|\\b/.test(a) ? a : a + q));
const seq: fc.Arbitrary<string> = fc.letrec<{ seq: string; group: string }>((tie) => ({
  seq: fc.array(fc.oneof({ weight: 5, arbitrary: piece }, { weight: 1, arbitrary: tie('group') }), { minLength: 1, maxLength: 5 }).map((p) => p.join('')),
  group: fc
    .tuple(fc.constantFrom('(', '(?:', '(?<n>', '(?=', '(?!', '(?<=', '(?<!'), fc.array(tie('seq'), { minLength: 1, maxLength: 2 }), fc.constantFrom('', '', '*', '+', '?', '{2}', '{4}', '{5}', '{9}'))
    .map(([open, alts, q]) => `${open}${alts.join('|')})${open.startsWith('(?=') || open.startsWith('(?!') || open.startsWith('(?<=') || open.startsWith('(?<!') ? '' : q}`),
})).seq;
const validRegex = seq.filter((s) => {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
});
const text = fc.array(fc.constantFrom('a', 'b', 'c', '1', ' ', '.', '\n', '-', 'x', '{', '2'), { maxLength: 24 }).map((cs) => cs.join(''));

describe('rule regexes on the linear engine', () => {
  it('are accepted exactly when V8 can run them in linear time, and a rejection names the construct', () => {
    fc.assert(
      fc.property(validRegex, (source) => {
        const r = rejection(source);
        expect(r === undefined).toBe(linearOk(source));
        if (r) expect(r.message).not.toMatch(/^V8's linear engine cannot run this regex/);
      }),
      { numRuns: 3000 },
    );
  });

  it('answer as JavaScript regexes do', () => {
    fc.assert(
      fc.property(validRegex, text, (source, value) => {
        fc.pre(linearOk(source));
        expect(compileJsRegex(source).test(value)).toBe(new RegExp(source).test(value));
      }),
      { numRuns: 3000 },
    );
  });

  it('plain strings with ^ and $ answer as the regex does (they skip the engine)', () => {
    const literal = fc.array(fc.constantFrom('a', 'b', '/', '\\.', '\\$', '\\^', '-', ' ', '\\/'), { maxLength: 5 }).map((p) => p.join(''));
    const plainText = fc.array(fc.constantFrom('a', 'b', '/', '.', '$', '^', '-', ' ', '\n'), { maxLength: 8 }).map((p) => p.join(''));
    fc.assert(
      fc.property(fc.boolean(), literal, fc.boolean(), plainText, (start, body, end, value) => {
        const source = `${start ? '^' : ''}${body}${end ? '$' : ''}`;
        expect(compileJsRegex(source).test(value)).toBe(new RegExp(source).test(value));
      }),
      { numRuns: 2000 },
    );
  });

  it('run in time linear in the value, also where V8 backtracking is quadratic', () => {
    // On V8's default engine `a*b` steps back through its greedy loop from every start
    // position without counting backtracks, so the fallback flag never fires: 13 s on this line.
    const line = 'a'.repeat(256 * 1024);
    for (const source of ['a*b', '\\w+=', '(a|aa)*c', '(.*a){8}X', '(\\w+\\s?)+X']) {
      const re = compileJsRegex(source);
      const start = performance.now();
      expect(re.test(line)).toBe(false);
      expect(performance.now() - start, source).toBeLessThan(10_000);
    }
  });

  it('counts above the limit are the limit the linear engine has', () => {
    expect(linearOk(`a{${LINEAR_MAX_REPEAT}}`)).toBe(true);
    expect(linearOk(`a{${LINEAR_MAX_REPEAT + 1}}`)).toBe(false);
  });
});
