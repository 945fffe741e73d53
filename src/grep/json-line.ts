/**
 * A fast path for JSON patterns over raw lines (`tailwatch grep`): follow the
 * keys the pattern's selectors start with (`user` → `id` for `$.user.id`) and
 * build only the values they end on, instead of JSON.parse building every
 * object of every line — the cost that dominates grepping JSON logs.
 *
 * What is built: a null-prototype object of the wanted top-level keys. A key
 * where some selector's leading keys end (`status` in `$.status`, `a` in
 * `$.a[0]` or `$.a.*`) gets its whole value, as JSON.parse gives it. A key
 * that selectors only pass through (`user` in `$.user.id`, and no `$.user`
 * or `$.user[0]`) gets, when its value is an object, the same kind of
 * cut-down object of the keys wanted inside it, and null when its value is
 * anything else (a selector steps into nothing there, as on the parse). So
 * every selector reaches on the projection exactly what it reaches on the
 * parsed line. Duplicate keys: the last one wins, at every level, as with
 * JSON.parse.
 *
 * One-sided by design. On a line that is valid JSON (and has no backslash)
 * the projection is exact: the pattern's answer on it is its answer on the
 * parsed line. On an invalid line the projection may be anything — but the
 * true answer there is "no match" (a non-JSON message never matches), so a
 * "no match" from the projection is always right, and a caller must confirm a
 * "match" the ordinary way (parseJsonMessage), which also applies the depth
 * limit — or with `validated`, a strict scan that accepts exactly the
 * backslash-free lines parseJsonMessage accepts. `project` itself never
 * validates, which is what makes it fast.
 *
 * It reads the chunk decoded as latin1 (one character a byte, offsets equal
 * to byte offsets, no UTF-8 decoding): JSON's structural characters are ASCII
 * and UTF-8 lead/continuation bytes are ≥ 0x80, so the structure is the
 * decoded text's. Without backslashes a string ends at the next quote, found
 * with a native `indexOf`; lines with a backslash return undefined (ordinary
 * path). Values of wanted keys are decoded from their UTF-8 bytes.
 *
 * `mayMatch` goes first: when every match needs one of a few texts
 * (CompiledFilterPattern.jsonAnyOf), a backslash-free line without any of
 * them is "no match" on sight, found by native searches of the chunk. The
 * lines left then mostly match, so `project` validates them in the same scan
 * (NOT_JSON exactly when a line is not JSON) instead of `validated` reading
 * each one a second time.
 */
import { MAX_JSON_DEPTH, NOT_JSON } from '../filter/index.js';
import { validString, validValue, wsAt } from './json-valid.js';

/** A wanted key of an object: its latin1 rendering of UTF-8 (what the scanner sees) and name; `inner` undefined: build its whole value. */
interface Want {
  readonly latin1: string;
  readonly name: string;
  readonly inner: Wants | undefined;
}

/** The wanted keys of one object by the length of their latin1 rendering, compared in place with startsWith. */
type Wants = (readonly Want[] | undefined)[];

interface PathTrie {
  whole: boolean;
  readonly next: Map<string, PathTrie>;
}

export class JsonLineProjector {
  private readonly root: Wants;
  /**
   * A wanted key holds U+FFFD (which a line can spell as invalid bytes) or a
   * lone surrogate (which no decoded line holds, but whose UTF-8 encoding is
   * U+FFFD's): comparing bytes would not be exact, so every line takes the
   * ordinary path.
   */
  private readonly bytesAmbiguous: boolean;
  private text = '';
  private buf: Buffer = Buffer.alloc(0);
  /** Index of the next backslash at or after the last line start (Infinity: none), so each chunk is searched once. */
  private nextBackslash = -1;
  /** Where the object that `members` just read ends (after its `}`). */
  private at = 0;
  /**
   * The latin1 renderings of `anyOf` without a leading quote (what is searched
   * for: a native search looks for the first character, and quotes are
   * everywhere in JSON), whether one was cut, and the index of the next
   * occurrence of each at or after the last line start (Infinity: none).
   */
  private readonly anyOf: readonly string[] | undefined;
  private readonly quoted: readonly boolean[];
  private readonly nextHit: number[];
  /** `project` validates as it scans; the last line it found valid (reset per chunk). */
  private readonly validating: boolean;
  private validStart = -1;
  private validEnd = -1;

