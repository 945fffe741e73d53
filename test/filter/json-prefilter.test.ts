// The raw-text prefilter of JSON patterns (src/filter/json-prefilter.ts) must
// never say "no" where the full evaluation says "yes": differential property
// tests against matches(message, parseJsonMessage(message)) on JSON text
// written with random whitespace, escapes (\uXXXX, \", \\, \/), non-ASCII
// text, nesting, arrays, duplicate keys, odd number spellings, and on broken
// text. And it must say "no" often enough to be worth having. Also the
// one-key scan (src/filter/json-scan.ts) against parseJsonMessage, on the
// same messages and on damaged ones.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileFilterPattern, jsonTopValue, NOT_JSON, parseJsonMessage } from '../../src/filter/index.js';
import { MAX_JSON_DEPTH } from '../../src/filter/message.js';

// The keys the selectors below read come often; the odd ones (a quote, non-ASCII, a prefix or suffix of another key, a space) now and then.
const KEYS = ['level', 'level', 'level', 'status', 'status', 'id', 'id', 'user', 'tags', 'a', 'a', 'b', 'lev', 'el', 'le"vel', 'é', 'status '];
const WORDS = ['ERROR', 'INFO', 'level', 'status', '500', '404', 'é', 'ERR', 'a"b', 'back\\slash', '😀', ' ', ':', '{"level":"ERROR"}'];

type J = null | boolean | number | string | J[] | { k: string; v: J }[];

function values(keys: readonly string[], words: readonly string[]): { scalar: fc.Arbitrary<J>; any: fc.Arbitrary<J> } {
  const scalar: fc.Arbitrary<J> = fc.oneof(
    fc.constantFrom(...words),
    fc.integer({ min: -10, max: 1000 }),
    fc.constantFrom(500, 499.5, 2500, 0, -0, 1e21),
    fc.constantFrom(true, false, null),
    fc.constantFrom(true, false, null),
  );
  const any = fc.letrec<{ v: J }>((tie) => ({
    v: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      scalar,
      fc.array(tie('v'), { maxLength: 3 }),
      // Objects as key/value lists, so keys can repeat (JSON.parse keeps the last).
      fc.array(fc.record({ k: fc.constantFrom(...keys), v: tie('v') }), { maxLength: 4 }),
    ),
  })).v;
  return { scalar, any };
}

/** JSON text of `v`, spelled in one of many equivalent ways. */
function write(v: J, r: () => number, ws: () => string, escapeMore: boolean): string {
  const str = (s: string) => {
    let out = '"';
    // UTF-16 code units: a surrogate pair may come out half escaped, still valid JSON.
    for (let i = 0; i < s.length; i++) {
      const ch = s[i]!;
      if (ch === '"' || ch === '\\') out += r() < 0.3 && escapeMore ? '\\u00' + ch.charCodeAt(0).toString(16) : '\\' + ch;
      else if (escapeMore && r() < 0.2) out += '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0');
      else if (escapeMore && ch === '/' && r() < 0.5) out += '\\/';
      else out += ch;
    }
    return out + '"';
  };
  const num = (n: number) => {
    const x = r();
    if (Object.is(n, -0)) return '-0';
    if (Number.isInteger(n) && Math.abs(n) < 1e15) {
      if (x < 0.15) return `${n}.0`;
      if (x < 0.3 && n !== 0) return `${n / 10}e1`;
      if (x < 0.4 && n !== 0) return `${n * 10}E-1`;
      if (x < 0.5) return `${n}e+0`;
    }
    return String(n);
  };
  if (v === null || typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return num(v);
  if (typeof v === 'string') return str(v);
  if (v.length > 0 && typeof v[0] === 'object' && v[0] !== null && !Array.isArray(v[0]) && 'k' in v[0]) {
    return '{' + ws() + (v as { k: string; v: J }[]).map((e) => str(e.k) + ws() + ':' + ws() + write(e.v, r, ws, escapeMore)).join(ws() + ',' + ws()) + ws() + '}';
  }
  return '[' + ws() + (v as J[]).map((e) => write(e, r, ws, escapeMore)).join(ws() + ',' + ws()) + ws() + ']';
}

/** A message: usually a JSON object, sometimes escaped, spaced out, cut short or prefixed. */
const messageOf = (keys: readonly string[], words: readonly string[]) => {
  const v = values(keys, words);
  return fc
    .tuple(
      fc.array(fc.record({ k: fc.constantFrom(...keys), v: fc.oneof(v.scalar, v.scalar, v.any) }), { maxLength: 6 }),
      fc.boolean(),
      fc.constantFrom('none', 'some', 'lots'),
      fc.constantFrom('whole', 'whole', 'whole', 'whole', 'cut', 'prefix', 'array'),
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    )
    .map(([entries, escapeMore, spacing, shape, seed]) => {
      let s = seed || 1;
      const r = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
      const ws = () => (spacing === 'none' ? '' : spacing === 'some' ? (r() < 0.3 ? ' ' : '') : [' ', '\n', '\t', '\r\n', '  '][Math.floor(r() * 5)]!);
      const obj: J = entries.length === 0 ? [] : entries;
      let text = write(obj, r, ws, escapeMore);
      if (entries.length === 0) text = '{}';
      if (shape === 'cut') text = text.slice(0, Math.floor(r() * text.length));
      if (shape === 'prefix') text = 'INFO ' + text;
      if (shape === 'array') text = `[${text}]`;
      return text;
    });
};
const message = messageOf(KEYS, WORDS);
// Fewer keys and values, so that more of the patterns match and the prefilter's "maybe" is tested hard.
const denseMessage = messageOf(['level', 'status', 'a', 'b', 'id', 'user', 'xid', 'ba'], ['ERROR', 'ERR', 'INFO', '500', ' 500', 'ERROR ', 'xid']);

