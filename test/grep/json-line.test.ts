// The JSON fast path of `tailwatch grep` against parseJsonMessage on the
// decoded line: on a valid JSON line the projection holds exactly the wanted
// keys' values; on any line, a pattern that does not match the projection
// does not match the decoded line either (positives are confirmed by grep).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileFilterPattern, compileSelector, NOT_JSON, parseJsonMessage } from '../../src/filter/index.js';
import { JsonLineProjector } from '../../src/grep/json-line.js';

const KEYS = ['a', 'status', 'é', '__proto__', 'x y', 'missing'];

/** JSON objects/arrays, then damaged by cutting or inserting structural or odd characters. */
const line = fc
  .tuple(
    fc.oneof(
      fc.dictionary(fc.constantFrom(...KEYS, 'b', 'c'), fc.jsonValue({ maxDepth: 3 })).map((o) => JSON.stringify(o)),
      fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }).map((a) => JSON.stringify(a)),
      fc.constantFrom('{"a":1,"a":2}', '{ "status" : 500 }\t', '{"a":"x\ty"}', '{"a":01}', '{"a":1.}', '{"a":-}', '{"a":tru}', '{"a":1}x', '[1,]', '{,}', '{"a" 1}', ' {"a":[{"b":[]}]} ', '{"a":[1}', '{"a":"]"}'),
    ),
    fc.array(fc.tuple(fc.nat(), fc.constantFrom('', '"', '{', '}', '[', ']', ',', ':', ' ', '\t', '\u00e9', '\uFFFD', 'x', '1', '\u0001')), { maxLength: 2 }),
  )
  .map(([text, edits]) => {
    let out = text;
    for (const [at, ins] of edits) {
      const i = at % (out.length + 1);
      out = ins === '' ? out.slice(0, i) + out.slice(i + 1) : out.slice(0, i) + ins + out.slice(i);
    }
    return out;
  });

/** Projects `text` as the only line of a chunk with other bytes around it, as grep sees lines. */
function project(projector: JsonLineProjector, text: string, around: boolean) {
  const before = around ? Buffer.from('{"status":1}\n\xff x\n', 'latin1') : Buffer.alloc(0);
  const buf = Buffer.concat([before, Buffer.from(text), Buffer.from(around ? '\n{"a":"\\\\"}\n' : '')]);
  projector.reset(buf.toString('latin1'), buf);
  const start = before.length;
  const end = start + Buffer.byteLength(text);
  return { projected: projector.project(start, end), decoded: buf.toString('utf8', start, end) };
}

// Lines whose keys come from a few names at every level, duplicate keys
// included; every number form; strings with structural characters and
// non-ASCII text (escapes too: those lines take the ordinary path); any
// JSON whitespace between tokens.
const NAMES = ['a', 'b', 'id', 'é', 'x y', '__proto__', 'c'];
const space = fc.constantFrom('', '', '', ' ', '\t', '\r\n ', '\n');
const digits = (min: number, max: number) => fc.array(fc.constantFrom(...'0123456789'), { minLength: min, maxLength: max }).map((d) => d.join(''));
const number = fc
  .tuple(fc.constantFrom('', '-'), fc.oneof(fc.constant('0'), fc.tuple(fc.constantFrom(...'123456789'), digits(0, 20)).map(([h, t]) => h + t)), fc.option(digits(1, 6)), fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), digits(1, 3))))
  .map(([sign, int, frac, exp]) => `${sign}${int}${frac === null ? '' : `.${frac}`}${exp === null ? '' : exp.join('')}`);
