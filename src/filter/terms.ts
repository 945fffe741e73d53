/**
 * Term patterns: whitespace-separated terms, each a case-sensitive substring
 * test. Plain terms are ANDed; `?term`s are ORed and ignored when a plain
 * term is present (AWS docs: `?ERROR ?ARGUMENTS REQUEST` ≡ `REQUEST`);
 * `-term` excludes. Terms can be `"quoted phrases"` and `%regex%`.
 *
 * Decisions where the docs are silent:
 * - Unquoted terms are taken literally up to the next whitespace, whatever
 *   characters they hold (`#Cloud`, `ERR*`: no wildcard in terms — the docs
 *   only define `*` inside JSON and space-delimited values).
 * - A quoted phrase of only whitespace, and `""`, match every event (the docs'
 *   match-everything pattern is `" "`).
 * - An exclusion-only pattern (`-ERROR`) matches the events without the term
 *   (as Lightsail documents for the same syntax); `?` terms next to `-` terms
 *   still count, since there is no plain term to override them.
 * - A `%regex%` may stand alone or be combined like any other term.
 */
import { Cursor, isSpace, readQuoted } from './cursor.js';
import { readRegex } from './regex.js';

export type TextTest = (message: string) => boolean;

export interface TermsPattern {
  readonly test: TextTest;
  /** Substrings every matching message contains (for prefilters such as grep's). */
  readonly required: readonly string[];
  /** True when containing every `required` substring is the whole test. */
  readonly onlyRequired: boolean;
}

export function parseTerms(c: Cursor): TermsPattern {
  const required: TextTest[] = [];
  const optional: TextTest[] = [];
  const excluded: TextTest[] = [];
  const literals: string[] = [];
  for (;;) {
    c.skipSpace();
    if (c.eof) break;
    let list = required;
    if (c.peek() === '?' && c.peek(1) !== '' && !isSpace(c.src.charCodeAt(c.pos + 1))) {
      c.pos++;
      list = optional;
    } else if (c.peek() === '-' && c.peek(1) !== '' && !isSpace(c.src.charCodeAt(c.pos + 1))) {
      c.pos++;
      list = excluded;
    }
    let test: TextTest;
    if (c.peek() === '"') {
      const phrase = readQuoted(c);
      if (phrase.trim() === '') test = () => true;
      else {
        test = (m) => m.includes(phrase);
        if (list === required) literals.push(phrase);
      }
    } else if (c.peek() === '%') {
      const regex = readRegex(c);
      test = (m) => regex.test(m);
    } else {
      const start = c.pos;
      while (!c.eof && !isSpace(c.src.charCodeAt(c.pos))) c.pos++;
      const term = c.src.slice(start, c.pos);
      test = (m) => m.includes(term);
      if (list === required) literals.push(term);
    }
    list.push(test);
  }
  const test = combine(required, optional, excluded);
  const onlyRequired = literals.length === required.length && excluded.length === 0 && (optional.length === 0 || required.length > 0);
  return { test, required: literals, onlyRequired };
}

function combine(required: TextTest[], optional: TextTest[], excluded: TextTest[]): TextTest {
  const any = required.length === 0 && optional.length > 0 ? optional : [];
  if (required.length === 1 && any.length === 0 && excluded.length === 0) return required[0]!;
  // The common small shapes as direct calls (same short-circuit order as the general loop).
  if (required.length === 0 && excluded.length === 0 && any.length === 2) {
    const [a, b] = any as [TextTest, TextTest];
    return (m) => a(m) || b(m);
  }
  if (required.length === 1 && excluded.length === 1) {
    const [r] = required as [TextTest];
    const [x] = excluded as [TextTest];
    return (m) => r(m) && !x(m);
  }
  return (m) => {
    for (const t of required) if (!t(m)) return false;
    if (any.length > 0 && !any.some((t) => t(m))) return false;
    for (const t of excluded) if (t(m)) return false;
    return true;
  };
}