const SELECTORS = ['$.level', '$.status', '$.latency', '$.user.id', '$.a.b', '$.tags[0]', '$.tags[*]', '$.*.id', '$.a[*].b', '$.id', "$.['le\"vel']", '$.é', '$.lev'];
const DENSE_SELECTORS = ['$.level', '$.status', '$.a.b', '$.user.id', '$.a[*].b', '$.*.id', '$.id', '$.a', '$.a[0]'];
const exprOf = (selectors: readonly string[], leafOnly = false) => {
  const leaf = fc.oneof(
    fc.tuple(fc.constantFrom(...selectors), fc.constantFrom('=', '!=', '<', '>', '<=', '>='), fc.constantFrom('500', '0', '-0', '2500', '499.5', '1e21', '5e2', '-1')).map(([s, op, n]) => `${s} ${op} ${n}`),
    fc.tuple(fc.constantFrom(...selectors), fc.constantFrom('=', '!='), fc.constantFrom('ERROR', '"ERROR"', 'ERR*', '*OR', '*RO*', '"é"', '"a\\"b"', '*', '"level"', '5*', '%ERR%', '%^5%', '"500"')).map(([s, op, v]) => `${s} ${op} ${v}`),
    fc.tuple(fc.constantFrom(...selectors), fc.constantFrom('IS NULL', 'IS TRUE', 'IS FALSE', 'NOT EXISTS')).map(([s, kw]) => `${s} ${kw}`),
  );
  if (leafOnly) return leaf;
  return fc.letrec<{ e: string }>((tie) => ({
    e: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.tuple(tie('e'), fc.constantFrom('&&', '||'), tie('e')).map(([a, op, b]) => `(${a}) ${op} (${b})`)),
  })).e;
};
const withinLimits = (source: string) => (source.match(/\*\]|\.\*/g) ?? []).length <= 3 && (source.match(/%/g) ?? []).length <= 4;

describe('JSON pattern prefilter', () => {
  it.each([
    ['varied messages', exprOf(SELECTORS), message],
    ['messages dense in the keys and values the patterns test', exprOf(DENSE_SELECTORS), denseMessage],
    ['single comparisons on dense messages', exprOf(DENSE_SELECTORS, true), denseMessage],
  ])('never rejects a message the full evaluation matches, and matches() agrees with the full evaluation: %s', (_, expr, messages) => {
    let rejected = 0;
    let runs = 0;
    fc.assert(
      fc.property(expr, messages, (e, msg) => {
        fc.pre(withinLimits(e));
        const p = compileFilterPattern(`{ ${e} }`);
        const full = p.matches(msg, parseJsonMessage(msg));
        runs++;
        if (p.mayMatch !== undefined && !p.mayMatch(msg)) {
          rejected++;
          expect(full).toBe(false);
        }
        expect(p.matches(msg)).toBe(full);
      }),
      { numRuns: 20_000 },
    );
    // Worth having: it rejects a good share of these messages.
    expect(rejected).toBeGreaterThan(runs / 10);
  });

  it('says no on escape-free text without a passing value of the key', () => {
    const p = compileFilterPattern('{ $.level = "ERROR" }');
    expect(p.mayMatch).toBeDefined();
    expect(p.mayMatch!('{"level":"INFO","msg":"ERROR"}')).toBe(false);
    expect(p.mayMatch!('{"msg":"level ERROR"}')).toBe(false);
    expect(p.mayMatch!('{"a":{"level":"ERROR"}}')).toBe(true); // nested: a maybe, decided by the parse
    expect(p.mayMatch!('{"level" :\n "ERROR"}')).toBe(true);
    expect(p.mayMatch!('{"l\\u0065vel":"ERROR"}')).toBe(true); // escapes: always a maybe
    expect(p.matches('{"l\\u0065vel":"ERROR"}')).toBe(true);
    const n = compileFilterPattern('{ $.status >= 500 && $.path = "/v1*" }');
    expect(n.mayMatch!('{"status":200,"path":"/v1/x"}')).toBe(false);
    expect(n.mayMatch!('{"status":"500","path":"/v1/x"}')).toBe(false); // a number compares with numbers only
    expect(n.mayMatch!('{"status":5e2,"path":"/v1/x"}')).toBe(true);
    expect(n.mayMatch!('{"status":500,"status":200,"path":"/v1/x"}')).toBe(true); // duplicate keys: each is a candidate
    const or = compileFilterPattern('{ $.level = "ERROR" || $.tags[0] = "x" }');
    expect(or.mayMatch).toBeUndefined(); // a branch ending in an index gives nothing to go on
  });
});

