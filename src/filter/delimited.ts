/**
 * Space-delimited patterns `[a, b=…, ..., c>1]`: the message splits into
 * words at spaces; a `"…"` or `[…]` span is one word (its value without the
 * quotes/brackets). Each pattern entry takes one word: a name with optional
 * conditions (`=`/`!=` strings with wildcards, quoted strings or `%regex%`;
 * `= != < > <= >=` numbers; joined by `&&`/`||`, `&&` binding tighter), an
 * empty entry (an unnamed word), or `...` (any number of words).
 *
 * Decisions where the docs are silent:
 * - Words split at runs of spaces and tabs (tab-separated logs such as
 *   Lambda's are common).
 * - Without `...`, a message with fewer words than entries does not match;
 *   with more, the last entry takes the rest of the line (AWS's
 *   `[w1=ERROR, w2]` example matches seven-word events, so extra words cannot
 *   fail the match; `[w1=ERROR]` therefore compares the whole line).
 * - A condition names its own entry (`[…, code = 4* && bytes > 1000]` is
 *   rejected, as the console does).
 * - A numeric condition on a word that is not a number is false (for `!=`
 *   too), like JSON comparisons on the wrong type.
 * - `[]` (or only whitespace inside) matches every event.
 * - At most 2 regexes a pattern.
 */
import { Cursor } from './cursor.js';
import { compareNumber, compareText, parseNumber, readOperator, readValue, type Operator, type Value, type ValueContext } from './values.js';

type WordTest = (word: string) => boolean;
/** `literal`: a substring of every word the test accepts ('' when there is none). */
type Entry = { readonly kind: 'word'; readonly test: WordTest | undefined; readonly literal?: string } | { readonly kind: 'ellipsis' };

export interface DelimitedPattern {
  readonly test: (message: string) => boolean;
  /**
   * The longest substring every matching message contains (a word is a
   * slice of the message, so a literal every accepted word holds is in the
   * message), or '' when there is none; `test` checks it first.
   */
  readonly required: string;
}

export function parseDelimited(c: Cursor, ctx: ValueContext): DelimitedPattern {
  const match = parseEntries(c, ctx);
  let required = '';
  for (const e of match.entries) if (e.kind === 'word' && e.literal !== undefined && e.literal.length > required.length) required = e.literal;
  const test = match.test;
  // Cheaper than reading words: most non-matching lines lack the literal.
  return { test: required === '' ? test : (message) => message.includes(required) && test(message), required };
}

function parseEntries(c: Cursor, ctx: ValueContext): { test: (message: string) => boolean; entries: readonly Entry[] } {
  const open = c.pos;
  c.pos++;
  c.skipSpace();
  const entries: Entry[] = [];
  if (!c.eat(']')) {
    for (;;) {
      entries.push(parseEntry(c, ctx));
      c.skipSpace();
      if (c.eat(',')) continue;
      if (c.eat(']')) break;
      if (c.eof) c.fail(`missing ']' to close the '[' at column ${c.column(open)}`);
      c.fail(`expected ',' or ']' but found '${c.peek()}'`);
    }
  }
  c.skipSpace();
  if (!c.eof) c.fail('unexpected text after the closing ]');
  if (entries.length === 0) return { test: () => true, entries };
  if (entries.every((e) => e.kind === 'word')) return { test: fixedMatcher(entries as Extract<Entry, { kind: 'word' }>[]), entries };
  return { test: ellipsisMatcher(entries), entries };
}

function parseEntry(c: Cursor, ctx: ValueContext): Entry {
  c.skipSpace();
  if (c.eat('...')) return { kind: 'ellipsis' };
  if (c.peek() === ',' || c.peek() === ']' || c.eof) return { kind: 'word', test: undefined };
  const name = readName(c);
  c.skipSpace();
  if (c.peek() === ',' || c.peek() === ']' || c.eof) return { kind: 'word', test: undefined };
  const first = readCondition(c, ctx);
  const alternatives: WordTest[][] = [[first.test]];
  // Without `||`, every condition holds on the word: the longest literal of one is in it.
  let literal = first.literal;
  for (;;) {
    c.skipSpace();
    if (c.eat('||')) alternatives.push([]);
    else if (!c.eat('&&')) break;
    c.skipSpace();
    const at = c.pos;
    const other = readName(c);
    if (other !== name) c.fail(`a condition in the '${name}' field cannot test '${other}'`, at);
    const cond = readCondition(c, ctx);
    alternatives[alternatives.length - 1]!.push(cond.test);
    if (cond.literal.length > literal.length) literal = cond.literal;
  }
  const test: WordTest = (w) => alternatives.some((all) => all.every((t) => t(w)));
  return { kind: 'word', test, literal: alternatives.length === 1 ? literal : '' };
}