const text = fc.oneof(fc.constantFrom(...NAMES, '', 'x', 'xyz', '{', '}', '[', ']', ':', ',', '{"id":1}', 'ü€😀'), fc.string({ maxLength: 6 }), fc.string({ unit: 'binary', maxLength: 4 }));
const scalar = fc.oneof(number, text.map((t) => JSON.stringify(t)), fc.constantFrom('true', 'false', 'null', '1', '-0', '0.5', '1e2', '100', '"x"', '"xy"', '"é"', '{}', '[]', '{ }'));
const key = fc.oneof({ weight: 12, arbitrary: fc.constantFrom('a', 'b', 'id', 'c') }, { weight: 3, arbitrary: fc.constantFrom(...NAMES) }, { weight: 1, arbitrary: text }).map((k) => JSON.stringify(k));
const { value, object, array } = fc.letrec<{ value: string; object: string; array: string }>((tie) => ({
  value: fc.oneof({ maxDepth: 4, depthSize: 'large', depthIdentifier: 'json' }, { weight: 3, arbitrary: scalar }, { weight: 3, arbitrary: tie('object') }, { weight: 1, arbitrary: tie('array') }),
  object: fc
    .tuple(fc.array(fc.tuple(space, key, space, space, tie('value'), space), { minLength: 1, maxLength: 5, depthIdentifier: 'json' }), space)
    .map(([members, s]) => `{${members.map(([s1, k, s2, s3, v, s4]) => `${s1}${k}${s2}:${s3}${v}${s4}`).join(',')}${s}}`),
  array: fc.tuple(fc.array(fc.tuple(space, tie('value'), space), { maxLength: 3, depthIdentifier: 'json' }), space).map(([items, s]) => `[${items.length === 0 ? s : items.map(([s1, v, s2]) => s1 + v + s2).join(',')}]`),
}));
const topObject = fc.oneof({ weight: 5, arbitrary: object }, { weight: 1, arbitrary: array });
/** As bytes, with damage: cut or inserted characters, or invalid UTF-8 bytes. */
const lineBytes = fc
  .tuple(space, fc.oneof({ weight: 4, arbitrary: topObject }, { weight: 1, arbitrary: value }), space, fc.array(fc.tuple(fc.nat(), fc.constantFrom('', '"', '{', '}', '[', ']', ',', ':', ' ', 'x', '1', '\u0001', '\xff', '\xc3', '\xe2\x82', '\x80')), { maxLength: 2 }), fc.boolean())
  .map(([s1, v, s2, edits, damage]) => {
    let out = Buffer.from(s1 + v + s2);
    if (!damage) return out;
    for (const [at, ins] of edits) {
      const i = at % (out.length + 1);
      const bytes = /^[\x80-\xff]/.test(ins) ? Buffer.from(ins, 'latin1') : Buffer.from(ins);
      out = Buffer.concat([out.subarray(0, i), bytes, out.subarray(ins === '' ? i + 1 : i)]);
    }
    return out;
  });
