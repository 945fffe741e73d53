/**
 * A sound, one-sided prefilter for JSON patterns on the raw message text, so
 * that the rule engine can skip `JSON.parse` (and the pattern) for messages no
 * comparison can hold on.
 *
 * Why a raw scan can say "no": in JSON text without a backslash, no string
 * has an escape, so every `"` delimits a string and a string's raw text is
 * its value. A key K is then spelled `"K"` in the text and nowhere else as a
 * token, and the value a selector ending in key K reaches (`$.a.K`,
 * `$.a[*].K`, at whatever depth and whichever of duplicate keys JSON.parse
 * keeps) is the value token after one of the `"K"` ws `:` ws occurrences. So
 * when no such value token satisfies the comparison, the pattern cannot hold
 * on that comparison. On text that is not valid JSON the pattern never
 * matches, so any answer there is right; that is why the scan needs no
 * validation. A message with a backslash anywhere is always "maybe".
 *
 * Comparisons combine as the pattern does (`&&`: every part may hold; `||`:
 * some part may), and what the scan cannot reason about — selectors ending in
 * an index or a wildcard, `NOT EXISTS` — is "maybe". The answer is "maybe" or
 * "certainly not", never "certainly yes": a "maybe" is decided by the real
 * parse and test. test/filter/json-prefilter.test.ts checks this against the
 * full matcher.
 */

/** Raw-text test: false only when the pattern certainly does not match the message (no backslash in it). */
export type RawTest = (raw: string) => boolean;

/** A RawTest for any message; `escaped` (whether it holds a backslash) when the caller already knows. */
export type GuardedTest = (raw: string, escaped?: boolean) => boolean;

/** Whether some value token after a `"key":` in the raw text passes `test` (values as JSON.parse gives them). */
export function keyValueMay(key: string, test: (v: unknown) => boolean): RawTest {
  // Searched without its opening quote, which is checked after: V8 scans for the first character
  // of the needle, and quotes are the most common character of JSON text.
  const needle = `${key}"`;
  return (raw) => {
    for (let at = raw.indexOf(needle, 1); at >= 0; at = raw.indexOf(needle, at + 1)) {
      if (raw.charCodeAt(at - 1) !== 34) continue;
      const v = valueAfterKey(raw, at + needle.length);
      if (v !== NO_VALUE && test(v)) return true;
    }
    return false;
  };
}

/** Some part may hold. */
export function anyMay(parts: readonly RawTest[]): RawTest {
  if (parts.length === 1) return parts[0]!;
  if (parts.length === 2) {
    const [a, b] = parts as [RawTest, RawTest];
    return (raw) => a(raw) || b(raw);
  }
  return (raw) => parts.some((p) => p(raw));
}

/** Every part may hold. */
export function allMay(parts: readonly RawTest[]): RawTest {
  if (parts.length === 1) return parts[0]!;
  if (parts.length === 2) {
    const [a, b] = parts as [RawTest, RawTest];
    return (raw) => a(raw) && b(raw);
  }
  return (raw) => parts.every((p) => p(raw));
}

/** The raw test guarded for messages with escapes, where it would not be sound. */
export function guarded(test: RawTest): GuardedTest {
  return (raw, escaped = raw.indexOf('\\') >= 0) => escaped || test(raw);
}

const NO_VALUE: unique symbol = Symbol('no-value');

function isJsonSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

/** Characters a JSON number token is made of. */
function isNumberChar(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46 || c === 101 || c === 69;
}

/**
 * After a `"key"` ending at `i`: ws `:` ws and a scalar value token, as
 * JSON.parse would read it; NO_VALUE when no `:` follows (the string was not
 * a key) or the value is an object or array (no comparison holds on those).
 */
function valueAfterKey(raw: string, i: number): unknown {
  let c = raw.charCodeAt(i);
  while (isJsonSpace(c)) c = raw.charCodeAt(++i);
  if (c !== 58) return NO_VALUE;
  c = raw.charCodeAt(++i);
  while (isJsonSpace(c)) c = raw.charCodeAt(++i);
  if (c === 34) {
    const end = raw.indexOf('"', i + 1);
    return end < 0 ? NO_VALUE : raw.slice(i + 1, end);
  }
  if (c === 45 || (c >= 48 && c <= 57)) {
    let j = i + 1;
    while (isNumberChar(raw.charCodeAt(j))) j++;
    return Number(raw.slice(i, j));
  }
  if (raw.startsWith('true', i)) return true;
  if (raw.startsWith('false', i)) return false;
  if (raw.startsWith('null', i)) return null;
  return NO_VALUE;
}
