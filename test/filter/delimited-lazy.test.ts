// Space-delimited patterns without `...` read words lazily (delimited.ts:
// fixedMatcher stops at the first failing entry). Differential test against
// the plain definition — split the whole message into words first (quoted
// "…" and […] spans are one word), fewer words than entries is no match, the
// last entry takes the rest of the line — on messages with quotes, brackets,
// tabs, runs of blanks, trailing blanks and unclosed quotes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Cursor } from '../../src/filter/cursor.js';
import { parseDelimited } from '../../src/filter/delimited.js';
import { compileFilterPattern } from '../../src/filter/index.js';

interface Word {
  text: string;
  start: number;
}

function splitWords(message: string, limit: number): Word[] {
  const words: Word[] = [];
  let i = 0;
  const gap = (c: string | undefined) => c === ' ' || c === '\t';
  while (words.length < limit) {
    while (i < message.length && gap(message[i])) i++;
    if (i >= message.length) break;
    const start = i;
    const close = message[i] === '"' ? '"' : message[i] === '[' ? ']' : '';
    const end = close ? message.indexOf(close, i + 1) : -1;
    if (end > 0) {
      words.push({ text: message.slice(i + 1, end), start });
      i = end + 1;
      continue;
    }
    while (i < message.length && !gap(message[i])) i++;
    words.push({ text: message.slice(start, i), start });
  }
  return words;
}

const NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

const entry = fc.oneof(
  fc.constant({ source: (n: string) => n, test: undefined as ((s: string) => boolean) | undefined }),
  fc.constantFrom('a', 'b', 'x y', 'GET').map((w) => ({ source: (n: string) => `${n} = "${w}"`, test: (s: string) => s === w })),
  fc.constantFrom('a', 'GET').map((w) => ({ source: (n: string) => `${n} != ${w}`, test: (s: string) => s !== w })),
  fc.constantFrom('b', 'y').map((w) => ({ source: (n: string) => `${n} = *${w}*`, test: (s: string) => s.includes(w) })),
  fc.integer({ min: 0, max: 9 }).map((k) => ({ source: (n: string) => `${n} > ${k}`, test: (s: string) => NUMBER.test(s) && Number(s) > k })),
);
const piece = fc.constantFrom('a', 'b', 'GET', '7', '12', '"x y"', '[a b]', '"open', '[open', ']', '"', ' ', '  ', '\t', 'xy', '-1.5e1');

describe('space-delimited patterns read lazily', () => {
  it('match exactly when the words split up front match', () => {
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 5 }), fc.array(piece, { maxLength: 12 }), fc.constantFrom('', ' ', '\t', ' \t '), (entries, pieces, tail) => {
        const message = pieces.join(pieces.length % 2 ? ' ' : '') + tail;
        const source = `[${entries.map((e, i) => e.source(`f${i}`)).join(', ')}]`;
        const n = entries.length;
        const words = splitWords(message, n + 1);
        let expected: boolean;
        if (words.length < n) expected = false;
        else {
          expected = entries.slice(0, n - 1).every((e, i) => !e.test || e.test(words[i]!.text));
          const last = entries[n - 1]!;
          if (expected && last.test) {
            const lastWord = words[n - 1]!;
            expected = last.test(words.length > n ? message.slice(lastWord.start).replace(/[ \t]+$/, '') : lastWord.text);
          }
        }
        expect(compileFilterPattern(source).matches(message)).toBe(expected);
      }),
      { numRuns: 5000 },
    );
  });
});

describe('space-delimited literal prefilter', () => {
  const required = (source: string) => parseDelimited(new Cursor(source), { stop: ',]&|', onRegex: () => {} }).required;

  it('requires the longest literal of an `=` string condition, never one under `||`, `!=`, a number or a regex', () => {
    expect(required('[ip, user, username, timestamp, request = "*checkout*", status_code = 5*, bytes, latency]')).toBe('checkout');
    expect(required('[a = GET, b = "*x y*"]')).toBe('GET');
    expect(required('[a = *, b]')).toBe('');
    expect(required('[a = **x**]')).toBe('*x*');
    expect(required('[a != GET, b = 404, c = %GET%, d > 1]')).toBe('');
    expect(required('[a = GET || a = PUT]')).toBe('');
    expect(required('[a = *GE* && a = GET*]')).toBe('GET');
    expect(required('[..., a = "POST"]')).toBe('POST');
  });

  it('does not change what matches', () => {
    const p = compileFilterPattern('[ip, user, request = "*checkout*", status = 5*]');
    expect(p.matches('1.2.3.4 - "GET /checkout/pay HTTP/1.1" 503')).toBe(true);
    expect(p.matches('1.2.3.4 - "GET /cart HTTP/1.1" 503 checkout')).toBe(false);
    expect(p.matches('1.2.3.4 - "GET /cart HTTP/1.1" 503')).toBe(false);
  });
});
