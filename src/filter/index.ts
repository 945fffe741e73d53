/**
 * CloudWatch filter patterns (public surface). Placeholder until the filter
 * engine lands: only the empty pattern and plain terms are understood.
 */
export class FilterPatternError extends Error {
  constructor(message: string, readonly column: number) {
    super(message);
    this.name = 'FilterPatternError';
  }
}

export interface CompiledFilterPattern {
  readonly source: string;
  /** `json` is the message parsed once by the caller (NOT_JSON when it is not JSON); omitted: parsed on demand. */
  matches(message: string, json?: unknown): boolean;
}

export const NOT_JSON: unique symbol = Symbol('not-json');

export function compileFilterPattern(source: string): CompiledFilterPattern {
  const terms = source.trim().split(/\s+/).filter(Boolean);
  return { source, matches: (message) => terms.every((t) => message.includes(t)) };
}