describe('jsonTopValue: one top-level key without parsing the message', () => {
  /** parseJsonMessage, then `$.key` as the selectors read it. */
  function reference(text: string, key: string): unknown {
    const json = parseJsonMessage(text);
    if (json === NOT_JSON) return NOT_JSON;
    return json !== null && typeof json === 'object' && !Array.isArray(json) && Object.hasOwn(json, key) ? (json as Record<string, unknown>)[key] : undefined;
  }
  // Characters that break (or, now and then, keep) JSON: bad whitespace, control characters, stray punctuation, bad escapes and numbers.
  const DAMAGE = [',', ':', '"', '\\', '}', ']', '{', '[', '0', '-', '.', 'e', '+', '\u00a0', '\f', '\v', '\u0001', '\n', ' ', 'x', 'u', 'tru', 'nul', '\\u12', '\\x', '\\n', '\\u0041'];
  const damaged = fc.tuple(fc.oneof(message, denseMessage), fc.array(fc.tuple(fc.nat(), fc.constantFrom(...DAMAGE), fc.boolean()), { minLength: 1, maxLength: 2 })).map(([text, edits]) => {
    let out = text;
    for (const [at, piece, replace] of edits) {
      const i = out.length === 0 ? 0 : at % out.length;
      out = out.slice(0, i) + piece + out.slice(replace ? i + 1 : i);
    }
    return out;
  });
  const key = fc.constantFrom('level', 'status', 'a', 'b', 'id', 'user', 'le"vel', 'é', 'xid', 'missing');

  it.each([
    ['varied messages', message],
    ['dense messages', denseMessage],
    ['damaged messages', damaged],
    ['arbitrary JSON values', fc.json()],
    ['arbitrary text', fc.string({ unit: fc.constantFrom('{', '}', '[', ']', '"', ':', ',', '1', 'a', ' ', '\\', 'e', '-') })],
  ])('is exactly parseJsonMessage then $.key: %s', (_, messages) => {
    let valid = 0;
    let runs = 0;
    fc.assert(
      fc.property(messages, key, (text, k) => {
        const want = reference(text, k);
        runs++;
        if (want !== NOT_JSON) valid++;
        expect(jsonTopValue(text, k)).toEqual(want);
      }),
      { numRuns: 10_000 },
    );
    expect(valid).toBeGreaterThan(0);
    expect(runs).toBe(10_000);
  });

  it('spots the validity rules one by one', () => {
    // String.raw: the backslashes are the JSON text's own.
    const raw = String.raw;
    const cases = [
      '{"a":1}', '{"a":1,}', '[1,]', '{"a" 1}', '{a:1}', '{"a":01}', '{"a":1.}', '{"a":.5}', '{"a":+1}', '{"a":-}', '{"a":1e}', '{"a":1e+}', '{"a":-0.0e-0}',
      raw`{"a":"\u0001"}`, raw`{"a":"\x"}`, raw`{"a":"\u12"}`, raw`{"a":"\u00e9"}`, raw`{"a":"\/"}`, raw`{"a":"tab\tok"}`, '{"a":"raw\ttab"}', '{"a":"raw\u0001"}',
      '{"a":tru}', '{"a":true}', '{"a":nul}', '{"a":null} x', ' \n{"a":[]}\r\n', '\u00a0{"a":1}', '{"a":1}\f', '{"a":{"a":2},"a":3}', '{"a":3,"a":{"b":[1,{"c":2}]}}',
      '{"__proto__":1}', raw`{"\u0061":"x"}`, '{"a":"é😀"}', '[{"a":1}]', '{"b":{"a":1}}', '{}', '[]', '{"a":"unterminated}', '"a"', '5', raw`{"a":"\"}`, raw`{"a":"\\"}`,
    ];
    for (const text of cases) expect(jsonTopValue(text, 'a'), text).toEqual(reference(text, 'a'));
    // A name is compared decoded: the text of an escaped name is not the key it spells.
    expect(jsonTopValue(raw`{"l\u0065vel":1}`, raw`l\u0065vel`)).toBeUndefined();
    expect(jsonTopValue(raw`{"l\u0065vel":1}`, 'level')).toBe(1);
    expect(jsonTopValue(raw`{"a\nb":1}`, raw`a\nb`)).toBeUndefined();
  });

  it('applies the nesting limit as parseJsonMessage does', () => {
    const deep = (d: number) => '{"a":' + '['.repeat(d - 1) + ']'.repeat(d - 1) + '}';
    expect(jsonTopValue(deep(MAX_JSON_DEPTH), 'a')).toEqual(reference(deep(MAX_JSON_DEPTH), 'a'));
    expect(jsonTopValue(deep(MAX_JSON_DEPTH + 1), 'a')).toBe(NOT_JSON);
    expect(reference(deep(MAX_JSON_DEPTH + 1), 'a')).toBe(NOT_JSON);
  });
});
