/**
 * CloudWatch's regex subset (`%…%`): parsed and validated here, then run by a
 * linear-time engine so no log line can make matching blow up.
 *
 * Accepted (AWS "Supported regular expressions syntax"): letters, digits,
 * space, `: _ # = @ / ; , -`, the operators `^ $ ? [ ] { } | \ * + .`,
 * escapes `\d \D \s \S \w \W \xhh` and `\` before any allowed symbol.
 * Rejected with the column: `(` `)` (no groups: use `\x28` `\x29`), any other
 * symbol, multi-byte characters, counts above 1000 (RE2's limit), nested
 * quantifiers (`a**`; `a*?` is a lazy quantifier and matches the same lines).
 * The space is not in AWS's list but its own example `%^shutting down%` has
 * one, so it is accepted.
 *
 * Semantics are RE2's (what a linear-time service engine does): unanchored
 * search, case-sensitive, `.` is any character but `\n`, `\s` is
 * `[\t\n\f\r ]`, `^`/`$` anchor at the start/end of the text only.
 *
 * Engines. Without groups a regex is alternatives of quantified single
 * characters and anchors, and every one of them runs in time linear in the
 * text:
 * - First, what an unanchored search cannot tell apart is dropped: a
 *   repetition at the unanchored start or end of an alternative matches the
 *   same lines with its minimum count (`\d+ms` finds a line iff `\dms` does;
 *   `.*ERROR.*` iff `ERROR`).
 * - An alternative whose every count is bounded and whose backtracking tree
 *   is small (at most V8_MAX_COST character steps from any start position:
 *   the product of the choices times the length) runs on V8's backtracking
 *   RegExp: fast, and at most V8_MAX_COST steps a character by construction.
 * - Everything else (`a\w*=`, `\d{1,3}\.\d{1,3}…`, counts up to 1000) runs
 *   on the counting NFA in counting-nfa.ts: O(text length × pattern pieces),
 *   no backtracking. A backtracking engine is quadratic there (`a*b` was 13 s
 *   on one 256 KiB line: V8 steps back through a greedy loop without counting
 *   backtracks, so `--enable-experimental-regexp-engine-on-excessive-backtracks`
 *   never fires), and V8's own linear engine (the `l` flag) refuses counts
 *   above 16 and is 2.5–100× slower than that NFA on log lines (bench/README.md).
 */
import { compileNfa, type CharSet } from './counting-nfa.js';
import { Cursor } from './cursor.js';

export interface CompiledRegex {
  /** The regex as written between the `%` signs. */
  readonly source: string;
  /** Which engine runs it (see the top of this file). */
  readonly engine: 'v8' | 'nfa';
  test(text: string): boolean;
}

/** RE2 rejects counted repetition above 1000; so do we. */
const MAX_COUNT = 1000;
/**
 * Most character steps V8's backtracking may take from one start position
 * (the product of an alternative's choices times its length, summed over
 * the alternatives) for a regex to run on V8 rather than on the NFA.
 */
export const V8_MAX_COST = 64;

export type Item =
  | { readonly kind: 'set'; readonly set: CharSet; readonly min: number; readonly max: number; readonly js: string }
  | { readonly kind: 'bol' }
  | { readonly kind: 'eol' };

const SYMBOLS = new Set([...':_#=@/;,- ']);
const OPERATORS = new Set([...'^$?[]{}|\\*+.']);

/** Parses `%…%` at the cursor (on the opening `%`). */
export function readRegex(c: Cursor): CompiledRegex {
  const open = c.pos;
  c.pos++;
  const start = c.pos;
  const end = c.src.indexOf('%', start);
  if (end < 0) c.fail("unterminated regex: missing the closing '%'", open);
  const source = c.src.slice(start, end);
  if (source.length === 0) c.fail('empty regex', open);
  const alternatives = parseRegex(source, c.base + start);
  c.pos = end + 1;
  return compile(source, alternatives);
}

export type RegexEngine = 'auto' | 'v8' | 'nfa';

