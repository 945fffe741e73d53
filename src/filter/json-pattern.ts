/**
 * JSON filter patterns `{ … }`: comparisons on selectors joined by `&&`,
 * `||` (`&&` binds tighter) and parentheses.
 *
 * Semantics (AWS docs; decisions where they are silent marked "chosen"):
 * - A comparison holds when the selector lands on a string or a number that
 *   satisfies it; on an object, array, boolean, null or nothing, both `=` and
 *   `!=` are false (docs: `{$.users != 1}` on an array is false; missing
 *   field: chosen false for `!=` too, as the docs lean).
 * - Numbers compare with numbers only: `{ $.n = 3 }` is false on `"3"`
 *   (chosen). A string or wildcard value compares with the text of a string
 *   or of a number (`{ $.code = 4* }` matches 404, so `{ $.n = "3" }` matches 3).
 * - Booleans: only `IS TRUE` / `IS FALSE` (chosen: `= true` compares text and
 *   so matches the string "true", never a boolean).
 * - `IS NULL` holds for an explicit null only; `NOT EXISTS` when the selector
 *   reaches nothing. `IS NOT`, `EXISTS`, bare selectors and `{ }` are
 *   rejected, as AWS documents them unsupported.
 * - Wildcard selectors hold when any selected value satisfies the
 *   comparison (NOT EXISTS: when none is selected).
 * - Limits: 3 wildcard selectors, 2 regexes a pattern.
 */
import { Cursor } from './cursor.js';
import { allMay, anyMay, guarded, keyValueMay, type GuardedTest, type RawTest } from './json-prefilter.js';
import { readSelector, type CompiledSelector } from './selector.js';
import { compareNumber, compareText, readOperator, readValue, type Operator, type Stars, type Value, type ValueContext } from './values.js';

export type JsonTest = (json: unknown) => boolean;

export interface JsonPattern {
  readonly test: JsonTest;
  /** Each selector's leading keys (CompiledSelector.keyPath); undefined when one starts with an index or wildcard. */
  readonly keyPaths: readonly (readonly string[])[] | undefined;
  /** Texts one of which every matching JSON message without a backslash contains (see textAnyOf); undefined when there are none to tell. */
  readonly anyOf: readonly string[] | undefined;
  /**
   * A test on the raw message that is false only when `test` is certainly
   * false on its parse (json-prefilter.ts); undefined when the pattern gives
   * it nothing to go on.
   */
  readonly mayMatch: GuardedTest | undefined;
}

/**
 * A sub-expression: its test; what the text of a message it holds on must
 * contain — when the message is JSON without a backslash, so that every
 * string in it is its value between two quotes: one of `anyOf` (undefined:
 * nothing known; grep's line prefilter); and its raw-text prefilter `may`
 * (undefined: anything may match; the engine's parse skipping).
 */
interface Part {
  readonly test: JsonTest;
  readonly anyOf: readonly string[] | undefined;
  readonly may: RawTest | undefined;
}

/** Texts to look for, at most: each is a search of the whole input. */
const MAX_ANY_OF = 8;

const MAX_WILDCARD_SELECTORS = 3;

/** Parses `{ … }` at the cursor (on the `{`) to the end of the source. */
export function parseJsonPattern(c: Cursor, ctx: ValueContext): JsonPattern {
  const open = c.pos;
  c.pos++;
  c.skipSpace();
  if (c.peek() === '}') c.fail('empty JSON pattern: write at least one comparison', open);
  let wildcards = 0;
  let keyPaths: (readonly string[])[] | undefined = [];
  const onSelector = (sel: CompiledSelector, at: number) => {
    if (sel.keyPath.length === 0) keyPaths = undefined;
    else keyPaths?.push(sel.keyPath);
    if (sel.wildcard && ++wildcards > MAX_WILDCARD_SELECTORS) c.fail(`at most ${MAX_WILDCARD_SELECTORS} selectors with wildcards a pattern`, at);
  };
  const { test, anyOf, may } = parseOr(c, ctx, onSelector);
  c.skipSpace();
  if (c.eof) c.fail(`missing '}' to close the '{' at column ${c.column(open)}`);
  c.expect('}', "'&&', '||' or '}'");
  c.skipSpace();
  if (!c.eof) c.fail('unexpected text after the closing }');
  return { test, keyPaths, anyOf, mayMatch: may === undefined ? undefined : guarded(may) };
}

