/**
 * The engine's one doorway into the filter stage: filter patterns, the
 * once-per-event JSON parse, and `$.a.b[0]` selectors.
 *
 * Until src/filter exports `parseJsonMessage` and `compileSelector`, the two
 * are implemented here with the same meaning; switching over is a change to
 * this file only.
 */
import { compileFilterPattern, NOT_JSON } from '../filter/index.js';

export { compileFilterPattern, NOT_JSON };
export type { CompiledFilterPattern as CompiledFilterPatternLike } from '../filter/index.js';

/** A selector's answer when the path is absent (distinct from a JSON `null`). */
export const MISSING: unique symbol = Symbol('missing');
export type Missing = typeof MISSING;

/** Parses a log message as JSON once; anything but a JSON object or array is NOT_JSON. */
export function parseJsonMessage(message: string): unknown {
  // Cheap pre-check: JSON log lines start with `{` or `[` (after whitespace).
  let i = 0;
  while (i < message.length && (message.charCodeAt(i) === 32 || message.charCodeAt(i) === 9)) i++;
  const c = message.charCodeAt(i);
  if (c !== 123 /* { */ && c !== 91 /* [ */) return NOT_JSON;
  try {
    return JSON.parse(message);
  } catch {
    // Invalid JSON, and also RangeError on absurdly deep nesting: hostile input is simply not JSON.
    return NOT_JSON;
  }
}

export class SelectorError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
    this.name = 'SelectorError';
  }
}

type Step = string | number;

/**
 * Compiles `$.a.b[0]` (also `$['a b']`, `$.a[*]` is not supported) to a
 * function from the parsed message to the value, or MISSING.
 */
export function compileSelector(selector: string): (json: unknown) => unknown {
  const steps = parseSelector(selector);
  if (steps.length === 1) {
    const only = steps[0]!;
    return (json) => step(json, only);
  }
  return (json) => {
    let v: unknown = json;
    for (let i = 0; i < steps.length; i++) {
      v = step(v, steps[i]!);
      if (v === MISSING) return MISSING;
    }
    return v;
  };
}

function step(v: unknown, s: Step): unknown {
  if (v === null || typeof v !== 'object') return MISSING;
  if (typeof s === 'number') {
    if (!Array.isArray(v) || s >= v.length) return MISSING;
    return v[s] as unknown;
  }
  if (Array.isArray(v) || !Object.prototype.hasOwnProperty.call(v, s)) return MISSING;
  return (v as Record<string, unknown>)[s];
}

const IDENT = /[A-Za-z0-9_$@-]/;

/** The steps of a selector; throws SelectorError with the offset of the problem. */
export function parseSelector(selector: string): Step[] {
  if (!selector.startsWith('$')) throw new SelectorError(`a selector starts with "$." (got "${selector}")`, 0);
  const steps: Step[] = [];
  let i = 1;
  while (i < selector.length) {
    const c = selector[i];
    if (c === '.') {
      i++;
      const start = i;
      while (i < selector.length && IDENT.test(selector[i]!)) i++;
      if (i === start) throw new SelectorError('expected a field name after "."', start);
      steps.push(selector.slice(start, i));
    } else if (c === '[') {
      i++;
      const q = selector[i];
      if (q === '"' || q === "'") {
        const end = selector.indexOf(q, i + 1);
        if (end < 0 || selector[end + 1] !== ']') throw new SelectorError('unterminated quoted name in [ ]', i);
        steps.push(selector.slice(i + 1, end));
        i = end + 2;
      } else {
        const start = i;
        while (i < selector.length && selector[i]! >= '0' && selector[i]! <= '9') i++;
        if (i === start || selector[i] !== ']') throw new SelectorError('expected an array index like [0]', start);
        steps.push(Number(selector.slice(start, i)));
        i++;
      }
    } else {
      throw new SelectorError(`unexpected "${c}" in selector`, i);
    }
  }
  if (steps.length === 0) throw new SelectorError('a selector names at least one field, like "$.status"', 1);
  return steps;
}
