/**
 * The server-side pattern of a session that serves several rules: a pattern
 * matching the union of theirs, only where the filter syntax says so exactly
 * (the filter syntax's own rules, nothing guessed). Otherwise none — every rule re-checks its own pattern locally,
 * so a missing union costs traffic, never events.
 */
import { compileFilterPattern, filterPatternKind, MAX_PATTERN_LENGTH } from '../filter/index.js';

/** A plain word or a quoted phrase without escapes: safe to put behind `?`. */
const PLAIN_TERM = /^(?:[A-Za-z0-9_.:/@=+,;#$^&*()<>!~'`|\\[\]{}-]+|"[^"\\]*")$/;

/**
 * The OR-alternatives of a terms pattern that is one term (`ERROR`,
 * `"an error"`) or a list of `?` terms (`?ERROR ?WARN`); undefined for
 * anything else (AND lists, exclusions, regexes, JSON, space-delimited).
 */
export function orTerms(pattern: string): string[] | undefined {
  const p = pattern.trim();
  if (p === '' || filterPatternKind(p) !== 'terms') return undefined;
  const tokens = tokenize(p);
  if (tokens === undefined || tokens.length === 0) return undefined;
  const bare = (t: string): string | undefined => (t.startsWith('-') || t.startsWith('?') || t.includes('%') || !PLAIN_TERM.test(t) ? undefined : t);
  if (tokens.length === 1 && !tokens[0]!.startsWith('?')) {
    const t = bare(tokens[0]!);
    return t === undefined ? undefined : [t];
  }
  const out: string[] = [];
  for (const tok of tokens) {
    if (!tok.startsWith('?')) return undefined;
    const t = bare(tok.slice(1));
    if (t === undefined) return undefined;
    out.push(t);
  }
  return out;
}

/** Splits on blanks, keeping `"…"` (and `?"…"`) together; undefined on an unclosed quote. */
function tokenize(p: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  while (i < p.length) {
    while (i < p.length && /\s/.test(p[i]!)) i++;
    if (i >= p.length) break;
    const start = i;
    if (p[i] === '?') i++;
    if (p[i] === '"') {
      const close = p.indexOf('"', i + 1);
      if (close < 0) return undefined;
      i = close + 1;
      if (i < p.length && !/\s/.test(p[i]!)) return undefined;
    } else {
      while (i < p.length && !/\s/.test(p[i]!)) i++;
    }
    out.push(p.slice(start, i));
  }
  return out;
}

/**
 * The condition inside a JSON pattern `{ … }` (trimmed), or undefined when the
 * pattern is not a JSON pattern that compiles.
 */
export function jsonCondition(pattern: string): string | undefined {
  const p = pattern.trim();
  if (filterPatternKind(p) !== 'json' || !p.endsWith('}')) return undefined;
  try {
    compileFilterPattern(p);
  } catch {
    return undefined;
  }
  const inner = p.slice(1, -1).trim();
  return inner === '' ? undefined : inner;
}

/**
 * `undefined` = no server-side pattern (everything is sent). Any rule
 * without a pattern → none; identical patterns → that pattern; all single
 * or `?` terms → `?a ?b …`; all JSON → `{ A || B … }` (`||` binds loosest,
 * so each condition keeps its meaning without parentheses); otherwise none.
 * The union must compile (length ≤ 1024, at most 3 wildcard selectors and
 * 2 regexes a pattern), else none.
 */
export function unionPattern(patterns: readonly (string | undefined)[]): string | undefined {
  if (patterns.length === 0) return undefined;
  const trimmed = patterns.map((p) => (p ?? '').trim());
  if (trimmed.some((p) => p === '')) return undefined;
  const distinct = [...new Set(trimmed)].sort();
  if (distinct.length === 1) return distinct[0];
  if (distinct.every((p) => filterPatternKind(p) === 'json')) return jsonUnion(distinct);
  const terms = new Set<string>();
  for (const p of distinct) {
    const alts = orTerms(p);
    if (alts === undefined) return undefined;
    for (const a of alts) terms.add(a);
  }
  const union = [...terms].sort().map((t) => '?' + t).join(' ');
  if (union.length > MAX_PATTERN_LENGTH) return undefined;
  try {
    compileFilterPattern(union);
  } catch {
    return undefined;
  }
  return union;
}

/** `{ A }`, `{ B }` → `{ A || B }`: a JSON message passes it iff it passes one of them; other messages pass none. */
function jsonUnion(patterns: readonly string[]): string | undefined {
  const conditions: string[] = [];
  for (const p of patterns) {
    const c = jsonCondition(p);
    if (c === undefined) return undefined;
    if (!conditions.includes(c)) conditions.push(c);
  }
  const union = `{ ${conditions.join(' || ')} }`;
  if (union.length > MAX_PATTERN_LENGTH) return undefined;
  try {
    compileFilterPattern(union);
  } catch {
    return undefined;
  }
  return union;
}
