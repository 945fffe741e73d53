/**
 * The engine's one doorway into the filter stage: filter patterns, the
 * once-per-event JSON parse, and `$.a.b[0]` selectors (shared with JSON
 * filter patterns so both read fields the same way).
 */
import { compileFilterPattern, compileSelector as compileFilterSelector, FilterPatternError, NOT_JSON, parseJsonMessage } from '../filter/index.js';

export { compileFilterPattern, NOT_JSON, parseJsonMessage };
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
}

/** `$.a.b[0]` with plain names and indexes only: read directly, without the general resolver's arrays. */
const SIMPLE_SELECTOR = /^\$(?:\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\])+$/;
const SIMPLE_STEP = /\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]/g;

function simpleFirst(selector: string): ((json: unknown) => unknown) | undefined {
  if (!SIMPLE_SELECTOR.test(selector)) return undefined;
  const steps: (string | number)[] = [];
  for (const m of selector.matchAll(SIMPLE_STEP)) steps.push(m[1] !== undefined ? m[1] : Number(m[2]));
  // Same lookup rules as the filter stage's resolver: own properties of objects, indexes of arrays.
  return (json) => {
    let v: unknown = json;
    for (let i = 0; i < steps.length; i++) {
      if (v === null || typeof v !== 'object') return MISSING;
      const s = steps[i]!;
      if (typeof s === 'number') {
        if (!Array.isArray(v) || s >= v.length) return MISSING;
        v = v[s];
      } else {
        if (Array.isArray(v) || !Object.hasOwn(v, s)) return MISSING;
        v = (v as Record<string, unknown>)[s];
      }
    }
    return v;
  };
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
  const fast = compiled.wildcard ? undefined : simpleFirst(selector);
  return {
    wildcard: compiled.wildcard,
    all: values,
    first:
      fast ??
      ((json) => {
        const v = values(json);
        return v.length === 0 ? MISSING : v[0];
      }),
  };
}
