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