type OnSelector = (sel: CompiledSelector, at: number) => void;

function parseOr(c: Cursor, ctx: ValueContext, onSel: OnSelector): Part {
  const parts = [parseAnd(c, ctx, onSel)];
  for (;;) {
    c.skipSpace();
    if (!c.eat('||')) break;
    parts.push(parseAnd(c, ctx, onSel));
  }
  if (parts.length === 1) return parts[0]!;
  const tests = parts.map((p) => p.test);
  // A match holds one of the alternatives, so it contains what that one needs.
  const anyOf = parts.every((p) => p.anyOf !== undefined) ? [...new Set(parts.flatMap((p) => p.anyOf!))] : undefined;
  // Some branch holds: each needs a prefilter, else anything may match.
  const mays = parts.map((p) => p.may);
  return {
    test: (json) => tests.some((t) => t(json)),
    anyOf: anyOf !== undefined && anyOf.length <= MAX_ANY_OF ? anyOf : undefined,
    may: mays.every((m) => m !== undefined) ? anyMay(mays as RawTest[]) : undefined,
  };
}

function parseAnd(c: Cursor, ctx: ValueContext, onSel: OnSelector): Part {
  const parts = [parseUnary(c, ctx, onSel)];
  for (;;) {
    c.skipSpace();
    if (!c.eat('&&')) break;
    parts.push(parseUnary(c, ctx, onSel));
  }
  if (parts.length === 1) return parts[0]!;
  const tests = parts.map((p) => p.test);
  // A match holds every part: what any one of them needs will do; the fewest, longest texts search best.
  let anyOf: readonly string[] | undefined;
  for (const p of parts) if (p.anyOf !== undefined && (anyOf === undefined || better(p.anyOf, anyOf))) anyOf = p.anyOf;
  // Every part holds: the parts with a prefilter must all pass theirs.
  const mays = parts.flatMap((p) => (p.may === undefined ? [] : [p.may]));
  return { test: (json) => tests.every((t) => t(json)), anyOf, may: mays.length > 0 ? allMay(mays) : undefined };
}

function better(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return a.length < b.length;
  return Math.min(...a.map((t) => t.length)) > Math.min(...b.map((t) => t.length));
}

function parseUnary(c: Cursor, ctx: ValueContext, onSel: OnSelector): Part {
  c.skipSpace();
  const open = c.pos;
  if (c.eat('(')) {
    const inner = parseOr(c, ctx, onSel);
    c.skipSpace();
    if (!c.eat(')')) c.fail(`expected ')' to close the '(' at column ${c.column(open)}`);
    return inner;
  }
  if (c.peek() !== '$') c.fail(c.eof || c.peek() === '}' ? "expected a comparison such as '$.field = value'" : `expected a selector starting with '$', found '${c.peek()}'`);
  const selAt = c.pos;
  const sel = readSelector(c);
  onSel(sel, selAt);
  c.skipSpace();
  const kwAt = c.pos;
  if (word(c, 'IS')) {
    c.skipSpace();
    // JSON writes these values one way only.
    if (word(c, 'NULL')) return { ...any(sel, (v) => v === null), anyOf: ['null'] };
    if (word(c, 'TRUE')) return { ...any(sel, (v) => v === true), anyOf: ['true'] };
    if (word(c, 'FALSE')) return { ...any(sel, (v) => v === false), anyOf: ['false'] };
    if (word(c, 'NOT')) c.fail('IS NOT is not supported by CloudWatch (use != or NOT EXISTS)', kwAt);
    c.fail('expected NULL, TRUE or FALSE after IS');
  }
  if (word(c, 'NOT')) {
    c.skipSpace();
    if (!word(c, 'EXISTS')) c.fail('expected EXISTS after NOT');
    return { test: sel.wildcard ? (json) => sel.values(json).length === 0 : (json) => sel.first(json) === undefined, anyOf: undefined, may: undefined };
  }
  if (word(c, 'EXISTS')) c.fail('EXISTS is not supported by CloudWatch (use NOT EXISTS, or a comparison)', kwAt);
  const op = readOperator(c);
  if (!op) c.fail(c.eof || c.peek() === '}' || c.peek() === ')' ? 'expected an operator (=, !=, <, >, <=, >=, IS, NOT EXISTS) after the selector' : `expected an operator after the selector, found '${c.peek()}'`);
  const value = readValue(c, op, ctx);
  return { ...any(sel, comparer(op, value)), anyOf: op === '=' && value.kind === 'string' ? textAnyOf(value.stars) : undefined };
}

