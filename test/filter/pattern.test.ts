import { describe, expect, it } from 'vitest';
import {
  compileFilterPattern,
  compileSelector,
  filterPatternKind,
  FilterPatternError,
  isJsonPattern,
  NOT_JSON,
  parseJsonMessage,
} from '../../src/filter/index.js';

function errorOf(pattern: string): { message: string; column: number } {
  try {
    compileFilterPattern(pattern);
  } catch (err) {
    if (err instanceof FilterPatternError) return { message: err.message, column: err.column };
    throw err;
  }
  throw new Error(`pattern was accepted: ${pattern}`);
}

describe('invalid patterns name the column of the problem', () => {
  it.each([
    ['{ $.a = 1', 10, /missing '}'/],
    ['{ $.a = }', 9, /expected a value/],
    ['{ $.a > abc }', 9, /needs a number/],
    ['{ a = 1 }', 3, /selector starting with '\$'/],
    ['{ $.a IS NOT NULL }', 7, /IS NOT/],
    ['{ $.a EXISTS }', 7, /EXISTS is not supported/],
    ['{ $.a = 1 } x', 13, /after the closing/],
    ['{ ($.a = 1 }', 12, /expected '\)'/],
    ['{ }', 1, /empty JSON pattern/],
    ['{ $.a[x] = 1 }', 7, /index/],
    ['{ $.a[*].b[*] = 1 }', 12, /one wildcard/],
    ['{ $.a[*] = 1 && $.b[*] = 1 && $.c[*] = 1 && $.d[*] = 1 }', 45, /3 selectors with wildcards/],
    ['{ $.a = %x% && $.b = %y% && $.c = %z% }', 35, /at most 2 regexes/],
    ['[a=%x%, b=%y%, c=%z%]', 18, /at most 2 regexes/],
    ['[a, b', 6, /missing '\]'/],
    ['[a, b=1 && c=2]', 12, /cannot test 'c'/],
    ['[a b]', 4, /expected an operator/],
    ['%(a)%', 2, /no groups/],
    ['%a!%', 3, /not allowed/],
    ['%é%', 2, /multi-byte/],
    ['%abc', 1, /unterminated regex/],
    ['%a**%', 4, /nested quantifier/],
    ['%*a%', 2, /nothing to repeat/],
    ['%a{1001}%', 3, /above 1000/],
    ['%[b-a]%', 3, /bad character range/],
    ['%\\q%', 2, /unsupported escape/],
    ['"unterminated', 1, /unterminated double-quoted/],
    ['ERROR %abc', 7, /unterminated regex/],
  ])('%s → column %i', (pattern, column, message) => {
    const err = errorOf(pattern);
    expect(err.message).toMatch(message);
    expect(err.column).toBe(column);
  });

  it('rejects patterns longer than 1024 characters at column 1025', () => {
    expect(errorOf('a'.repeat(1025)).column).toBe(1025);
    expect(compileFilterPattern('a'.repeat(1024)).matches('a'.repeat(1024))).toBe(true);
  });
});

describe('compiled patterns', () => {
  it('reports the kind from the first non-blank character', () => {
    expect(filterPatternKind('  { $.a = 1 }')).toBe('json');
    expect(filterPatternKind('[a]')).toBe('delimited');
    expect(filterPatternKind('%x%')).toBe('terms');
    expect(isJsonPattern('{ $.a = 1 }')).toBe(true);
    expect(compileFilterPattern('[a, b]').kind).toBe('delimited');
  });

  it('uses the caller-parsed JSON and treats NOT_JSON as no match', () => {
    const p = compileFilterPattern('{ $.level = "ERROR" }');
    expect(p.matches('ignored', { level: 'ERROR' })).toBe(true);
    expect(p.matches('{"level":"ERROR"}', NOT_JSON)).toBe(false);
    expect(p.matches('{"level":"ERROR"}')).toBe(true);
  });

  it('never matches (nor throws on) non-JSON, truncated or hostile messages with a JSON pattern', () => {
    const p = compileFilterPattern('{ $.a NOT EXISTS }');
    for (const message of ['', 'plain', '{', '{"a":', 'null', '"x"', '[' .repeat(5000) + ']'.repeat(5000), '\uFFFD{"b":1}']) {
      expect(p.matches(message)).toBe(false);
    }
    expect(p.matches('{"b":1}')).toBe(true);
  });

  it('lists the substrings every match contains', () => {
    expect(compileFilterPattern('ERROR "bad gateway" ?x -y').requiredSubstrings).toEqual(['ERROR', 'bad gateway']);
    expect(compileFilterPattern('?a ?b').requiredSubstrings).toEqual([]);
    expect(compileFilterPattern('{ $.a = 1 }').requiredSubstrings).toEqual([]);
  });

  it('matches the empty and whitespace-only patterns against everything', () => {
    for (const pattern of ['', '   ', '" "', '[]', '[ ]']) expect(compileFilterPattern(pattern).matches('')).toBe(true);
  });
});

