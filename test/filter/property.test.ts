// Property tests: for random messages, random patterns (and their `-`/`?`
// and JSON-operator variants) give the same answer as a plain reference
// evaluation written here from the AWS docs' rules, independent of the
// parser's code.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileFilterPattern } from '../../src/filter/index.js';

const WORDS = ['ERROR', 'WARN', 'INFO', 'timeout', 'db', 'ERRORS', 'req-1', '500', '404'];

describe('term patterns', () => {
  const message = fc.array(fc.constantFrom(...WORDS, ' ', ':', '[', ']'), { maxLength: 12 }).map((p) => p.join(' '));
  const term = fc.record({ prefix: fc.constantFrom('', '?', '-'), word: fc.constantFrom(...WORDS, 'ERROR WARN', 'db:'), quoted: fc.boolean() });

  it('AND of terms, ? terms ignored next to plain ones, - excludes', () => {
    fc.assert(
      fc.property(fc.array(term, { maxLength: 5 }), message, (terms, msg) => {
        // Words with a space or ':' go in quotes, as the docs require.
        const source = terms.map((t) => t.prefix + (t.quoted || /[ :]/.test(t.word) ? `"${t.word}"` : t.word)).join(' ');
        const plain = terms.filter((t) => t.prefix === '').map((t) => t.word);
        const optional = terms.filter((t) => t.prefix === '?').map((t) => t.word);
        const excluded = terms.filter((t) => t.prefix === '-').map((t) => t.word);
        const expected =
          plain.every((w) => msg.includes(w)) &&
          (plain.length > 0 || optional.length === 0 || optional.some((w) => msg.includes(w))) &&
          !excluded.some((w) => msg.includes(w));
        expect(compileFilterPattern(source).matches(msg)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('JSON patterns', () => {
  type Doc = Record<string, unknown>;
  const scalar = fc.oneof(fc.constantFrom(...WORDS), fc.integer({ min: -5, max: 600 }), fc.constantFrom(true, false, null), fc.constant([1, 'ERROR']), fc.constant({ a: 1 }));
  const doc: fc.Arbitrary<Doc> = fc.record(
    { level: scalar, status: scalar, latency: fc.double({ min: -10, max: 2000, noNaN: true }), tags: fc.array(fc.constantFrom(...WORDS), { maxLength: 3 }), user: fc.record({ id: scalar }, { requiredKeys: [] }) },
    { requiredKeys: [] },
  );
  const selectors = ['$.level', '$.status', '$.latency', '$.user.id', '$.tags[0]', '$.tags[*]', '$.missing'] as const;

  // The reference: what the selector reaches, and each comparison per the docs.
  function reach(d: Doc, sel: string): unknown[] {
    const get = (o: unknown, k: string): unknown[] => (o !== null && typeof o === 'object' && !Array.isArray(o) && Object.hasOwn(o, k) ? [(o as Doc)[k]] : []);
    switch (sel) {
      case '$.user.id':
        return get(d, 'user').flatMap((u) => get(u, 'id'));
      case '$.tags[0]':
        return get(d, 'tags').flatMap((t) => (Array.isArray(t) && t.length > 0 ? [t[0]] : []));
      case '$.tags[*]':
        return get(d, 'tags').flatMap((t) => (Array.isArray(t) ? t : []));
      default:
        return get(d, sel.slice(2));
    }
  }

  interface Leaf {
    source: string;
    test(d: Doc): boolean;
  }
  const number = fc.integer({ min: -5, max: 600 });
  const leaf: fc.Arbitrary<Leaf> = fc.oneof(
    fc.tuple(fc.constantFrom(...selectors), fc.constantFrom('=', '!=', '<', '>', '<=', '>='), number).map(([sel, op, n]) => ({
      source: `${sel} ${op} ${n}`,
      test: (d: Doc) =>
        reach(d, sel).some((v) => {
          if (typeof v !== 'number') return false;
          return op === '=' ? v === n : op === '!=' ? v !== n : op === '<' ? v < n : op === '>' ? v > n : op === '<=' ? v <= n : v >= n;
        }),
    })),
    fc.tuple(fc.constantFrom(...selectors), fc.constantFrom('=', '!='), fc.constantFrom(...WORDS), fc.constantFrom('', 'prefix', 'suffix', 'quoted')).map(([sel, op, w, style]) => {
      const value = style === 'prefix' ? `${w.slice(0, 2)}*` : style === 'suffix' ? `*${w.slice(-2)}` : style === 'quoted' ? `"${w}"` : /^[\w]+$/.test(w) && !/^\d+$/.test(w) ? w : `"${w}"`;
      const hit = (s: string) => (style === 'prefix' ? s.startsWith(w.slice(0, 2)) : style === 'suffix' ? s.endsWith(w.slice(-2)) : s === w);
      return {
        source: `${sel} ${op} ${value}`,
        test: (d: Doc) => reach(d, sel).some((v) => (typeof v === 'string' || typeof v === 'number') && (op === '=' ? hit(String(v)) : !hit(String(v)))),
      };
    }),
    fc.tuple(fc.constantFrom(...selectors), fc.constantFrom('IS NULL', 'IS TRUE', 'IS FALSE', 'NOT EXISTS')).map(([sel, kw]) => ({
      source: `${sel} ${kw}`,
      test: (d: Doc) => {
        const vs = reach(d, sel);
        return kw === 'NOT EXISTS' ? vs.length === 0 : vs.some((v) => v === (kw === 'IS NULL' ? null : kw === 'IS TRUE'));
      },
    })),
  );
  const expr: fc.Arbitrary<Leaf> = fc.letrec<{ e: Leaf }>((tie) => ({
    e: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.tuple(tie('e'), fc.constantFrom('&&', '||'), tie('e')).map(([a, op, b]) => ({
        source: `(${a.source}) ${op} (${b.source})`,
        test: (d: Doc) => (op === '&&' ? a.test(d) && b.test(d) : a.test(d) || b.test(d)),
      })),
    ),
  })).e;

  // CloudWatch allows three wildcard selectors a pattern (beyond: an error, tested elsewhere).
  const withinLimits = (source: string) => (source.match(/\[\*\]/g) ?? []).length <= 3;

  it('comparisons, wildcards, IS/NOT EXISTS and && || ( ) agree with the reference', () => {
    fc.assert(
      fc.property(expr, doc, (e, d) => {
        fc.pre(withinLimits(e.source));
        const pattern = compileFilterPattern(`{ ${e.source} }`);
        expect(pattern.matches(JSON.stringify(d))).toBe(e.test(d));
      }),
      { numRuns: 2000 },
    );
  });

  it('&& binds tighter than || without parentheses', () => {
    fc.assert(
      fc.property(leaf, leaf, leaf, doc, (a, b, c, d) => {
        const pattern = compileFilterPattern(`{ ${a.source} || ${b.source} && ${c.source} }`);
        expect(pattern.matches(JSON.stringify(d))).toBe(a.test(d) || (b.test(d) && c.test(d)));
      }),
      { numRuns: 1000 },
    );
  });

  it('never matches a message that is not JSON', () => {
    fc.assert(
      fc.property(expr, fc.string(), (e, text) => {
        fc.pre(!/^\s*[[{]/.test(text) && withinLimits(e.source));
        expect(compileFilterPattern(`{ ${e.source} }`).matches(text)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});

describe('space-delimited patterns', () => {
  const word = fc.constantFrom('a', 'b', '10', '200', '404', 'GET');
  it('fields, ..., and = != > < conditions agree with the reference', () => {
    const field = fc.oneof(
      fc.constant({ source: 'f', test: (_: string) => true }),
      fc.tuple(fc.constantFrom('=', '!='), word).map(([op, w]) => {
        const numeric = /^\d+$/.test(w);
        return {
          source: `f ${op} ${w}`,
          test: (s: string) => {
            if (numeric) return /^\d+$/.test(s) && (op === '=' ? Number(s) === Number(w) : Number(s) !== Number(w));
            return op === '=' ? s === w : s !== w;
          },
        };
      }),
      fc.tuple(fc.constantFrom('>', '<'), fc.integer({ min: 0, max: 500 })).map(([op, n]) => ({
        source: `f ${op} ${n}`,
        test: (s: string) => /^\d+$/.test(s) && (op === '>' ? Number(s) > n : Number(s) < n),
      })),
    );
    fc.assert(
      fc.property(fc.array(field, { minLength: 1, maxLength: 4 }), fc.constantFrom('none', 'lead', 'tail'), fc.array(word, { maxLength: 7 }), (fields, ellipsis, words) => {
        const names = fields.map((f, i) => f.source.replace(/^f/, `f${i}`));
        const source = `[${ellipsis === 'lead' ? '..., ' : ''}${names.join(', ')}${ellipsis === 'tail' ? ', ...' : ''}]`;
        const n = fields.length;
        let expected: boolean;
        if (words.length < n) expected = false;
        else if (ellipsis === 'lead') expected = fields.every((f, i) => f.test(words[words.length - n + i]!));
        else if (ellipsis === 'tail') expected = fields.every((f, i) => f.test(words[i]!));
        // No `...`: the last field takes the rest of the line.
        else expected = fields.every((f, i) => f.test(i < n - 1 ? words[i]! : words.slice(n - 1).join(' ')));
        expect(compileFilterPattern(source).matches(words.join(' '))).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });
});