/** Characters of the texts String() gives numbers (`-1.5e+300`, `Infinity`). */
const NUMBER_TEXT = /^[-+.0-9eInfity]*$/;

/**
 * What the text of a backslash-free JSON message contains when a value in it
 * is `= text` (wildcards at the ends): a string value is its characters
 * between two quotes, so `u-42` needs `"u-42"`, `/v2/*` needs `"/v2/`,
 * `*.html` needs `.html"`, `*err*` needs `err`. Undefined when a number could
 * match too (its text is String(number), not what the message spells:
 * `4*` matches `404.0e0`), for a lone `*`, and for U+FFFD or surrogates,
 * which the bytes of a message need not spell the same way.
 */
function textAnyOf({ all, lead, trail, core }: Stars): readonly string[] | undefined {
  if (all) return undefined;
  if (NUMBER_TEXT.test(core) || /[\uD800-\uDFFF\uFFFD]/.test(core)) return undefined;
  return [`${lead ? '' : '"'}${core}${trail ? '' : '"'}`];
}

/** compareJsonValue(op, value, ·) with the operator and value kind decided once. */
function comparer(op: Operator, value: Value): (v: unknown) => boolean {
  if (value.kind === 'number') {
    // A number value compares with numbers only.
    const n = value.value;
    switch (op) {
      case '=':
        return (v) => typeof v === 'number' && v === n;
      case '!=':
        return (v) => typeof v === 'number' && v !== n;
      case '<':
        return (v) => typeof v === 'number' && v < n;
      case '>':
        return (v) => typeof v === 'number' && v > n;
      case '<=':
        return (v) => typeof v === 'number' && v <= n;
      case '>=':
        return (v) => typeof v === 'number' && v >= n;
    }
  }
  return (v) => compareJsonValue(op, value, v);
}

/**
 * Some selected value satisfies `test` (the one value, without a wildcard).
 * `test` is false on objects and arrays, so a selector ending in a key has
 * the raw prefilter "some scalar value of that key passes `test`".
 */
function any(sel: CompiledSelector, test: (v: unknown) => boolean): Omit<Part, 'anyOf'> {
  const may = sel.lastKey === undefined ? undefined : keyValueMay(sel.lastKey, test);
  if (sel.wildcard) return { test: (json) => sel.values(json).some(test), may };
  return {
    test: (json) => {
      const v = sel.first(json);
      return v !== undefined && test(v);
    },
    may,
  };
}

/** An upper-case keyword followed by a non-word character. */
function word(c: Cursor, kw: string): boolean {
  if (!c.startsWith(kw) || /\w/.test(c.src[c.pos + kw.length] ?? '')) return false;
  c.pos += kw.length;
  return true;
}

function compareJsonValue(op: Operator, value: Value, v: unknown): boolean {
  if (typeof v === 'number') return value.kind === 'number' ? compareNumber(op, v, value.value) : compareText(op, value, String(v));
  if (typeof v === 'string') return value.kind === 'number' ? false : compareText(op, value, v);
  return false;
}