  /**
   * `paths`: each selector's leading keys (`['user', 'id']`); a string is a
   * path of one key. `anyOf`: texts one of which every matching
   * backslash-free JSON line contains (CompiledFilterPattern.jsonAnyOf), for
   * `mayMatch`. `validate` (default: when there are `anyOf` texts, as the
   * lines that pass mayMatch mostly match and so need validating anyway):
   * `project` validates the line in the same scan — NOT_JSON exactly when it
   * is not JSON — and `validated` answers from that scan.
   */
  constructor(paths: Iterable<string | readonly string[]>, anyOf?: readonly string[], validate = anyOf !== undefined) {
    this.validating = validate;
    const texts = (anyOf ?? []).map((t) => Buffer.from(t, 'utf8').toString('latin1'));
    this.quoted = texts.map((t) => t.length > 1 && t.startsWith('"'));
    this.anyOf = anyOf === undefined ? undefined : texts.map((t, k) => (this.quoted[k] ? t.slice(1) : t));
    this.nextHit = texts.map(() => -1);
    const trie: PathTrie = { whole: false, next: new Map() };
    let ambiguous = false;
    for (const path of paths) {
      let node = trie;
      for (const key of typeof path === 'string' ? [path] : path) {
        if (AMBIGUOUS.test(key)) ambiguous = true;
        let child = node.next.get(key);
        if (child === undefined) node.next.set(key, (child = { whole: false, next: new Map() }));
        node = child;
      }
      node.whole = true;
    }
    this.root = wants(trie);
    this.bytesAmbiguous = ambiguous;
  }

  /** Starts a new chunk: `text` is `buf` decoded as latin1. */
  reset(text: string, buf: Buffer): void {
    this.text = text;
    this.buf = buf;
    this.nextBackslash = -1;
    this.nextHit.fill(-1);
    this.validStart = this.validEnd = -1;
  }

  /**
   * False when the line text[start, end) has no backslash and contains none
   * of the `anyOf` texts: then the pattern cannot match it (no match on a
   * valid line, and none is possible on an invalid one). Each text is
   * searched natively once per occurrence, not once per line.
   */
  mayMatch(start: number, end: number): boolean {
    const anyOf = this.anyOf;
    if (anyOf === undefined || this.backslashIn(start, end)) return true;
    const next = this.nextHit;
    for (let k = 0; k < anyOf.length; k++) {
      if (next[k]! < start) next[k] = this.find(k, start);
      if (next[k]! < end) return true;
    }
    return false;
  }

  /** Where `anyOf[k]` (with its quote) next occurs at or after `from`; Infinity when nowhere in the chunk. */
  private find(k: number, from: number): number {
    const text = this.text;
    const needle = this.anyOf![k]!;
    if (!this.quoted[k]) {
      const found = text.indexOf(needle, from);
      return found < 0 ? Infinity : found;
    }
    for (let at = from + 1; ; ) {
      const found = text.indexOf(needle, at);
      if (found < 0) return Infinity;
      if (text.charCodeAt(found - 1) === 34) return found - 1;
      at = found + 1;
    }
  }

  private backslashIn(start: number, end: number): boolean {
    if (this.nextBackslash < start) {
      const found = this.text.indexOf('\\', start);
      this.nextBackslash = found < 0 ? Infinity : found;
    }
    return this.nextBackslash < end;
  }

  /** The line text[start, end): the null-prototype projection (see above), NOT_JSON, or undefined (take the ordinary path). */
  project(start: number, end: number): Record<string, unknown> | typeof NOT_JSON | undefined {
    if (this.bytesAmbiguous || this.backslashIn(start, end)) return undefined;
    if (this.validating) return this.projectValid(start, end);
    const text = this.text;
    const i = ws(text, start, end);
    const first = text.charCodeAt(i);
    if (first === 91) return Object.create(null) as Record<string, unknown>; // a top-level array: key selectors find nothing in it
    if (first !== 123) return NOT_JSON;
    return this.members(this.root, i, end);
  }

  /** The wanted members of the object whose `{` is at `open` (NOT_JSON when it is cut short or malformed); sets `at` to after its `}`. */
  private members(wanted: Wants, open: number, end: number): Record<string, unknown> | typeof NOT_JSON {
    const text = this.text;
    const out = Object.create(null) as Record<string, unknown>;
    let i = ws(text, open + 1, end);
    if (text.charCodeAt(i) === 125) {
      this.at = i + 1;
      return out;
    }
    for (;;) {
      if (i >= end || text.charCodeAt(i) !== 34) return NOT_JSON;
      const keyEnd = text.indexOf('"', i + 1);
      if (keyEnd < 0 || keyEnd >= end) return NOT_JSON;
      const keyStart = i + 1;
      i = ws(text, keyEnd + 1, end);
      if (text.charCodeAt(i) !== 58) return NOT_JSON;
      const valueStart = ws(text, i + 1, end);
      let want: Want | undefined;
      const candidates = wanted[keyEnd - keyStart];
      if (candidates !== undefined) {
        for (const w of candidates) {
          if (text.startsWith(w.latin1, keyStart)) {
            want = w;
            break;
          }
        }
      }
      let valueEnd: number;
      if (want !== undefined && want.inner !== undefined && text.charCodeAt(valueStart) === 123) {
        const inner = this.members(want.inner, valueStart, end);
        if (inner === NOT_JSON) return NOT_JSON;
        out[want.name] = inner;
        valueEnd = this.at;
      } else {
        valueEnd = skip(text, valueStart, end);
        if (valueEnd < 0) return NOT_JSON;
        if (want !== undefined) {
          // Passed-through keys on something other than an object: nothing below it is reached.
          const value = want.inner !== undefined ? null : this.value(valueStart, valueEnd);
          if (value === NOT_JSON) return NOT_JSON;
          out[want.name] = value;
        }
      }
      i = ws(text, valueEnd, end);
      const c = text.charCodeAt(i);
      if (c === 44) {
        i = ws(text, i + 1, end);
        continue;
      }
      if (c !== 125) return NOT_JSON;
      this.at = i + 1;
      return out;
    }
  }

