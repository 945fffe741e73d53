/**
 * The one JSON parse per event that every JSON pattern, `match` leaf and
 * `groupBy` of the rule engine share.
 *
 * Only an object or an array counts as a JSON message (CloudWatch's JSON
 * patterns select into `$`, a scalar has nothing to select; leading and
 * trailing whitespace is allowed as JSON allows it). Anything else, including
 * JSON after a text prefix, is NOT_JSON.
 *
 * Hostile input: nesting deeper than MAX_JSON_DEPTH is NOT_JSON, so no later
 * stage (templates, stringify, recursive walks) can overflow the stack on a
 * `[[[[…` line. V8's JSON.parse itself survives any depth; the limit is
 * Jackson's default nesting limit (1000), a likely bound on the service side.
 * The depth scan only runs on messages longer than the limit, since a shorter
 * one cannot be that deep. Invalid UTF-8 has already become U+FFFD by the time
 * a message is a string; it is ordinary string content here.
 */
export const NOT_JSON: unique symbol = Symbol('not-json');

export const MAX_JSON_DEPTH = 1000;

export function parseJsonMessage(message: string): unknown {
  let i = 0;
  let first = message.charCodeAt(0);
  while (first === 32 || first === 9 || first === 10 || first === 13) first = message.charCodeAt(++i);
  if (first !== 123 && first !== 91) return NOT_JSON;
  if (message.length > MAX_JSON_DEPTH && tooDeep(message, i)) return NOT_JSON;
  try {
    return JSON.parse(message) as unknown;
  } catch {
    return NOT_JSON;
  }
}

function tooDeep(text: string, from: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > MAX_JSON_DEPTH) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}
