// The JSON fast path of `tailwatch grep` against parseJsonMessage on the
// decoded line: on a valid JSON line the projection holds exactly the wanted
// keys' values; on any line, a pattern that does not match the projection
// does not match the decoded line either (positives are confirmed by grep).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileFilterPattern, JsonLineProjector, NOT_JSON, parseJsonMessage } from '../../src/filter/index.js';

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
    const projector = new JsonLineProjector(pattern.jsonTopKeys!);
    fc.assert(
      fc.property(line, fc.boolean(), (text, around) => {
        const { projected, decoded } = project(projector, text, around);
        if (projected === undefined) return;
        if (projected === NOT_JSON || !pattern.matches('', projected)) expect(pattern.matches(decoded)).toBe(false);
      }),
      { numRuns: 5000 },
    );
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
});
