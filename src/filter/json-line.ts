/**
 * A fast path for JSON patterns over raw UTF-8 lines (`tailwatch grep`):
 * validate the line as JSON and build only the top-level keys the pattern's
 * selectors start with, instead of JSON.parse building every object of every
 * line (the cost that dominates grepping JSON logs).
 *
 * It works on the line's bytes read as latin1 (one character a byte, no
 * decoding), and only takes lines without a backslash: there a string is
 * everything up to the next quote, so strings are skipped with a native
 * `indexOf`. Lines with a backslash return undefined and the caller takes the
 * ordinary path (parseJsonMessage).
 *
 * One-sided: raw control characters inside strings are not checked (that
 * would cost a scan of every byte), so a line JSON.parse rejects for one may
 * come back as an object. A caller must therefore confirm a line the pattern
 * matches with the ordinary path; a line it does not match is settled, since
 * a valid JSON line without backslashes projects exactly. Otherwise the
 * answers are parseJsonMessage's on the decoded line: JSON's structural
 * characters are ASCII and UTF-8 lead/continuation bytes are ≥ 0x80, so the
 * bytes show the same structure as the decoded text; a byte ≥ 0x80 outside a
 * string is invalid either way. Scalars and nesting deeper than
 * MAX_JSON_DEPTH are NOT_JSON; duplicate keys keep the last value. The result
 * is a null-prototype object with only the wanted keys, which the pattern's
 * selectors read as they would read the whole message (a top-level array
 * gives an empty object: key selectors find nothing in either).
 */
import { MAX_JSON_DEPTH, NOT_JSON } from './message.js';

const INVALID = -1;

/** The keys to keep, as their latin1 renderings of UTF-8 (what the scanner sees). */
export interface LineKeys {
  readonly byLatin1: ReadonlyMap<string, string>;
  readonly lengths: ReadonlySet<number>;
}

export function lineKeys(keys: Iterable<string>): LineKeys {
  const byLatin1 = new Map<string, string>();
  for (const k of keys) byLatin1.set(Buffer.from(k, 'utf8').toString('latin1'), k);
  return { byLatin1, lengths: new Set([...byLatin1.keys()].map((k) => k.length)) };
}

export function projectJsonLine(buf: Buffer, start: number, end: number, keys: LineKeys): Record<string, unknown> | typeof NOT_JSON | undefined {
  const text = buf.toString('latin1', start, end);
  if (text.includes('\\')) return undefined;
  const out = Object.create(null) as Record<string, unknown>;
  const n = text.length;
  let i = ws(text, 0);
  const first = text.charCodeAt(i);
  if (first === 91) {
    const after = skipValue(text, i, 0);
    return after >= 0 && ws(text, after) === n ? out : NOT_JSON;
  }
  if (first !== 123) return NOT_JSON;
  i = ws(text, i + 1);
  if (text.charCodeAt(i) === 125) return ws(text, i + 1) === n ? out : NOT_JSON;
  for (;;) {
    if (text.charCodeAt(i) !== 34) return NOT_JSON;
    const keyEnd = text.indexOf('"', i + 1);
    if (keyEnd < 0) return NOT_JSON;
    const keyStart = i + 1;
    i = ws(text, keyEnd + 1);
    if (text.charCodeAt(i) !== 58) return NOT_JSON;
    const valueStart = ws(text, i + 1);
    i = skipValue(text, valueStart, 1);
    if (i < 0) return NOT_JSON;
    if (keys.lengths.has(keyEnd - keyStart)) {
      const name = keys.byLatin1.get(text.slice(keyStart, keyEnd));
      if (name !== undefined) {
        const value = valueOf(buf, start, text, valueStart, i);
        if (value === NOT_JSON) return NOT_JSON;
        out[name] = value;
      }
    }
    i = ws(text, i);
    const c = text.charCodeAt(i);
    if (c === 44) {
      i = ws(text, i + 1);
      continue;
    }
    if (c !== 125) return NOT_JSON;
    return ws(text, i + 1) === n ? out : NOT_JSON;
  }
}

function valueOf(buf: Buffer, base: number, text: string, from: number, to: number): unknown {
  const c = text.charCodeAt(from);
  if (c === 34) return buf.toString('utf8', base + from + 1, base + to - 1);
  if (c === 116) return true;
  if (c === 102) return false;
  if (c === 110) return null;
  if (c === 123 || c === 91) {
    try {
      return JSON.parse(buf.toString('utf8', base + from, base + to)) as unknown;
    } catch {
      return NOT_JSON; // a raw control character in a nested string: the whole line is not JSON
    }
  }
  return Number(text.slice(from, to));
}

/** JSON whitespace (a line has no `\n`). */
function ws(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13 && c !== 10) return i;
    i++;
  }
}

function skipValue(text: string, i: number, depth: number): number {
  const c = text.charCodeAt(i);
  if (c === 34) {
    const close = text.indexOf('"', i + 1);
    return close < 0 ? INVALID : close + 1;
  }
  if (c === 123 || c === 91) {
    if (depth + 1 > MAX_JSON_DEPTH) return INVALID;
    const close = c === 123 ? 125 : 93;
    i = ws(text, i + 1);
    if (text.charCodeAt(i) === close) return i + 1;
    for (;;) {
      if (c === 123) {
        if (text.charCodeAt(i) !== 34) return INVALID;
        const keyEnd = text.indexOf('"', i + 1);
        if (keyEnd < 0) return INVALID;
        i = ws(text, keyEnd + 1);
        if (text.charCodeAt(i) !== 58) return INVALID;
        i = ws(text, i + 1);
      }
      i = skipValue(text, i, depth + 1);
      if (i < 0) return INVALID;
      i = ws(text, i);
      const d = text.charCodeAt(i);
      if (d === close) return i + 1;
      if (d !== 44) return INVALID;
      i = ws(text, i + 1);
    }
  }
  if (c === 116) return text.startsWith('true', i) ? i + 4 : INVALID;
  if (c === 102) return text.startsWith('false', i) ? i + 5 : INVALID;
  if (c === 110) return text.startsWith('null', i) ? i + 4 : INVALID;
  return skipNumber(text, i);
}

/** JSON's number grammar: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)? */
function skipNumber(text: string, i: number): number {
  if (text.charCodeAt(i) === 45) i++;
  if (!isDigit(text.charCodeAt(i))) return INVALID;
  if (text.charCodeAt(i) === 48) i++;
  else while (isDigit(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) === 46) {
    i++;
    if (!isDigit(text.charCodeAt(i))) return INVALID;
    while (isDigit(text.charCodeAt(i))) i++;
  }
  const e = text.charCodeAt(i);
  if (e === 101 || e === 69) {
    i++;
    const sign = text.charCodeAt(i);
    if (sign === 43 || sign === 45) i++;
    if (!isDigit(text.charCodeAt(i))) return INVALID;
    while (isDigit(text.charCodeAt(i))) i++;
  }
  return i;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
