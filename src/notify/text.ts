/**
 * Text from logs on its way to a destination, whatever the destination
 * (Slack escapes further for mrkdwn: slack/escape.ts).
 */

/** Alertmanager annotations and the like: at most this many UTF-16 code units, plus "…". */
export const MAX_TEXT_CHARS = 16_384;

/** `s` cut to `max` code units (never inside a surrogate pair), with "…". */
export function cut(s: string, max = MAX_TEXT_CHARS): string {
  if (s.length <= max) return s;
  let end = max;
  const last = s.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return s.slice(0, end) + '…';
}

/**
 * Characters a log line must not bring into a message: lone surrogates (not text; JSON carries
 * them as `\ud800` escapes that receivers reject or mangle) and the bidirectional formatting
 * characters — embeddings and overrides U+202A–U+202E (U+202E, RIGHT-TO-LEFT OVERRIDE, shows
 * `exe.txt` for `txt.exe`), isolates U+2066–U+2069, marks U+200E, U+200F, U+061C — which reorder
 * what a reader sees ("Trojan Source").
 */
const UNSAFE = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const BIDI = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/;

/** True when `s` has nothing `inert` would replace. */
function safe(s: string): boolean {
  return (s as string & { isWellFormed(): boolean }).isWellFormed() && !BIDI.test(s);
}

/** `s` with lone surrogates and bidi controls replaced by `replacement` (U+FFFD, or a visible escape). */
export function inert(s: string, replacement: string | ((c: string) => string) = '\uFFFD'): string {
  if (safe(s)) return s;
  return typeof replacement === 'string' ? s.replace(UNSAFE, replacement) : s.replace(UNSAFE, replacement);
}

/**
 * The alert with every string in it `inert` (title, text, group, samples, rule, link): what
 * destinations render. The alert itself when there is nothing to replace (the common case).
 */
export function inertAlert<T>(alert: T): T {
  return deep(alert) as T;
}

function deep(v: unknown): unknown {
  if (typeof v === 'string') return inert(v);
  if (Array.isArray(v)) {
    const out = v.map(deep);
    return out.every((x, i) => x === v[i]) ? v : out;
  }
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v);
    const out = entries.map(([k, x]): [string, unknown] => [inert(k), deep(x)]);
    // fromEntries: own properties, also for a group key named `__proto__`.
    return out.every(([k, x], i) => k === entries[i]![0] && x === entries[i]![1]) ? v : Object.fromEntries(out);
  }
  return v;
}