/**
 * Parses a regex body (no `%`). `engine` exists for tests that check the two
 * engines agree: 'v8' and 'nfa' run the regex as written on that engine
 * (V8's backtracking is not linear for every regex: short texts only);
 * everything else uses 'auto' (the ends trimmed, then the engine chosen).
 */
export function compileRegexBody(source: string, engine: RegexEngine = 'auto'): CompiledRegex {
  return compile(source, parseRegex(source, 0), engine);
}

function parseRegex(source: string, base: number): Item[][] {
  const c = new Cursor(source, base);
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!;
    const code = ch.charCodeAt(0);
    if (code > 127) c.fail(`multi-byte character '${ch}' is not supported in a regex`, i);
    if (ch === '(' || ch === ')') c.fail(`'${ch}' is not supported in a regex (no groups; write \\x${code.toString(16)} for the character)`, i);
    if (!isAlnum(code) && !SYMBOLS.has(ch) && !OPERATORS.has(ch)) c.fail(`character '${ch}' is not allowed in a regex`, i);
  }
  const alternatives: Item[][] = [[]];
  while (!c.eof) {
    const ch = c.peek();
    const at = c.pos;
    const current = alternatives[alternatives.length - 1]!;
    if (ch === '|') {
      c.pos++;
      alternatives.push([]);
      continue;
    }
    if (ch === '^' || ch === '$') {
      c.pos++;
      current.push({ kind: ch === '^' ? 'bol' : 'eol' });
      if (isQuantifierStart(c)) c.fail(`nothing to repeat before '${c.peek()}'`);
      continue;
    }
    if (ch === '*' || ch === '+' || ch === '?') c.fail(`nothing to repeat before '${ch}'`, at);
    const atom = readAtom(c);
    const [min, max] = readQuantifier(c);
    const quantified = min !== 1 || max !== 1 || c.src[c.pos - 1] === '}';
    if (quantified && c.peek() === '?') c.pos++; // lazy: the same lines match
    if (isQuantifierStart(c)) c.fail('nested quantifier');
    current.push({ kind: 'set', set: atom.set, min, max, js: atom.js });
  }
  return alternatives;
}

function isQuantifierStart(c: Cursor): boolean {
  const ch = c.peek();
  return ch === '*' || ch === '+' || ch === '?' || (ch === '{' && countAt(c) !== undefined);
}

/** `{m}`, `{m,}`, `{m,n}` at the cursor, else undefined (a `{` that starts no count is a literal, as in RE2). */
function countAt(c: Cursor): { min: number; max: number; length: number } | undefined {
  const m = /^\{(\d+)(,(\d*))?\}/.exec(c.src.slice(c.pos, c.pos + 16));
  if (!m) return undefined;
  const min = Number(m[1]);
  const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
  return { min, max, length: m[0].length };
}

function readQuantifier(c: Cursor): [number, number] {
  const ch = c.peek();
  if (ch === '*') return c.pos++, [0, Infinity];
  if (ch === '+') return c.pos++, [1, Infinity];
  if (ch === '?') return c.pos++, [0, 1];
  const count = ch === '{' ? countAt(c) : undefined;
  if (!count) return [1, 1];
  if (count.min > MAX_COUNT || (count.max !== Infinity && count.max > MAX_COUNT)) c.fail(`repeat count above ${MAX_COUNT}`);
  if (count.max < count.min) c.fail(`bad repeat count: ${count.min} is more than ${count.max}`);
  c.pos += count.length;
  return [count.min, count.max];
}

interface Atom {
  readonly set: CharSet;
  /** The same set as a JS regex piece (no `u` flag). */
  readonly js: string;
}

function readAtom(c: Cursor): Atom {
  const ch = c.peek();
  if (ch === '.') {
    c.pos++;
    return { set: negate(charSet([10])), js: '[^\\n]' };
  }
  if (ch === '[') return readClass(c);
  if (ch === '\\') {
    const esc = readEscape(c, false);
    return { set: esc.set, js: esc.js };
  }
  if (ch === ']' || ch === '}') {
    c.pos++;
    return literal(ch.charCodeAt(0));
  }
  c.pos++;
  return literal(ch.charCodeAt(0));
}