  /** `project` that validates as it goes: the same projection on a valid line, NOT_JSON on any other. */
  private projectValid(start: number, end: number): Record<string, unknown> | typeof NOT_JSON {
    const b = this.buf;
    const i = wsAt(b, start, end);
    let out: Record<string, unknown> | typeof NOT_JSON = NOT_JSON;
    if (i < end && b[i] === 123) out = this.validMembers(this.root, i, end, 0);
    else if (i < end && b[i] === 91) {
      this.at = validValue(b, i, end, 0);
      if (this.at >= 0) out = Object.create(null) as Record<string, unknown>;
    }
    if (out === NOT_JSON || wsAt(b, this.at, end) !== end) return NOT_JSON;
    this.validStart = start;
    this.validEnd = end;
    return out;
  }

  /** `members`, validating every byte as `validValue` does; the object's `{` is at `open`, inside `depth` containers. */
  private validMembers(wanted: Wants, open: number, end: number, depth: number): Record<string, unknown> | typeof NOT_JSON {
    const b = this.buf;
    const out = Object.create(null) as Record<string, unknown>;
    let i = wsAt(b, open + 1, end);
    if (i < end && b[i] === 125) {
      this.at = i + 1;
      return out;
    }
    for (;;) {
      if (i >= end || b[i] !== 34) return NOT_JSON;
      const keyStart = i + 1;
      const afterKey = validString(b, i, end);
      if (afterKey < 0) return NOT_JSON;
      i = wsAt(b, afterKey, end);
      if (i >= end || b[i] !== 58) return NOT_JSON;
      const valueStart = wsAt(b, i + 1, end);
      let want: Want | undefined;
      const candidates = wanted[afterKey - 1 - keyStart];
      if (candidates !== undefined) {
        for (const w of candidates) {
          if (this.text.startsWith(w.latin1, keyStart)) {
            want = w;
            break;
          }
        }
      }
      let valueEnd: number;
      if (want !== undefined && want.inner !== undefined && valueStart < end && b[valueStart] === 123) {
        if (depth + 1 >= MAX_JSON_DEPTH) return NOT_JSON;
        const inner = this.validMembers(want.inner, valueStart, end, depth + 1);
        if (inner === NOT_JSON) return NOT_JSON;
        out[want.name] = inner;
        valueEnd = this.at;
      } else {
        valueEnd = validValue(b, valueStart, end, depth + 1);
        if (valueEnd < 0) return NOT_JSON;
        if (want !== undefined) out[want.name] = want.inner !== undefined ? null : this.value(valueStart, valueEnd);
      }
      i = wsAt(b, valueEnd, end);
      if (i >= end) return NOT_JSON;
      const c = b[i];
      if (c === 44) {
        i = wsAt(b, i + 1, end);
        continue;
      }
      if (c !== 125) return NOT_JSON;
      this.at = i + 1;
      return out;
    }
  }

  /**
   * Whether the line text[start, end) is a JSON message parseJsonMessage
   * accepts — an object or array in strict JSON (RFC 8259), nested at most
   * MAX_JSON_DEPTH deep — and has no backslash. True only then, so on such a
   * line `project`'s projection is exact and its answer needs no confirming;
   * false sends the line the ordinary way. A strict scan of every byte (string
   * contents: no control character; non-ASCII bytes only inside strings, where
   * invalid UTF-8 becomes U+FFFD, which is still string content), meant for
   * the few lines whose projection matches.
   */
  validated(start: number, end: number): boolean {
    if (start === this.validStart && end === this.validEnd) return true;
    // Bytes: indexing a Buffer is faster than charCodeAt, and this reads each one.
    const bytes = this.buf;
    const i = wsAt(bytes, start, end);
    if (i >= end || (bytes[i] !== 123 && bytes[i] !== 91)) return false;
    const after = validValue(bytes, i, end, 0);
    return after >= 0 && wsAt(bytes, after, end) === end;
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

/** U+FFFD or a lone surrogate. */
const AMBIGUOUS = /\uFFFD|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function wants(node: PathTrie): Wants {
  const byLength: Want[][] = [];
  for (const [name, child] of node.next) {
    const latin1 = Buffer.from(name, 'utf8').toString('latin1');
    (byLength[latin1.length] ??= []).push({ latin1, name, inner: child.whole ? undefined : wants(child) });
  }
  return byLength;
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
