/**
 * Making text from logs and templates inert in Slack `mrkdwn`, and fitting it
 * into Slack's limits.
 *
 * - `&`, `<`, `>` become `&amp;` `&lt;` `&gt;` (Slack's own rule), so no
 *   `<!channel>`, `<@U123>` or `<https://evil|click>` survives as syntax.
 * - `@channel`, `@here`, `@everyone` get a word joiner (U+2060) after the `@`,
 *   so even a client that linkifies bare names shows them as text.
 * - Inside code blocks every backtick becomes U+02CB (ˋ, a lookalike), so no
 *   log line can close the block: a visible, deterministic substitution that
 *   survives copy-paste better than zero-width tricks.
 * - Control characters other than newline and tab become U+FFFD (they would
 *   otherwise bloat the JSON body as `\u00XX`), and so do lone surrogates and
 *   bidirectional formatting characters such as U+202E (`../text.ts` inert).
 * - Truncation counts the *escaped* length, never cuts an entity or a
 *   surrogate pair, and ends with "…".
 */

import { inert } from '../text.js';

const ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** Escapes and truncates mrkdwn text to at most `max` characters (after escaping). */
export function mrkdwn(text: string, max: number): string {
  return fit(defuseMentions(inert(text).replace(CONTROL, '\uFFFD')), max, true);
}

/** Text for a code block: escaped, backticks defused, at most `max` characters. */
export function codeText(text: string, max: number): string {
  return fit(defuseMentions(inert(text).replace(CONTROL, '\uFFFD').replace(/`/g, '\u02CB')), max, true);
}

/** plain_text objects need no escaping; only length (and mentions, for the notification fallback). */
export function plain(text: string, max: number): string {
  return fit(defuseMentions(inert(text).replace(CONTROL, '\uFFFD').replace(/[\n\t]+/g, ' ')), max, false);
}

function defuseMentions(text: string): string {
  return text.replace(/@(channel|here|everyone)/gi, '@\u2060$1');
}

function fit(text: string, max: number, escape: boolean): string {
  let out = '';
  let len = 0;
  for (let i = 0; i < text.length; i++) {
    let ch = text[i]!;
    const code = ch.charCodeAt(0);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) ch += text[++i]!;
    const piece = escape ? (ENTITY[ch] ?? ch) : ch;
    if (len + piece.length > max - 1 && !fitsRest(text, i + 1, len + piece.length, max, escape)) {
      return out + '…';
    }
    out += piece;
    len += piece.length;
  }
  return out;
}

/** True when the rest of the text (from `from`) still fits whole, so no ellipsis is needed. */
function fitsRest(text: string, from: number, len: number, max: number, escape: boolean): boolean {
  if (len > max) return false;
  for (let i = from; i < text.length; i++) {
    len += escape ? (ENTITY[text[i]!] ?? text[i]!).length : 1;
    if (len > max) return false;
  }
  return true;
}