describe('parseJsonMessage', () => {
  it('parses objects and arrays, with surrounding whitespace', () => {
    expect(parseJsonMessage(' {"a":[1,{"b":null}]}\n')).toEqual({ a: [1, { b: null }] });
    expect(parseJsonMessage('[1,2]')).toEqual([1, 2]);
  });

  it('treats scalars, text, broken JSON and JSON after a prefix as NOT_JSON', () => {
    for (const m of ['5', '"str"', 'true', 'null', '', 'INFO {"a":1}', '{"a":1', '{"a":1} trailing']) expect(parseJsonMessage(m)).toBe(NOT_JSON);
  });

  it('treats nesting deeper than 1000 as NOT_JSON, and 1000 as JSON', () => {
    expect(parseJsonMessage('['.repeat(1001) + ']'.repeat(1001))).toBe(NOT_JSON);
    expect(parseJsonMessage('['.repeat(1000) + ']'.repeat(1000))).not.toBe(NOT_JSON);
    // brackets inside strings do not count
    expect(parseJsonMessage(`{"s":"${'['.repeat(3000)}"}`)).toEqual({ s: '['.repeat(3000) });
    expect(parseJsonMessage('{"a":"' + '\\"['.repeat(1500) + '"}')).not.toBe(NOT_JSON);
  });
});

describe('compileSelector', () => {
  const doc = { a: { b: [10, { c: 'x' }] }, 'key.with.dot': 1, list: [{ id: 1 }, { id: 2 }] };

  it('selects keys, indexes, quoted keys and wildcards', () => {
    expect(compileSelector('$.a.b[0]').values(doc)).toEqual([10]);
    expect(compileSelector('$.a.b[1].c').values(doc)).toEqual(['x']);
    expect(compileSelector("$.['key.with.dot']").values(doc)).toEqual([1]);
    expect(compileSelector('$["key.with.dot"]').values(doc)).toEqual([1]);
    expect(compileSelector('$.list[*].id').values(doc)).toEqual([1, 2]);
    expect(compileSelector('$.a.*').values(doc)).toEqual([[10, { c: 'x' }]]);
    expect(compileSelector('$.list[*].id').wildcard).toBe(true);
  });

  it('first gives the first value reached, undefined when none', () => {
    expect(compileSelector('$.a.b[1].c').first(doc)).toBe('x');
    expect(compileSelector('$.list[*].id').first(doc)).toBe(1);
    expect(compileSelector('$.a.z').first(doc)).toBeUndefined();
    expect(compileSelector('$.a.b.length').first(doc)).toBeUndefined();
    expect(compileSelector('$.a').first(NOT_JSON)).toBeUndefined();
    expect(compileSelector('$.n').first({ n: null })).toBeNull();
  });

  it('selects nothing when missing, out of range, inherited or not JSON', () => {
    expect(compileSelector('$.a.z').values(doc)).toEqual([]);
    expect(compileSelector('$.a.b[5]').values(doc)).toEqual([]);
    expect(compileSelector('$.a.b.length').values(doc)).toEqual([]);
    expect(compileSelector('$.toString').values(doc)).toEqual([]);
    expect(compileSelector('$.a').values(NOT_JSON)).toEqual([]);
  });

  it('throws FilterPatternError with the column of a bad selector', () => {
    for (const [sel, column] of [
      ['a.b', 1],
      ['$', 2],
      ['$.a[', 5],
      ['$.a b', 4],
      ['$.', 3],
    ] as const) {
      try {
        compileSelector(sel);
        throw new Error(`accepted ${sel}`);
      } catch (err) {
        expect(err).toBeInstanceOf(FilterPatternError);
        expect((err as FilterPatternError).column).toBe(column);
      }
    }
  });
});