function readName(c: Cursor): string {
  const start = c.pos;
  while (!c.eof && /[A-Za-z0-9_\-.@$:#]/.test(c.peek())) c.pos++;
  if (c.pos === start) c.fail(c.peek() === '' ? 'expected a field name' : `expected a field name, found '${c.peek()}'`);
  return c.src.slice(start, c.pos);
}

function readCondition(c: Cursor, ctx: ValueContext): { test: WordTest; literal: string } {
  c.skipSpace();
  const op = readOperator(c);
  if (!op) c.fail(`expected an operator (=, !=, <, >, <=, >=)${c.eof ? '' : `, found '${c.peek()}'`}`);
  const value = readValue(c, op, ctx);
  // `=` a string (with wildcards): the word contains the value without its stars.
  return { test: (w) => compareWord(op, value, w), literal: op === '=' && value.kind === 'string' ? value.stars.core : '' };
}

function compareWord(op: Operator, value: Value, word: string): boolean {
  if (value.kind === 'number') {
    const n = parseNumber(word);
    return !Number.isNaN(n) && compareNumber(op, n, value.value);
  }
  return compareText(op, value, word);
}

interface Word {
  readonly text: string;
  /** Index of the word's first character (its quote/bracket included) in the message. */
  readonly start: number;
}

function isGap(code: number): boolean {
  return code === 32 || code === 9;
}

/** Splits a message into words; `limit` stops early (the rest stays unsplit). */
function splitWords(message: string, limit = Infinity): Word[] {
  const words: Word[] = [];
  const n = message.length;
  let i = 0;
  while (words.length < limit) {
    while (i < n && isGap(message.charCodeAt(i))) i++;
    if (i >= n) break;
    const start = i;
    const ch = message[i];
    const close = ch === '"' ? '"' : ch === '[' ? ']' : '';
    const end = close ? message.indexOf(close, i + 1) : -1;
    if (end > 0) {
      words.push({ text: message.slice(i + 1, end), start });
      i = end + 1;
      continue;
    }
    while (i < n && !isGap(message.charCodeAt(i))) i++;
    words.push({ text: message.slice(start, i), start });
  }
  return words;
}

function fixedMatcher(entries: readonly { test: WordTest | undefined }[]): (message: string) => boolean {
  const count = entries.length;
  const last = entries[count - 1]!;
  // splitWords(message, count + 1) done lazily: each word is tested as soon as it is read, and
  // the first failing test ends the match (fewer words than entries would fail it too), so a
  // typical non-matching line builds a word or two instead of every word.
  return (message) => {
    const n = message.length;
    let i = 0;
    let wordStart = 0;
    let wordText = '';
    const nextWord = (): boolean => {
      while (i < n && isGap(message.charCodeAt(i))) i++;
      if (i >= n) return false;
      wordStart = i;
      const ch = message.charCodeAt(i);
      const end = ch === 34 ? message.indexOf('"', i + 1) : ch === 91 ? message.indexOf(']', i + 1) : -1;
      if (end > 0) {
        wordText = message.slice(i + 1, end);
        i = end + 1;
        return true;
      }
      while (i < n && !isGap(message.charCodeAt(i))) i++;
      wordText = message.slice(wordStart, i);
      return true;
    };
    for (let k = 0; k < count - 1; k++) {
      if (!nextWord()) return false;
      const test = entries[k]!.test;
      if (test && !test(wordText)) return false;
    }
    if (!nextWord()) return false;
    if (!last.test) return true;
    const lastStart = wordStart;
    const lastText = wordText;
    // One word more than entries: the last entry takes the rest of the line.
    while (i < n && isGap(message.charCodeAt(i))) i++;
    const text = i < n ? message.slice(lastStart).replace(/[ \t]+$/, '') : lastText;
    return last.test(text);
  };
}

/** With `...`: every word is taken by exactly one entry; `...` takes any number. */
function ellipsisMatcher(entries: readonly Entry[]): (message: string) => boolean {
  return (message) => {
    const words = splitWords(message);
    const w = words.length;
    // reach[j]: the entries so far can take exactly the first j words.
    let reach = new Uint8Array(w + 1);
    reach[0] = 1;
    for (const entry of entries) {
      const next = new Uint8Array(w + 1);
      if (entry.kind === 'ellipsis') {
        let on = 0;
        for (let j = 0; j <= w; j++) next[j] = on ||= reach[j]!;
      } else {
        for (let j = 0; j < w; j++) if (reach[j] && (!entry.test || entry.test(words[j]!.text))) next[j + 1] = 1;
      }
      reach = next;
    }
    return reach[w] === 1;
  };
}
