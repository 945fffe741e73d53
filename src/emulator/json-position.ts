/**
 * Where a JSON text first goes wrong (0-based offset), for error messages
 * with a column: V8's JSON.parse messages do not always carry a position.
 * Iterative (an explicit stack), so hostile deep nesting cannot overflow it.
 * Returns -1 when the text is valid JSON.
 */
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERAL = /true|false|null/y;
const ESCAPE = '"\\/bfnrt';

export function jsonErrorOffset(text: string): number {
  const stack: string[] = [];
  let i = 0;
  const skipWs = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  /** At a `"`: scans the string; false (with `i` at the fault) when it is malformed. */
  const scanString = (): boolean => {
    i++;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return true;
      }
      if (c < 0x20) return false;
      if (c === 0x5c) {
        const n = text[i + 1];
        if (n === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return false;
          i += 6;
        } else if (n !== undefined && ESCAPE.includes(n)) {
          i += 2;
        } else {
          return false;
        }
      } else {
        i++;
      }
    }
    return false;
  };
  /** A key and its colon; false with `i` at the fault. */
  const scanKey = (): boolean => {
    skipWs();
    if (text[i] !== '"' || !scanString()) return false;
    skipWs();
    if (text[i] !== ':') return false;
    i++;
    return true;
  };
  const sticky = (re: RegExp): boolean => {
    re.lastIndex = i;
    if (!re.test(text)) return false;
    i = re.lastIndex;
    return true;
  };

  let expectValue = true;
  for (;;) {
    skipWs();
    if (expectValue) {
      const c = text[i];
      if (c === '{') {
        i++;
        skipWs();
        if (text[i] === '}') {
          i++;
          expectValue = false;
        } else {
          stack.push('{');
          if (!scanKey()) return i;
        }
        continue;
      }
      if (c === '[') {
        i++;
        skipWs();
        if (text[i] === ']') {
          i++;
          expectValue = false;
        } else {
          stack.push('[');
        }
        continue;
      }
      if (c === '"' ? !scanString() : !sticky(NUMBER) && !sticky(LITERAL)) return i;
      expectValue = false;
      continue;
    }
    const top = stack[stack.length - 1];
    if (top === undefined) return i < text.length ? i : -1;
    const c = text[i];
    if (c === ',') {
      i++;
      if (top === '{' && !scanKey()) return i;
      expectValue = true;
    } else if ((top === '{' && c === '}') || (top === '[' && c === ']')) {
      stack.pop();
      i++;
    } else {
      return i;
    }
  }
}
