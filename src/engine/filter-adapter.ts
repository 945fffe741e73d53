/**
 * The engine's one doorway into the filter stage: filter patterns, rule
 * regexes (on V8's linear-time engine), the
 * once-per-event JSON parse, and `$.a.b[0]` selectors (shared with JSON
 * filter patterns so both read fields the same way).
 */
import { compileFilterPattern, compileSelector as compileFilterSelector, FilterPatternError, jsonTopValue, NOT_JSON, parseJsonMessage } from '../filter/index.js';

export { compileFilterPattern, jsonTopValue, NOT_JSON, parseJsonMessage };
export { compileJsRegex } from '../filter/js-regex.js';
export type { CompiledFilterPattern as CompiledFilterPatternLike } from '../filter/index.js';

/** A selector's answer when the path is absent (distinct from a JSON `null`). */
export const MISSING: unique symbol = Symbol('missing');
export type Missing = typeof MISSING;

export class SelectorError extends Error {
  /** 0-based offset of the problem in the selector text. */
  constructor(message: string, readonly offset: number) {
    super(message);
    this.name = 'SelectorError';
  }
}

export interface Selector {
  /** The first value reached, or MISSING. */
  first(json: unknown): unknown;
  /** Every value reached (several only with a wildcard). */
  all(json: unknown): unknown[];
  readonly wildcard: boolean;
  /** `key` when the selector is exactly `$.key` (read with jsonTopValue without parsing the message). */
  readonly topKey: string | undefined;
}

/** Compiles a selector; throws SelectorError with the offset of the problem. */
export function compileSelector(selector: string): Selector {
  let compiled;
  try {
    compiled = compileFilterSelector(selector);
  } catch (err) {
    if (err instanceof FilterPatternError) throw new SelectorError(err.message, Math.max(0, err.column - 1));
    throw err;
  }
  const values = compiled.values;
  const first = compiled.first;
  const key = compiled.firstKey;
  return {
    wildcard: compiled.wildcard,
    topKey: key !== undefined && !compiled.wildcard && compiled.source === `$.${key}` ? key : undefined,
    all: values,
    first(json) {
      // JSON has no undefined: the filter stage's "nothing reached".
      const v = first(json);
      return v === undefined ? MISSING : v;
    },
  };
}