describe('JsonLineProjector', () => {
  it('projects exactly the wanted keys of every valid JSON line', () => {
    const projector = new JsonLineProjector(KEYS);
    fc.assert(
      fc.property(line, fc.boolean(), (text, around) => {
        const { projected, decoded } = project(projector, text, around);
        const parsed = parseJsonMessage(decoded);
        if (projected === undefined || parsed === NOT_JSON) return;
        const expected: Record<string, unknown> = Object.create(null);
        if (!Array.isArray(parsed)) for (const k of KEYS) if (Object.hasOwn(parsed as object, k)) expected[k] = (parsed as Record<string, unknown>)[k];
        expect(projected).toEqual(expected);
      }),
      { numRuns: 5000 },
    );
  });

  it('never settles "no match" for a line that matches', () => {
    const pattern = compileFilterPattern('{ $.a = 1 || $.status >= 500 || $.é NOT EXISTS || $.missing IS NULL || $.a[0] = "x" }');
    const projector = new JsonLineProjector(pattern.jsonKeyPaths!);
    fc.assert(
      fc.property(line, fc.boolean(), (text, around) => {
        const { projected, decoded } = project(projector, text, around);
        if (projected === undefined) return;
        if (projected === NOT_JSON || !pattern.matches('', projected)) expect(pattern.matches(decoded)).toBe(false);
      }),
      { numRuns: 5000 },
    );
  });

  it('leaves every line to the ordinary path when a wanted key holds U+FFFD or a lone surrogate (bytes cannot tell)', () => {
    const cases: [string, Buffer][] = [
      ["{ $.['\uFFFD'] = 1 }", Buffer.from('{"\xff":1}', 'latin1')], // invalid UTF-8 decodes to U+FFFD: a match
      ["{ $.a['\uD800'] = 1 }", Buffer.from('{"a":{"\uFFFD":1}}')], // EF BF BD, U+FFFD's bytes and a lone surrogate's encoding: no match
      ["{ $.['x\uDC00'] = 1 }", Buffer.from('{"x\uFFFD":1}')],
    ];
    for (const [source, bytes] of cases) {
      const pattern = compileFilterPattern(source);
      const projector = new JsonLineProjector(pattern.jsonKeyPaths!, pattern.jsonAnyOf);
      projector.reset(bytes.toString('latin1'), bytes);
      expect(projector.project(0, bytes.length)).toBeUndefined();
    }
    expect(new JsonLineProjector(['é😀']).project(0, 0)).not.toBeUndefined(); // well-formed keys are compared as bytes
  });

  it('leaves lines with a backslash to the ordinary path', () => {
    const projector = new JsonLineProjector(['a']);
    expect(project(projector, '{"a":"x\\"y"}', false).projected).toBeUndefined();
    expect(project(projector, '{"a":"xy"}', true).projected).toEqual(Object.assign(Object.create(null), { a: 'xy' }));
  });

  it('decodes wanted values from their UTF-8 bytes, ASCII or not, strings and nested values alike', () => {
    const projector = new JsonLineProjector(['a', 'é', 'status']);
    const text = '{"a":"é€😀 x","é":{"k":["ü",1]},"status":"ascii","b":"ü"}';
    expect(project(projector, text, true).projected).toEqual(Object.assign(Object.create(null), { a: 'é€😀 x', é: { k: ['ü', 1] }, status: 'ascii' }));
    expect(project(projector, '{"a":{"x":"plain"},"status":[1,"two"]}', false).projected).toEqual(Object.assign(Object.create(null), { a: { x: 'plain' }, status: [1, 'two'] }));
  });

  describe('nested selectors', () => {
    const SELECTORS = ['$.a', '$.a.b', '$.a.b.id', '$.b.id', '$.b[0]', '$.b[0].id', '$.é.a', "$.['x y'].id", '$.__proto__.a', '$.id.*', '$.a.*.id', '$.c[*]', '$.c.id.a', '$.missing.a', '$.id'];
    const selectorSet = fc.subarray(SELECTORS, { minLength: 1, maxLength: 4 });

    function projectBytes(projector: JsonLineProjector, bytes: Buffer, around: boolean) {
      const before = around ? Buffer.from('{"a":{"b":1}}\n\xff x\n', 'latin1') : Buffer.alloc(0);
      const buf = Buffer.concat([before, bytes, Buffer.from(around ? '\n{"a":"\\\\"}\n' : '')]);
      projector.reset(buf.toString('latin1'), buf);
      const start = before.length;
      const end = start + bytes.length;
      return { projected: projector.project(start, end), decoded: buf.toString('utf8', start, end), start, end };
    }

    // Both ways of projecting: without validating (valid lines exact), and validating as it goes (also NOT_JSON exactly on the lines that are not JSON).
    it.each([false, true])('every selector reaches on the projection what it reaches on the parsed line (validating: %s)', (validate) => {
      fc.assert(
        fc.property(lineBytes, selectorSet, fc.boolean(), (bytes, sources, around) => {
          const selectors = sources.map((s) => compileSelector(s));
          const projector = new JsonLineProjector(
            selectors.map((s) => s.keyPath),
            undefined,
            validate,
          );
          const { projected, decoded } = projectBytes(projector, bytes, around);
          const parsed = parseJsonMessage(decoded);
          if (projected === undefined) {
            expect(decoded).toContain('\\');
            return;
          }
          if (validate) expect({ decoded, notJson: projected === NOT_JSON }).toEqual({ decoded, notJson: parsed === NOT_JSON });
          if (parsed === NOT_JSON) return;
          expect(projected).not.toBe(NOT_JSON);
          for (const s of selectors) expect(s.values(projected)).toEqual(s.values(parsed));
        }),
        { numRuns: 4000 },
      );
    });

    const OPS = ['= 1', '= -0', '= 0.5', '= 100', '= "x"', '!= "x"', '= x*', '= *y*', '= *', '> 0', '<= 1e2', 'IS NULL', 'IS TRUE', 'IS FALSE', 'NOT EXISTS', '= "é"', '= %^[a-z]+$%', '= *y', '= "x y"', '= 1*', '= *e*', '= "true"', '= xy', '= "{"', '= ü€*'];
    const pattern = fc
      .array(fc.tuple(fc.constantFrom(...SELECTORS), fc.constantFrom(...OPS)), { minLength: 1, maxLength: 3 })
      .chain((leaves) => fc.tuple(fc.constant(leaves), fc.array(fc.constantFrom('&&', '||'), { minLength: leaves.length - 1, maxLength: leaves.length - 1 })))
      .map(([leaves, joins]) => `{ ${leaves.map(([s, op], i) => (i === 0 ? '' : ` ${joins[i - 1]} `) + `${s} ${op}`).join('')} }`)
      .filter((source) => source.split('*').length <= 8); // at most 3 wildcard selectors (and their values)

    it.each([false, true])('gives the pattern the answer of the parsed line on valid lines, and never a wrong "no match" (validating: %s)', (validate) => {
      fc.assert(
        fc.property(lineBytes, pattern, fc.boolean(), (bytes, source, around) => {
          let compiled;
          try {
            compiled = compileFilterPattern(source);
          } catch {
            return; // too many wildcard selectors or regexes
          }
          const projector = new JsonLineProjector(compiled.jsonKeyPaths!, undefined, validate);
          const { projected, decoded, start, end } = projectBytes(projector, bytes, around);
          if (projected === undefined) return;
          const truth = compiled.matches(decoded);
          const fast = projected !== NOT_JSON && compiled.matches('', projected);
          if (!fast) expect(truth).toBe(false);
          if (validate || parseJsonMessage(decoded) !== NOT_JSON) expect(fast).toBe(truth);
          // What grep then asks: validated is true exactly on the lines that are JSON (they have no backslash here).
          expect(projector.validated(start, end)).toBe(parseJsonMessage(decoded) !== NOT_JSON);
        }),
        { numRuns: 4000 },
      );
    });

    it('mayMatch: a line without any of the pattern\'s texts (and no backslash) does not match', () => {
      // Several lines in one chunk, looked at in order as grep does: the searches carry over from line to line.
      fc.assert(
        fc.property(fc.array(lineBytes, { minLength: 1, maxLength: 6 }), pattern, (lines, source) => {
          let compiled;
          try {
            compiled = compileFilterPattern(source);
          } catch {
            return;
          }
          const projector = new JsonLineProjector(compiled.jsonKeyPaths!, compiled.jsonAnyOf);
          const buf = Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')]));
          projector.reset(buf.toString('latin1'), buf);
          let start = 0;
          for (const l of lines) {
            const end = start + l.length;
            if (!projector.mayMatch(start, end)) expect(compiled.matches(buf.toString('utf8', start, end))).toBe(false);
            start = end + 1;
          }
        }),
        { numRuns: 4000 },
      );
    });

    it('jsonAnyOf: the texts a match must contain', () => {
      const anyOf = (source: string) => compileFilterPattern(source).jsonAnyOf;
      expect(anyOf('{ $.user.id = "u-42" || $.path = "/v2/*" }')).toEqual(['"u-42"', '"/v2/']);
      expect(anyOf('{ $.a = *.html || $.b = *rr* || $.c IS TRUE || $.d IS NULL }')).toEqual(['.html"', 'rr', 'true', 'null']);
      expect(anyOf('{ $.level = "ERROR" && $.latency_ms > 1000 }')).toEqual(['"ERROR"']);
      expect(anyOf('{ ($.a = x || $.b = y) && $.c = "zzz" && $.d IS FALSE }')).toEqual(['"zzz"']);
      expect(anyOf('{ $.a = "é" }')).toEqual(['"é"']);
      // Nothing to tell: a number could match, or a value that is not a string, or any value.
      for (const source of ['{ $.a = x || $.b != "y" }', '{ $.a = 4* }', '{ $.a = "12" }', '{ $.a = -Infinity }', '{ $.a = "1e+5*" }', '{ $.a = * }', '{ $.a = 5 }', '{ $.a NOT EXISTS }', '{ $.a = %x% }', '{ $.a = "" }', '{ $.a = "\uFFFD" }'])
        expect({ source, anyOf: anyOf(source) }).toEqual({ source, anyOf: undefined });
    });

    it('validating along a path of wanted keys keeps parseJsonMessage\'s depth limit', () => {
      const nested = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
      const projector = new JsonLineProjector([Array.from({ length: 1001 }, () => 'a')], undefined, true);
      for (const n of [1000, 1001]) {
        const buf = Buffer.from(nested(n));
        projector.reset(buf.toString('latin1'), buf);
        expect(projector.project(0, buf.length) === NOT_JSON).toBe(parseJsonMessage(nested(n)) === NOT_JSON);
        expect(projector.validated(0, buf.length)).toBe(n === 1000);
      }
    });

    it('mayMatch: cases', () => {
      const projector = new JsonLineProjector(['a'], ['"u-42"', '.html"']);
      const lines = ['{"a":"xu-42"}', '{"a":"u-42"}', '{"a":"u-420"}', '{"a":"u\\u002d42"}', '{"a":"x.html"}', '{"a":"x.htmlx"}', '{"b":"u-4","a":"2"}', '{"a":"u-42"}'];
      const buf = Buffer.from(lines.join('\n'));
      projector.reset(buf.toString('latin1'), buf);
      let start = 0;
      const got = lines.map((l) => {
        const r = projector.mayMatch(start, start + l.length);
        start += l.length + 1;
        return r;
      });
      expect(got).toEqual([false, true, false, true, true, false, false, true]);
    });

    it('builds only what the selectors read below a passed-through key', () => {
      const projector = new JsonLineProjector(compileFilterPattern('{ $.user.id = "u-42" || $.path = "/v2/*" }').jsonKeyPaths!);
      const obj = (o: object) => Object.assign(Object.create(null), o) as object;
      const line = '{"user":{"name":"n","id":"u-1","tags":[{"id":2}],"id":"u-42"},"path":"/v2/x","msg":{"user":{"id":"u-42"}}}';
      expect(project(projector, line, true).projected).toEqual(obj({ user: obj({ id: 'u-42' }), path: '/v2/x' }));
      // The last duplicate replaces the whole earlier value, as JSON.parse does.
      expect(project(projector, '{"user":{"id":"u-42"},"user":{"name":"n"}}', false).projected).toEqual(obj({ user: obj({}) }));
      // Not an object: nothing below it is reached.
      expect(project(projector, '{"user":["id","u-42"],"path":7}', false).projected).toEqual(obj({ user: null, path: 7 }));
      expect(project(projector, '{"user":{"id":{"id":"u-42"}}}', false).projected).toEqual(obj({ user: obj({ id: { id: 'u-42' } }) }));
      // A selector ending on a key (or indexing below it) takes its whole value, even when another one passes through it.
      const whole = new JsonLineProjector(compileFilterPattern('{ $.user.id = 1 || $.user NOT EXISTS || $.list[0].id = 2 }').jsonKeyPaths!);
      expect(project(whole, '{"user":{"id":1,"x":[2]},"list":[{"id":2,"y":3}]}', false).projected).toEqual(obj({ user: { id: 1, x: [2] }, list: [{ id: 2, y: 3 }] }));
      // Cut short or malformed inside a passed-through object: not JSON.
      expect(project(projector, '{"user":{"id":"u-42"', false).projected).toBe(NOT_JSON);
      expect(project(projector, '{"user":{"id" "u-42"}}', false).projected).toBe(NOT_JSON);
    });
  });

  describe('validated', () => {
    function validated(bytes: Buffer, around: boolean) {
      const before = around ? Buffer.from('{"a":1}\n\xff x\n', 'latin1') : Buffer.alloc(0);
      const buf = Buffer.concat([before, bytes, Buffer.from(around ? '\n{"a":"\\\\"}\n' : '')]);
      const projector = new JsonLineProjector(['a']);
      projector.reset(buf.toString('latin1'), buf);
      return { ok: projector.validated(before.length, before.length + bytes.length), decoded: buf.toString('utf8', before.length, before.length + bytes.length) };
    }
    /** Exactly the backslash-free lines parseJsonMessage accepts. */
    const agrees = (bytes: Buffer, around: boolean) => {
      const { ok, decoded } = validated(bytes, around);
      expect(ok).toBe(!decoded.includes('\\') && parseJsonMessage(decoded) !== NOT_JSON);
    };

    it('accepts exactly the backslash-free lines parseJsonMessage accepts', () => {
      const damaged = line.map((t) => Buffer.from(t));
      fc.assert(fc.property(fc.oneof(damaged, lineBytes), fc.boolean(), (bytes, around) => agrees(bytes, around)), { numRuns: 10000 });
    });

    it('numbers, literals, control characters and whitespace as JSON.parse has them', () => {
      const token = fc.array(fc.constantFrom(...'0123456789-+.eEtruefalsn'), { minLength: 1, maxLength: 7 }).map((c) => c.join(''));
      const inString = fc.array(fc.constantFrom('x', '\t', '\u0000', '\u001f', '\u007f', ' ', '\u2028', '\r', 'é'), { maxLength: 3 }).map((c) => c.join(''));
      const blank = fc.array(fc.constantFrom(' ', '\t', '\r', '\n', '\u000b', '\u000c', '\u00a0', '\ufeff'), { maxLength: 2 }).map((c) => c.join(''));
      fc.assert(
        fc.property(token, inString, blank, blank, fc.boolean(), (t, str, b1, b2, around) => {
          for (const text of [`[${t}]`, `{"a":${t}}`, `${b1}[${b1}${t}${b2},"${str}"${b2}]${b2}`, `{${b1}"${str}"${b2}:${b1}${t}}`]) agrees(Buffer.from(text), around);
        }),
        { numRuns: 5000 },
      );
    });

    it('cases', () => {
      const ok = (text: string | Buffer) => validated(Buffer.isBuffer(text) ? text : Buffer.from(text), false).ok;
      for (const text of ['{}', '[]', ' {"a":[1,-0.5e+3,true,false,null,{"b":"é€😀"}]} ', '{"a":1,"a":2}', '[[],[{}]]', '{"a":"\u007f\u2028"}', '{"a":0}'])
        expect({ text, ok: ok(text) }).toEqual({ text, ok: true });
      for (const text of ['', ' ', '1', '"x"', 'null', '{', '{"a":1', '{"a":1}}', '{"a":1}x', '{} {}', '{"a":1,}', '[1,]', '{,}', '{"a" 1}', '{"a":01}', '{"a":1.}', '{"a":.5}', '{"a":+1}', '{"a":1e}', '{"a":-}', '{"a":tru}', '{"a":nul}', '{"a":True}', '{"a":"x\ty"}', '{"a":"\\n"}', '{a:1}', "{'a':1}", '{"a":1]', '[1}', '\ufeff{}', '{"a":NaN}', '{"a":Infinity}'])
        expect({ text, ok: ok(text) }).toEqual({ text, ok: false });
      // Invalid UTF-8 inside a string is U+FFFD, string content; outside, it is no JSON.
      expect(ok(Buffer.from('{"a":"\xff\xc3"}', 'latin1'))).toBe(true);
      expect(ok(Buffer.from('{"a":1}\xff', 'latin1'))).toBe(false);
      // parseJsonMessage's depth limit.
      expect(ok('['.repeat(1000) + ']'.repeat(1000))).toBe(true);
      expect(ok('['.repeat(1001) + ']'.repeat(1001))).toBe(false);
      expect(parseJsonMessage('['.repeat(1001) + ']'.repeat(1001))).toBe(NOT_JSON);
    });
  });
});

