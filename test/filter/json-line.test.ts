// The byte-level JSON fast path of `tailwatch grep` against parseJsonMessage
// on the decoded line: wherever the line is valid JSON, the projection holds
// exactly the wanted keys' values; and a pattern settled "no match" from the
// projection never matches the decoded line.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileFilterPattern, lineKeys, NOT_JSON, parseJsonMessage, projectJsonLine } from '../../src/filter/index.js';

const KEYS = ['a', 'status', 'é', '__proto__', 'x y', 'missing'];

/** Lines: JSON objects/arrays, then damaged by cutting, inserting structural or odd bytes. */
const line = fc
  .tuple(
    fc.oneof(
      fc.dictionary(fc.constantFrom(...KEYS, 'b', 'c'), fc.jsonValue({ maxDepth: 3 })).map((o) => JSON.stringify(o)),
      fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }).map((a) => JSON.stringify(a)),
      fc.constantFrom('{"a":1,"a":2}', '{ "status" : 500 }\t', '{"a":"x\ty"}', '{"a":01}', '{"a":1.}', '{"a":-}', '{"a":tru}', '{"a":1}x', '[1,]', '{,}', '{"a" 1}', ' {"a":[{"b":[]}]} '),
    ),
    fc.array(fc.tuple(fc.nat(), fc.constantFrom('', '"', '{', '}', ',', ':', ' ', '\t', '\u00e9', '\uFFFD', 'x', '1', '\u0001')), { maxLength: 2 }),
  )
  .map(([text, edits]) => {
    let out = text;
    for (const [at, ins] of edits) {
      const i = at % (out.length + 1);
      out = ins === '' ? out.slice(0, i) + out.slice(i + 1) : out.slice(0, i) + ins + out.slice(i);
    }
    return out;
  });

describe('projectJsonLine', () => {
  const keys = lineKeys(KEYS);

  it('projects exactly the wanted keys of every valid JSON line', () => {
    fc.assert(
      fc.property(line, fc.boolean(), (text, invalidBytes) => {
        const buf = Buffer.concat([Buffer.from('>>'), invalidBytes ? Buffer.from([0xff]) : Buffer.alloc(0), Buffer.from(text), Buffer.from('<<')]);
        const start = 2;
        const end = buf.length - 2;
        const projected = projectJsonLine(buf, start, end, keys);
        const parsed = parseJsonMessage(buf.toString('utf8', start, end));
        if (projected === undefined || parsed === NOT_JSON) return; // ordinary path, or a positive that grep confirms
        expect(projected).not.toBe(NOT_JSON);
        const expected: Record<string, unknown> = Object.create(null);
        if (!Array.isArray(parsed)) for (const k of KEYS) if (Object.hasOwn(parsed as object, k)) expected[k] = (parsed as Record<string, unknown>)[k];
        expect(projected).toEqual(expected);
      }),
      { numRuns: 5000 },
    );
  });

  it('returns undefined for lines with a backslash', () => {
    const buf = Buffer.from('{"a":"x\\"y"}');
    expect(projectJsonLine(buf, 0, buf.length, keys)).toBeUndefined();
  });

  it('rejects nesting deeper than the limit', () => {
    const buf = Buffer.from(`{"a":${'['.repeat(1000)}${']'.repeat(1000)}}`);
    expect(projectJsonLine(buf, 0, buf.length, keys)).toBe(NOT_JSON);
    expect(parseJsonMessage(buf.toString())).toBe(NOT_JSON);
  });

  it('a pattern settled as no match from the projection does not match the decoded line', () => {
    const pattern = compileFilterPattern('{ $.a = 1 || $.status >= 500 || $.é NOT EXISTS || $.missing IS NULL }');
    const patternKeys = lineKeys(pattern.jsonTopKeys!);
    fc.assert(
      fc.property(line, (text) => {
        const buf = Buffer.from(text);
        const projected = projectJsonLine(buf, 0, buf.length, patternKeys);
        if (projected === undefined) return;
        const settledNo = projected === NOT_JSON || !pattern.matches('', projected);
        if (settledNo) expect(pattern.matches(buf.toString('utf8'))).toBe(false);
      }),
      { numRuns: 5000 },
    );
  });
});
