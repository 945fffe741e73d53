/**
 * A strict JSON scan over bytes, for grep's JSON fast path (json-line.ts):
 * accepts exactly the backslash-free text that parseJsonMessage accepts as a
 * value (RFC 8259, nested at most MAX_JSON_DEPTH deep), without building
 * anything. Strings may hold no backslash (a line with one takes the
 * ordinary path before it gets here) and no control character; non-ASCII
 * bytes are string content (invalid UTF-8 decodes to U+FFFD, which is still
 * string content).
 */
import { MAX_JSON_DEPTH } from '../filter/index.js';

/** The end of the valid JSON value at b[i, end), inside `depth` containers; -1 when it is not one. */
export function validValue(b: Uint8Array, i: number, end: number, depth: number): number {
  if (i >= end) return -1;
  const c = b[i];
  if (c === 34) return validString(b, i, end);
  if (c === 123 || c === 91) {
    if (depth >= MAX_JSON_DEPTH) return -1;
    const close = c + 2; // } or ]
    let j = wsAt(b, i + 1, end);
    if (j < end && b[j] === close) return j + 1;
    for (;;) {
      if (c === 123) {
        if (j >= end || b[j] !== 34) return -1;
        j = validString(b, j, end);
        if (j < 0) return -1;
        j = wsAt(b, j, end);
        if (j >= end || b[j] !== 58) return -1;
        j = wsAt(b, j + 1, end);
      }
      j = validValue(b, j, end, depth + 1);
      if (j < 0) return -1;
      j = wsAt(b, j, end);
      if (j >= end) return -1;
      const d = b[j];
      if (d === close) return j + 1;
      if (d !== 44) return -1;
      j = wsAt(b, j + 1, end);
    }
  }
  if (c === 116) return end - i >= 4 && b[i + 1] === 114 && b[i + 2] === 117 && b[i + 3] === 101 ? i + 4 : -1;
  if (c === 102) return end - i >= 5 && b[i + 1] === 97 && b[i + 2] === 108 && b[i + 3] === 115 && b[i + 4] === 101 ? i + 5 : -1;
  if (c === 110) return end - i >= 4 && b[i + 1] === 117 && b[i + 2] === 108 && b[i + 3] === 108 ? i + 4 : -1;
  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?
  let j = c === 45 ? i + 1 : i;
  if (j >= end) return -1;
  const lead = b[j]!;
  if (lead === 48) j++;
  else if (lead >= 49 && lead <= 57) j = digits(b, j + 1, end);
  else return -1;
  if (j < end && b[j] === 46) {
    const from = j + 1;
    j = digits(b, from, end);
    if (j === from) return -1;
  }
  if (j < end && (b[j]! | 32) === 101) {
    let from = j + 1;
    if (from < end && (b[from] === 43 || b[from] === 45)) from++;
    j = digits(b, from, end);
    if (j === from) return -1;
  }
  return j;
}

export function wsAt(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = b[i];
    if (c !== 32 && c !== 9 && c !== 13 && c !== 10) break;
    i++;
  }
  return i;
}

/** The end of the string whose `"` is at `i` (no control character, no backslash); -1 when it is not one. */
export function validString(b: Uint8Array, i: number, end: number): number {
  for (let j = i + 1; j < end; j++) {
    const c = b[j]!;
    if (c === 34) return j + 1;
    if (c < 32 || c === 92) return -1;
  }
  return -1;
}

function digits(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = b[i]!;
    if (c < 48 || c > 57) break;
    i++;
  }
  return i;
}
