/**
 * The value of one top-level key of a JSON message, without building the
 * rest of it: exactly `parseJsonMessage(text)` followed by a `$.key` lookup,
 * for callers that need one field of a message (a `groupBy`, a `match` leaf)
 * and not the whole object. The scan validates the whole text as JSON.parse
 * does (RFC 8259: whitespace, string escapes and control characters, number
 * syntax, literals, no trailing commas, nothing after the value), applies
 * parseJsonMessage's rules (an object or array at the top, nesting at most
 * MAX_JSON_DEPTH when the text is longer than that), and keeps the last
 * occurrence of the key as JSON.parse does with duplicates. Only the chosen
 * value is decoded (by JSON.parse when it is an escaped string, an object or
 * an array). test/filter/json-prefilter.test.ts checks it against
 * parseJsonMessage.
 */
import { MAX_JSON_DEPTH, NOT_JSON } from './message.js';

/** NOT_JSON when parseJsonMessage(text) is; undefined when `$.key` reaches nothing; else its value. */
export function jsonTopValue(text: string, key: string): unknown {
  const n = text.length;
  let i = skipSpace(text, 0);
  const first = text.charCodeAt(i);
  if (first !== 123 && first !== 91) return NOT_JSON;
  // Without a backslash or a control character anywhere, a string ends at the next quote.
  const plain = text.indexOf('\\') < 0 && !CONTROL.test(text);
  const stack: number[] = [];
  let foundStart = -1;
  let foundEnd = -1;
  // The value about to be read is the key's, at the top level; a container one ends at `targetDepth`.
  let target = false;
  let targetStart = -1;
  let targetDepth = -1;
  for (;;) {
    // A value starts at i.
    const c = text.charCodeAt(i);
    const isTarget = target;
    target = false;
    if (c === 123 || c === 91) {
      stack.push(c);
      if (stack.length > MAX_JSON_DEPTH && n > MAX_JSON_DEPTH) return NOT_JSON;
      if (isTarget) {
        targetStart = i;
        targetDepth = stack.length;
      }
      i = skipSpace(text, i + 1);
      const close = c === 123 ? 125 : 93;
      if (text.charCodeAt(i) !== close) {
        if (c === 123) {
          i = member(text, i, stack.length === 1, key, plain);
          if (i === -1) return NOT_JSON;
          target = i < 0;
          if (target) i = ~i;
        }
        continue;
      }
      // An empty container: closed right away, handled with the other closings below.
    } else {
      const start = i;
      if (c === 34) i = plain ? plainString(text, i) : escapedString(text, i);
      else if (c === 45 || (c >= 48 && c <= 57)) i = number(text, i);
      else if (c === 116 && text.startsWith('true', i)) i += 4;
      else if (c === 102 && text.startsWith('false', i)) i += 5;
      else if (c === 110 && text.startsWith('null', i)) i += 4;
      else return NOT_JSON;
      if (i < 0) return NOT_JSON;
      if (isTarget) {
        foundStart = start;
        foundEnd = i;
      }
      i = skipSpace(text, i);
    }
    // After a value (or at an empty container's closing bracket): close containers, or go on after a comma.
    for (;;) {
      if (stack.length === 0) return i === n ? decode(text, foundStart, foundEnd) : NOT_JSON;
      const top = stack[stack.length - 1]!;
      const ch = text.charCodeAt(i);
      if (ch === (top === 123 ? 125 : 93)) {
        if (stack.length === targetDepth) {
          foundStart = targetStart;
          foundEnd = i + 1;
          targetDepth = -1;
        }
        stack.pop();
        i = skipSpace(text, i + 1);
        continue;
      }
      if (ch !== 44) return NOT_JSON;
      i = skipSpace(text, i + 1);
      if (top === 123) {
        i = member(text, i, stack.length === 1, key, plain);
        if (i === -1) return NOT_JSON;
        target = i < 0;
        if (target) i = ~i;
      }
      break;
    }
  }
}

/**
 * A member's `"name" ws : ws` at i: the index of its value, its bitwise
 * complement (< -1) when the member is the key looked for at the top level,
 * -1 when invalid. (Small integers all the way: V8 keeps them unboxed.)
 */
function member(text: string, i: number, top: boolean, key: string, plain: boolean): number {
  if (text.charCodeAt(i) !== 34) return -1;
  escaped = false;
  const end = plain ? plainString(text, i) : escapedString(text, i);
  if (end < 0) return -1;
  let hit = false;
  // A name with an escape is compared decoded; one without is its own text.
  if (top) hit = escaped ? JSON.parse(text.slice(i, end)) === key : end - i - 2 === key.length && text.startsWith(key, i + 1);
  let j = skipSpace(text, end);
  if (text.charCodeAt(j) !== 58) return -1;
  j = skipSpace(text, j + 1);
  return hit ? ~j : j;
}

function decode(text: string, start: number, end: number): unknown {
  if (start < 0) return undefined;
  const c = text.charCodeAt(start);
  if (c === 34) {
    const raw = text.slice(start + 1, end - 1);
    return raw.indexOf('\\') < 0 ? raw : JSON.parse(text.slice(start, end));
  }
  if (c === 116) return true;
  if (c === 102) return false;
  if (c === 110) return null;
  if (c === 123 || c === 91) return JSON.parse(text.slice(start, end));
  return Number(text.slice(start, end));
}

// Reads stay below text.length where they loop: charCodeAt past the end is NaN, a double that slows every comparison.

function skipSpace(text: string, i: number): number {
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return i;
    i++;
  }
  return i;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

const CONTROL = /[\x00-\x1f]/;

/** Set by escapedString when the string it read has an escape. */
let escaped = false;

/** plainString for text without backslashes and control characters. */
function plainString(text: string, i: number): number {
  const end = text.indexOf('"', i + 1);
  return end < 0 ? -1 : end + 1;
}

/** A string token at i (on its quote): the index after its closing quote, -1 when invalid. */
function escapedString(text: string, i: number): number {
  const n = text.length;
  for (let j = i + 1; j < n; j++) {
    const c = text.charCodeAt(j);
    if (c === 34) return j + 1;
    if (c === 92) {
      escaped = true;
      if (j + 1 >= n) return -1;
      const e = text.charCodeAt(++j);
      if (e === 117) {
        if (j + 4 >= n || !isHex(text.charCodeAt(j + 1)) || !isHex(text.charCodeAt(j + 2)) || !isHex(text.charCodeAt(j + 3)) || !isHex(text.charCodeAt(j + 4))) return -1;
        j += 4;
      } else if (e !== 34 && e !== 92 && e !== 47 && e !== 98 && e !== 102 && e !== 110 && e !== 114 && e !== 116) return -1;
    } else if (c < 32) return -1; // a control character
  }
  return -1; // unterminated
}

function digits(text: string, i: number): number {
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return i;
    i++;
  }
  return i;
}

/** A number token at i: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`; the index after it, -1 when invalid. */
function number(text: string, i: number): number {
  if (text.charCodeAt(i) === 45) i++;
  const c = text.charCodeAt(i);
  if (c === 48) i++;
  else if (c >= 49 && c <= 57) i = digits(text, i + 1);
  else return -1;
  if (text.charCodeAt(i) === 46) {
    const j = digits(text, i + 1);
    if (j === i + 1) return -1;
    i = j;
  }
  const e = text.charCodeAt(i);
  if (e === 101 || e === 69) {
    i++;
    const s = text.charCodeAt(i);
    if (s === 43 || s === 45) i++;
    const j = digits(text, i);
    if (j === i) return -1;
    i = j;
  }
  return i;
}