function literal(code: number): Atom {
  return { set: charSet([code]), js: jsChar(code) };
}

const DIGIT = rangeCodes(48, 57);
const WORD = [...DIGIT, ...rangeCodes(65, 90), ...rangeCodes(97, 122), 95];
const SPACE = [9, 10, 12, 13, 32];

function readEscape(c: Cursor, inClass: boolean): { set: CharSet; js: string; code?: number } {
  const at = c.pos;
  c.pos++;
  const ch = c.peek();
  if (ch === '') c.fail('regex ends with a lone backslash', at);
  c.pos++;
  switch (ch) {
    case 'd':
      return { set: charSet(DIGIT), js: '[0-9]' };
    case 'D':
      return { set: negate(charSet(DIGIT)), js: '[^0-9]' };
    case 'w':
      return { set: charSet(WORD), js: '[0-9A-Za-z_]' };
    case 'W':
      return { set: negate(charSet(WORD)), js: '[^0-9A-Za-z_]' };
    case 's':
      return { set: charSet(SPACE), js: '[\\t\\n\\f\\r ]' };
    case 'S':
      return { set: negate(charSet(SPACE)), js: '[^\\t\\n\\f\\r ]' };
    case 'x': {
      const hex = c.src.slice(c.pos, c.pos + 2);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) c.fail('\\x needs two hex digits', at);
      c.pos += 2;
      const code = parseInt(hex, 16);
      return { set: charSet([code]), js: jsChar(code), code };
    }
  }
  if (isAlnum(ch.charCodeAt(0))) c.fail(`unsupported escape '\\${ch}'${inClass ? ' in a character class' : ''}`, at);
  const code = ch.charCodeAt(0);
  return { set: charSet([code]), js: jsChar(code), code };
}

function readClass(c: Cursor): Atom {
  const open = c.pos;
  c.pos++;
  const negated = c.eat('^');
  const codes: number[] = [];
  let nonAscii = false;
  let first = true;
  for (;;) {
    if (c.eof) c.fail("unterminated character class: missing ']'", open);
    const at = c.pos;
    if (c.peek() === ']') {
      if (first) c.fail("empty character class (write '\\]' for a ']')", at);
      c.pos++;
      break;
    }
    first = false;
    let lo: number | undefined;
    if (c.peek() === '\\') {
      const esc = readEscape(c, true);
      if (esc.code === undefined) {
        for (let i = 0; i < 128; i++) if (esc.set.ascii[i]) codes.push(i);
        nonAscii ||= esc.set.nonAscii;
        continue;
      }
      lo = esc.code;
    } else {
      lo = c.peek().charCodeAt(0);
      c.pos++;
    }
    if (c.peek() === '-' && c.peek(1) !== ']' && c.peek(1) !== '') {
      c.pos++;
      let hi: number;
      if (c.peek() === '\\') {
        const esc = readEscape(c, true);
        if (esc.code === undefined) c.fail('a range cannot end in a class escape', at);
        hi = esc.code;
      } else {
        hi = c.peek().charCodeAt(0);
        c.pos++;
      }
      if (hi < lo) c.fail(`bad character range ${String.fromCharCode(lo)}-${String.fromCharCode(hi)}`, at);
      codes.push(...rangeCodes(lo, hi));
    } else {
      codes.push(lo);
    }
  }
  let set: CharSet = { ascii: charSet(codes).ascii, nonAscii };
  if (negated) set = negate(set);
  return { set, js: setToJs(set) };
}

function setToJs(set: CharSet): string {
  // Written out from the table so that the JS class means exactly the table.
  const parts: string[] = [];
  const include = !set.nonAscii;
  // include: list the ASCII members; else list the ASCII non-members in a negated class.
  for (let i = 0; i < 128; ) {
    if (Boolean(set.ascii[i]) !== include) {
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < 128 && Boolean(set.ascii[j + 1]) === include) j++;
    parts.push(j === i ? jsChar(i) : `${jsChar(i)}-${jsChar(j)}`);
    i = j + 1;
  }
  if (include) return parts.length === 0 ? '[^\\s\\S]' : `[${parts.join('')}]`;
  return parts.length === 0 ? '[\\s\\S]' : `[^${parts.join('')}]`;
}

