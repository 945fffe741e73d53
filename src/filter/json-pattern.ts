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
import { compareNumber, compareText, readOperator, readValue, type Operator, type Value, type ValueContext } from './values.js';

export type JsonTest = (json: unknown) => boolean;

export interface JsonPattern {
  readonly test: JsonTest;
  /** The top-level keys the selectors start with; undefined when one starts with an index or wildcard. */
  readonly topKeys: ReadonlySet<string> | undefined;
  /**
   * A test on the raw message that is false only when `test` is certainly
   * false on its parse (json-prefilter.ts); undefined when the pattern gives
   * it nothing to go on.
   */
  readonly mayMatch: GuardedTest | undefined;
}

/** A sub-expression: its test, and its raw-text prefilter (undefined: anything may match). */
interface Part {
  readonly test: JsonTest;
  readonly may: RawTest | undefined;
}

const MAX_WILDCARD_SELECTORS = 3;

/** Parses `{ … }` at the cursor (on the `{`) to the end of the source. */
export function parseJsonPattern(c: Cursor, ctx: ValueContext): JsonPattern {
  const open = c.pos;
  c.pos++;
  c.skipSpace();
  if (c.peek() === '}') c.fail('empty JSON pattern: write at least one comparison', open);
  let wildcards = 0;
  let topKeys: Set<string> | undefined = new Set();
  const onSelector = (sel: CompiledSelector, at: number) => {
    if (sel.firstKey === undefined) topKeys = undefined;
    else topKeys?.add(sel.firstKey);
    if (sel.wildcard && ++wildcards > MAX_WILDCARD_SELECTORS) c.fail(`at most ${MAX_WILDCARD_SELECTORS} selectors with wildcards a pattern`, at);
  };
  const { test, may } = parseOr(c, ctx, onSelector);
  c.skipSpace();
  if (c.eof) c.fail(`missing '}' to close the '{' at column ${c.column(open)}`);
  c.expect('}', "'&&', '||' or '}'");
  c.skipSpace();
  if (!c.eof) c.fail('unexpected text after the closing }');
  return { test, topKeys, mayMatch: may === undefined ? undefined : guarded(may) };
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
  // Some branch holds: each needs a prefilter, else anything may match.
  const mays = parts.map((p) => p.may);
  return { test: (json) => tests.some((t) => t(json)), may: mays.every((m) => m !== undefined) ? anyMay(mays as RawTest[]) : undefined };
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
  // Every part holds: the parts with a prefilter must all pass theirs.
  const mays = parts.flatMap((p) => (p.may === undefined ? [] : [p.may]));
  return { test: (json) => tests.every((t) => t(json)), may: mays.length > 0 ? allMay(mays) : undefined };
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
    if (word(c, 'NULL')) return any(sel, (v) => v === null);
    if (word(c, 'TRUE')) return any(sel, (v) => v === true);
    if (word(c, 'FALSE')) return any(sel, (v) => v === false);
    if (word(c, 'NOT')) c.fail('IS NOT is not supported by CloudWatch (use != or NOT EXISTS)', kwAt);
    c.fail('expected NULL, TRUE or FALSE after IS');
  }
  if (word(c, 'NOT')) {
    c.skipSpace();
    if (!word(c, 'EXISTS')) c.fail('expected EXISTS after NOT');
    return { test: sel.wildcard ? (json) => sel.values(json).length === 0 : (json) => sel.first(json) === undefined, may: undefined };
  }
  if (word(c, 'EXISTS')) c.fail('EXISTS is not supported by CloudWatch (use NOT EXISTS, or a comparison)', kwAt);
  const op = readOperator(c);
  if (!op) c.fail(c.eof || c.peek() === '}' || c.peek() === ')' ? 'expected an operator (=, !=, <, >, <=, >=, IS, NOT EXISTS) after the selector' : `expected an operator after the selector, found '${c.peek()}'`);
  const value = readValue(c, op, ctx);
  return any(sel, comparer(op, value));
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
function any(sel: CompiledSelector, test: (v: unknown) => boolean): Part {
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
