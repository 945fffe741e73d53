/**
 * A fast path for JSON patterns over raw lines (`tailwatch grep`): find the
 * top-level keys the pattern's selectors start with and build only their
 * values, instead of JSON.parse building every object of every line — the
 * cost that dominates grepping JSON logs.
 *
 * One-sided by design. On a line that is valid JSON (and has no backslash)
 * the projection is exact: the pattern's answer on it is its answer on the
 * parsed line. On an invalid line the projection may be anything — but the
 * true answer there is "no match" (a non-JSON message never matches), so a
 * "no match" from the projection is always right, and a caller must confirm a
 * "match" the ordinary way (parseJsonMessage), which also applies the depth
 * limit. Lines are never validated here, which is what makes this fast.
 *
 * It reads the chunk decoded as latin1 (one character a byte, offsets equal
 * to byte offsets, no UTF-8 decoding): JSON's structural characters are ASCII
 * and UTF-8 lead/continuation bytes are ≥ 0x80, so the structure is the
 * decoded text's. Without backslashes a string ends at the next quote, found
 * with a native `indexOf`; lines with a backslash return undefined (ordinary
 * path). Values of wanted keys are decoded from their UTF-8 bytes.
 */
import { NOT_JSON } from './message.js';

export class JsonLineProjector {
  /**
   * The wanted keys by the length of their latin1 rendering of UTF-8 (what the
   * scanner sees): [latin1, key] pairs, compared in place with startsWith.
   */
  private readonly byLength: (readonly (readonly [string, string])[] | undefined)[] = [];
  private text = '';
  private buf: Buffer = Buffer.alloc(0);
  /** Index of the next backslash at or after the last line start (Infinity: none), so each chunk is searched once. */
  private nextBackslash = -1;

  constructor(keys: Iterable<string>) {
    for (const k of new Set(keys)) {
      const latin1 = Buffer.from(k, 'utf8').toString('latin1');
      const list = (this.byLength[latin1.length] ??= []) as (readonly [string, string])[];
      list.push([latin1, k]);
    }
  }

  /** Starts a new chunk: `text` is `buf` decoded as latin1. */
  reset(text: string, buf: Buffer): void {
    this.text = text;
    this.buf = buf;
    this.nextBackslash = -1;
  }

  /** The line text[start, end): a null-prototype object of the wanted keys, NOT_JSON, or undefined (take the ordinary path). */
  project(start: number, end: number): Record<string, unknown> | typeof NOT_JSON | undefined {
    const text = this.text;
    if (this.nextBackslash < start) {
      const found = text.indexOf('\\', start);
      this.nextBackslash = found < 0 ? Infinity : found;
    }
    if (this.nextBackslash < end) return undefined;
    const out = Object.create(null) as Record<string, unknown>;
    let i = ws(text, start, end);
    const first = text.charCodeAt(i);
    if (first === 91) return out; // a top-level array: key selectors find nothing in it
    if (first !== 123) return NOT_JSON;
    i = ws(text, i + 1, end);
    if (text.charCodeAt(i) === 125) return out;
    for (;;) {
      if (i >= end || text.charCodeAt(i) !== 34) return NOT_JSON;
      const keyEnd = text.indexOf('"', i + 1);
      if (keyEnd < 0 || keyEnd >= end) return NOT_JSON;
      const keyStart = i + 1;
      i = ws(text, keyEnd + 1, end);
      if (text.charCodeAt(i) !== 58) return NOT_JSON;
      const valueStart = ws(text, i + 1, end);
      const valueEnd = skip(text, valueStart, end);
      if (valueEnd < 0) return NOT_JSON;
      const candidates = this.byLength[keyEnd - keyStart];
      if (candidates !== undefined) {
        for (const [latin1, name] of candidates) {
          if (!text.startsWith(latin1, keyStart)) continue;
          const value = this.value(valueStart, valueEnd);
          if (value === NOT_JSON) return NOT_JSON;
          out[name] = value;
          break;
        }
      }
      i = ws(text, valueEnd, end);
      const c = text.charCodeAt(i);
      if (c === 44) {
        i = ws(text, i + 1, end);
        continue;
      }
      return c === 125 ? out : NOT_JSON;
    }
  }

  /** The value at text[from, to) as JSON.parse gives it when the line is valid. */
  private value(from: number, to: number): unknown {
    const text = this.text;
    const c = text.charCodeAt(from);
    if (c === 34) return this.utf8(from + 1, to - 1);
    if (c === 116) return true;
    if (c === 102) return false;
    if (c === 110) return null;
    if (c === 123 || c === 91) {
      try {
        return JSON.parse(this.utf8(from, to)) as unknown;
      } catch {
        return NOT_JSON;
      }
    }
    return Number(text.slice(from, to));
  }

  /** The bytes [from, to) decoded as UTF-8: ASCII bytes are their latin1 text, taken without decoding. */
  private utf8(from: number, to: number): string {
    const text = this.text;
    for (let i = from; i < to; i++) if (text.charCodeAt(i) > 127) return this.buf.toString('utf8', from, to);
    return text.slice(from, to);
  }
}

function ws(text: string, i: number, end: number): number {
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13 && c !== 10) break;
    i++;
  }
  return i;
}

/** The end of the value starting at `i` (valid JSON assumed; -1 when the line ends first). */
function skip(text: string, i: number, end: number): number {
  if (i >= end) return -1;
  const c = text.charCodeAt(i);
  if (c === 34) {
    const close = text.indexOf('"', i + 1);
    return close < 0 || close >= end ? -1 : close + 1;
  }
  if (c === 123 || c === 91) {
    let depth = 0;
    for (let j = i; j < end; j++) {
      const d = text.charCodeAt(j);
      if (d === 34) {
        j = text.indexOf('"', j + 1);
        if (j < 0 || j >= end) return -1;
      } else if (d === 123 || d === 91) depth++;
      else if ((d === 125 || d === 93) && --depth === 0) return j + 1;
    }
    return -1;
  }
  let j = i;
  while (j < end) {
    const d = text.charCodeAt(j);
    if (d === 44 || d === 125 || d === 93 || d === 32 || d === 9 || d === 13 || d === 10) break;
    j++;
  }
  return j === i ? -1 : j;
}