function jsChar(code: number): string {
  return `\\x${code.toString(16).padStart(2, '0')}`;
}

function charSet(codes: readonly number[]): CharSet {
  const ascii = new Uint8Array(128);
  for (const code of codes) if (code < 128) ascii[code] = 1;
  return { ascii, nonAscii: false };
}

function negate(set: CharSet): CharSet {
  const ascii = new Uint8Array(128);
  for (let i = 0; i < 128; i++) ascii[i] = set.ascii[i] ? 0 : 1;
  return { ascii, nonAscii: !set.nonAscii };
}

function rangeCodes(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let i = lo; i <= hi; i++) out.push(i);
  return out;
}

function isAlnum(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

function compile(source: string, parsed: Item[][], engine: RegexEngine = 'auto'): CompiledRegex {
  const alternatives = engine === 'auto' ? parsed.map(trimUnanchoredEnds) : parsed;
  if (engine === 'v8' || (engine === 'auto' && backtrackCost(alternatives) <= V8_MAX_COST)) {
    const re = new RegExp(alternatives.map((alt) => alt.map(itemToJs).join('')).join('|'));
    return { source, engine: 'v8', test: (text) => re.test(text) };
  }
  return { source, engine: 'nfa', test: compileNfa(alternatives) };
}

/**
 * An unanchored search finds `X{m,n}R` in a text iff it finds `X{m}R`: a
 * match of the first holds the second at the last m of its X's (and `^`, `$`
 * inside R test the same positions). So a repetition at the start of an
 * alternative not anchored there keeps its minimum count, and one with
 * minimum 0 goes, making the next item the start; the same at the end. What
 * is left is shorter and, mostly, bounded: `\d+ms` is `\dms`, `a*a*a*b` is
 * `b`, `ERROR.*` is `ERROR`.
 */
export function trimUnanchoredEnds(alt: readonly Item[]): Item[] {
  const items = [...alt];
  while (items.length > 0) {
    const first = items[0]!;
    if (first.kind !== 'set' || first.min === first.max) break;
    if (first.min > 0) {
      items[0] = { ...first, max: first.min };
      break;
    }
    items.shift();
  }
  while (items.length > 0) {
    const last = items[items.length - 1]!;
    if (last.kind !== 'set' || last.min === last.max) break;
    if (last.min > 0) {
      items[items.length - 1] = { ...last, max: last.min };
      break;
    }
    items.pop();
  }
  return items;
}

/**
 * The most character steps a backtracking engine can take from one start
 * position: each alternative's paths (the product of `max - min + 1` over its
 * repetitions) times its length (the sum of the maxima); Infinity when a
 * count is unbounded. V8 takes every start position in turn, so its time is
 * at most this many steps a character of the text.
 */
export function backtrackCost(alternatives: readonly (readonly Item[])[]): number {
  let cost = 0;
  for (const alt of alternatives) {
    let paths = 1;
    let length = 0;
    for (const it of alt) {
      if (it.kind !== 'set') continue;
      if (it.max === Infinity) return Infinity;
      paths *= it.max - it.min + 1;
      length += it.max;
    }
    cost += paths * Math.max(1, length);
  }
  return cost;
}

function itemToJs(it: Item): string {
  if (it.kind === 'bol') return '^';
  if (it.kind === 'eol') return '$';
  const { min, max } = it;
  if (min === 1 && max === 1) return it.js;
  if (min === 0 && max === 1) return `${it.js}?`;
  if (min === 0 && max === Infinity) return `${it.js}*`;
  if (min === 1 && max === Infinity) return `${it.js}+`;
  return `${it.js}{${min},${max === Infinity ? '' : max}}`;
}
