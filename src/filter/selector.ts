/**
 * JSON selectors: `$.a.b`, `$.a[0]`, `$.c[0][1]`, `$.list[1].id`,
 * `$.['key.with.dot']`, `$['k']`, wildcards `$.arr[*]` and `$.*` (at most one
 * a selector, as in CloudWatch). Shared by JSON filter patterns and the rule
 * engine's `match` leaves and `groupBy`.
 *
 * Lookups use own properties only: `$.constructor` or `$.arr.length` are
 * missing, never JavaScript internals.
 */
import { Cursor, readQuoted } from './cursor.js';
import { FilterPatternError } from './errors.js';
import { NOT_JSON } from './message.js';

type Step = { readonly kind: 'key'; readonly key: string } | { readonly kind: 'index'; readonly index: number } | { readonly kind: 'any' };

export interface CompiledSelector {
  readonly source: string;
  /** True when the selector has a wildcard (it can select several values). */
  readonly wildcard: boolean;
  /** The top-level key the selector starts with (`a` in `$.a[0]`), or undefined when it starts with an index or wildcard. */
  readonly firstKey: string | undefined;
  /** The keys the selector starts with, up to its first index or wildcard (`['a', 'b']` in `$.a.b[0].c`; empty for `$[0]`). */
  readonly keyPath: readonly string[];
  /** The key the selector ends with (`b` in `$.a[0].b`), or undefined when it ends with an index or wildcard. */
  readonly lastKey: string | undefined;
  /** Every value the selector reaches in `json` (none when missing or NOT_JSON). */
  values(json: unknown): unknown[];
  /** The first value reached, or undefined when none (JSON has no undefined); allocation-free without wildcards. */
  first(json: unknown): unknown;
}

/** Characters that end an unquoted key. */
const KEY_STOP = new Set([...' \t\r\n.[]()=!<>&|{}"\'%*,']);

/** Reads a selector at the cursor (on the `$`). */
export function readSelector(c: Cursor): CompiledSelector {
  const start = c.pos;
  c.expect('$', "a selector starting with '$'");
  const steps: Step[] = [];
  let wildcards = 0;
  const wildcardAt = (at: number) => {
    if (++wildcards > 1) c.fail('a selector can hold only one wildcard', at);
  };
  for (;;) {
    const at = c.pos;
    if (c.eat('.')) {
      if (c.eat('*')) {
        wildcardAt(at + 1);
        steps.push({ kind: 'any' });
      } else if (c.peek() === '[') {
        steps.push(readBracket(c, wildcardAt));
      } else {
        const keyStart = c.pos;
        while (!c.eof && !KEY_STOP.has(c.peek())) c.pos++;
        if (c.pos === keyStart) c.fail("expected a key after '.'");
        steps.push({ kind: 'key', key: c.src.slice(keyStart, c.pos) });
      }
    } else if (c.peek() === '[') {
      steps.push(readBracket(c, wildcardAt));
    } else break;
  }
  if (steps.length === 0) c.fail("expected '.' or '[' after '$'", c.pos);
  const source = c.src.slice(start, c.pos);
  const first = steps[0];
  const last = steps[steps.length - 1];
  const values = (json: unknown) => resolve(steps, json);
  return {
    source,
    wildcard: wildcards > 0,
    firstKey: first?.kind === 'key' ? first.key : undefined,
    keyPath: leadingKeys(steps),
    lastKey: last?.kind === 'key' ? last.key : undefined,
    values,
    first: wildcards > 0 ? (json) => values(json)[0] : first?.kind === 'key' && steps.length === 1 ? topKey(first.key) : (json) => walk(steps, json),
  };
}

function leadingKeys(steps: readonly Step[]): string[] {
  const keys: string[] = [];
  for (const step of steps) {
    if (step.kind !== 'key') break;
    keys.push(step.key);
  }
  return keys;
}

function readBracket(c: Cursor, wildcardAt: (at: number) => void): Step {
  const open = c.pos;
  c.pos++;
  let step: Step;
  if (c.peek() === '*') {
    wildcardAt(c.pos);
    c.pos++;
    step = { kind: 'any' };
  } else if (c.peek() === "'" || c.peek() === '"') {
    step = { kind: 'key', key: readQuoted(c) };
  } else {
    const digits = /^\d+/.exec(c.src.slice(c.pos))?.[0];
    if (!digits) c.fail("expected an index, '*' or a quoted key after '['");
    c.pos += digits.length;
    step = { kind: 'index', index: Number(digits) };
  }
  if (!c.eat(']')) c.fail(`expected ']' to close the '[' at column ${c.column(open)}`);
  return step;
}

/** `walk` for a selector of one key (`$.status`), the common case. */
function topKey(key: string): (json: unknown) => unknown {
  return (json) => (json !== null && typeof json === 'object' && !Array.isArray(json) && Object.hasOwn(json, key) ? (json as Record<string, unknown>)[key] : undefined);
}

/** `resolve` for selectors without wildcards: one value or undefined, no arrays built. */
function walk(steps: readonly Step[], json: unknown): unknown {
  if (json === NOT_JSON) return undefined;
  let node = json;
  for (const step of steps) {
    if (node === null || typeof node !== 'object') return undefined;
    if (step.kind === 'index') {
      if (!Array.isArray(node) || step.index >= node.length) return undefined;
      node = node[step.index];
    } else if (step.kind === 'key') {
      if (Array.isArray(node) || !Object.hasOwn(node, step.key)) return undefined;
      node = (node as Record<string, unknown>)[step.key];
    } else return undefined;
  }
  return node;
}

function resolve(steps: readonly Step[], json: unknown): unknown[] {
  if (json === NOT_JSON || json === undefined) return [];
  let current: unknown[] = [json];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const node of current) {
      if (node === null || typeof node !== 'object') continue;
      if (step.kind === 'any') {
        next.push(...(Array.isArray(node) ? node : Object.values(node)));
      } else if (step.kind === 'index') {
        if (Array.isArray(node) && step.index < node.length) next.push(node[step.index]);
      } else if (!Array.isArray(node) && Object.hasOwn(node, step.key)) {
        next.push((node as Record<string, unknown>)[step.key]);
      }
    }
    if (next.length === 0) return next;
    current = next;
  }
  return current;
}

/** Compiles a whole string as one selector; errors carry the 1-based column in it. */
export function compileSelector(selector: string): CompiledSelector {
  const c = new Cursor(selector);
  if (c.peek() !== '$') throw new FilterPatternError("a selector starts with '$'", 1);
  const compiled = readSelector(c);
  if (!c.eof) c.fail(`unexpected '${c.peek()}' in the selector`);
  return compiled;
}
