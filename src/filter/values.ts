/**
 * The right-hand side of a comparison, shared by JSON and space-delimited
 * patterns: a number, a string with `*` wildcards, or a `%regex%`.
 *
 * Decisions (docs partly silent):
 * - An unquoted value that reads as a number (`500`, `-1.5`, `1e+3`) is a
 *   number; anything else (`bar`, `123.123.*`, `4*`) is a string. Quoted
 *   values are always strings.
 * - `*` is a wildcard only at the start and/or end of a value (`*Event`,
 *   `Event*`, `*.html*`, a lone `*` = any value); inside (`Ev*ent`) it is a
 *   literal star — the 2018–2020 AWS docs say so; quotes do not change this
 *   (`"*"` and `"Update*"` match as wildcards in AWS's own examples).
 * - `<`, `>`, `<=`, `>=` need a number; `%regex%` goes with `=` and `!=`.
 */
import { Cursor, readQuoted } from './cursor.js';
import { readRegex, type CompiledRegex } from './regex.js';

export type Operator = '=' | '!=' | '<' | '>' | '<=' | '>=';

export type Value =
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'string'; readonly test: (text: string) => boolean; readonly stars: Stars }
  | { readonly kind: 'regex'; readonly regex: CompiledRegex };

const NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

/** The number a text spells in CloudWatch's number syntax, else NaN. */
export function parseNumber(text: string): number {
  return NUMBER.test(text) ? Number(text) : NaN;
}

/** Reads an operator at the cursor, or undefined. */
export function readOperator(c: Cursor): Operator | undefined {
  for (const op of ['>=', '<=', '!=', '=', '<', '>'] as const) if (c.eat(op)) return op;
  return undefined;
}

export interface ValueContext {
  /** Characters that end an unquoted value besides whitespace. */
  readonly stop: string;
  /** Called for each regex, so the pattern can enforce its limit. */
  onRegex(column: number): void;
}

export function readValue(c: Cursor, op: Operator, ctx: ValueContext): Value {
  c.skipSpace();
  const at = c.pos;
  const relational = op !== '=' && op !== '!=';
  if (c.peek() === '%') {
    if (relational) c.fail(`a regex can only follow '=' or '!=', not '${op}'`);
    ctx.onRegex(c.column());
    return { kind: 'regex', regex: readRegex(c) };
  }
  if (c.peek() === '"') {
    const text = readQuoted(c);
    if (relational) c.fail(`'${op}' needs a number, found a quoted string`, at);
    return stringValue(text);
  }
  while (!c.eof && !/\s/.test(c.peek()) && !ctx.stop.includes(c.peek())) c.pos++;
  const text = c.src.slice(at, c.pos);
  if (text === '') c.fail(`expected a value after '${op}'`, at);
  const n = parseNumber(text);
  if (!Number.isNaN(n)) return { kind: 'number', value: n };
  if (relational) c.fail(`'${op}' needs a number, found '${text}'`, at);
  return stringValue(text);
}

/**
 * A string value's `*` wildcards: one at either end (`all`: nothing but
 * stars, which accepts every text) around `core`, the text every accepted
 * text contains ('' when `all`). Prefilters (delimited.ts, json-pattern.ts)
 * read it too.
 */
export interface Stars {
  readonly all: boolean;
  readonly lead: boolean;
  readonly trail: boolean;
  readonly core: string;
}

function stringValue(text: string): Value {
  const all = /^\*+$/.test(text);
  const lead = !all && text.startsWith('*');
  const trail = !all && text.endsWith('*');
  const stars = { all, lead, trail, core: all ? '' : text.slice(lead ? 1 : 0, trail ? -1 : undefined) };
  return { kind: 'string', test: wildcard(stars), stars };
}

/** A matcher for a value with leading/trailing `*` wildcards. */
function wildcard({ all, lead, trail, core }: Stars): (s: string) => boolean {
  if (all) return () => true;
  if (lead && trail) return (s) => s.includes(core);
  if (lead) return (s) => s.endsWith(core);
  if (trail) return (s) => s.startsWith(core);
  return (s) => s === core;
}

/** Compares a number against a numeric value. */
export function compareNumber(op: Operator, left: number, right: number): boolean {
  switch (op) {
    case '=':
      return left === right;
    case '!=':
      return left !== right;
    case '<':
      return left < right;
    case '>':
      return left > right;
    case '<=':
      return left <= right;
    case '>=':
      return left >= right;
  }
}

/** `text` against a string or regex value (`=` or `!=`). */
export function compareText(op: Operator, value: Value, text: string): boolean {
  const hit = value.kind === 'regex' ? value.regex.test(text) : value.kind === 'string' ? value.test(text) : false;
  return op === '!=' ? !hit : hit;
}
