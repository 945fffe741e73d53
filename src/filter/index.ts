/**
 * CloudWatch Logs filter patterns (public surface): compile once, match many.
 *
 * The first non-blank character decides the kind (AWS docs): `{` JSON,
 * `[` space-delimited, anything else terms (where `%…%` is a regex). Patterns
 * are at most 1024 characters; the empty pattern matches every event.
 * See src/filter/README.md for the semantics and every decision the AWS
 * docs leave open.
 */
import { Cursor } from './cursor.js';
import { parseDelimited } from './delimited.js';
import { FilterPatternError } from './errors.js';
import { parseJsonPattern } from './json-pattern.js';
import { jsonTopValue } from './json-scan.js';
import { MAX_JSON_DEPTH, NOT_JSON, parseJsonMessage } from './message.js';
import { compileSelector, type CompiledSelector } from './selector.js';
import { parseTerms } from './terms.js';
import type { ValueContext } from './values.js';

export { FilterPatternError, MAX_JSON_DEPTH, NOT_JSON, parseJsonMessage, compileSelector, jsonTopValue };
export type { CompiledSelector };

export type FilterPatternKind = 'terms' | 'json' | 'delimited';

export interface CompiledFilterPattern {
  readonly source: string;
  readonly kind: FilterPatternKind;
  /**
   * `json` is the message parsed once by the caller with parseJsonMessage
   * (NOT_JSON when it is not JSON); omitted: parsed here when the pattern
   * needs it. Never throws; a non-JSON message never matches a JSON pattern.
   */
  matches(message: string, json?: unknown): boolean;
  /**
   * Substrings every matching message contains (plain terms and phrases), for
   * prefilters that skip lines cheaply; empty when there are none.
   */
  readonly requiredSubstrings: readonly string[];
  /** True when a message matches exactly if it contains every required substring (plain terms only). */
  readonly onlySubstrings: boolean;
  /**
   * JSON patterns: the keys each selector starts with (`['user', 'id']` for
   * `$.user.id`, `['a']` for `$.a[0]`), so that a caller may pass `matches`
   * an object cut down to what the selectors read (see grep's JsonLineProjector,
   * src/grep/json-line.ts, whose positive answers need confirming); undefined for other kinds or
   * when a selector starts with an index or wildcard.
   */
  readonly jsonKeyPaths: readonly (readonly string[])[] | undefined;
  /**
   * JSON patterns: texts one of which every matching message contains when
   * it is JSON without a backslash (`"u-42"` for `$.id = "u-42"`), for
   * prefilters such as grep's JsonLineProjector; undefined when there are none.
   */
  readonly jsonAnyOf: readonly string[] | undefined;
  /**
   * JSON patterns: a cheap test on the raw message, false only when `matches`
   * is certainly false (json-prefilter.ts), so a caller can skip parsing the
   * message; undefined for other kinds or when the pattern offers nothing.
   * `escaped`: whether the message holds a backslash, when the caller already
   * knows (several patterns on one message); computed when omitted.
   */
  readonly mayMatch: ((message: string, escaped?: boolean) => boolean) | undefined;
}

/** CloudWatch's limit on filter pattern length (API: 0–1024). */
export const MAX_PATTERN_LENGTH = 1024;
/** CloudWatch's limit on regexes in one JSON or space-delimited pattern. */
export const MAX_REGEXES = 2;

/** The kind of a pattern from its first non-blank character (no validation). */
export function filterPatternKind(source: string): FilterPatternKind {
  const first = source.trimStart()[0];
  return first === '{' ? 'json' : first === '[' ? 'delimited' : 'terms';
}

export function isJsonPattern(source: string): boolean {
  return filterPatternKind(source) === 'json';
}

/** Parses a filter pattern; throws FilterPatternError with the 1-based column of the problem. */
export function compileFilterPattern(source: string): CompiledFilterPattern {
  if (source.length > MAX_PATTERN_LENGTH) throw new FilterPatternError(`pattern is longer than ${MAX_PATTERN_LENGTH} characters`, MAX_PATTERN_LENGTH + 1);
  const c = new Cursor(source);
  c.skipSpace();
  const kind = filterPatternKind(source);
  let regexes = 0;
  const ctx: ValueContext = {
    stop: kind === 'json' ? '(){}&|=!<>' : ',]&|',
    onRegex(column) {
      if (++regexes > MAX_REGEXES) throw new FilterPatternError(`at most ${MAX_REGEXES} regexes in a ${kind === 'json' ? 'JSON' : 'space-delimited'} pattern`, column);
    },
  };
  if (kind === 'json') {
    const { test, keyPaths, anyOf, mayMatch } = parseJsonPattern(c, ctx);
    return {
      source,
      kind,
      requiredSubstrings: [],
      onlySubstrings: false,
      jsonKeyPaths: keyPaths,
      jsonAnyOf: anyOf,
      mayMatch,
      matches(message, json) {
        if (json === undefined) {
          if (mayMatch !== undefined && !mayMatch(message)) return false;
          json = parseJsonMessage(message);
        }
        return json !== NOT_JSON && test(json);
      },
    };
  }
  if (kind === 'delimited') {
    const { test } = parseDelimited(c, ctx);
    return { source, kind, requiredSubstrings: [], onlySubstrings: false, jsonKeyPaths: undefined, jsonAnyOf: undefined, mayMatch: undefined, matches: (message) => test(message) };
  }
  const terms = parseTerms(c);
  return { source, kind, requiredSubstrings: terms.required, onlySubstrings: terms.onlyRequired && terms.required.length > 0, jsonKeyPaths: undefined, jsonAnyOf: undefined, mayMatch: undefined, matches: (message) => terms.test(message) };
}
