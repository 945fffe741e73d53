/**
 * A read position in a filter pattern (or selector) with the small helpers
 * every sub-parser needs. `base` is the index of `src[0]` in the whole pattern,
 * so errors from a sub-parser still point at the user's column.
 */
import { FilterPatternError } from './errors.js';

export class Cursor {
  pos = 0;
  constructor(
    readonly src: string,
    readonly base = 0,
  ) {}

  get eof(): boolean {
    return this.pos >= this.src.length;
  }

  peek(ahead = 0): string {
    return this.src[this.pos + ahead] ?? '';
  }

  startsWith(s: string): boolean {
    return this.src.startsWith(s, this.pos);
  }

  /** Consumes `s` when it comes next. */
  eat(s: string): boolean {
    if (!this.src.startsWith(s, this.pos)) return false;
    this.pos += s.length;
    return true;
  }

  expect(s: string, what = `'${s}'`): void {
    if (!this.eat(s)) this.fail(`expected ${what}${this.eof ? ' but the pattern ended' : ` but found '${this.peek()}'`}`);
  }

  skipSpace(): void {
    while (this.pos < this.src.length && isSpace(this.src.charCodeAt(this.pos))) this.pos++;
  }

  /** 1-based column of an index in `src`. */
  column(at = this.pos): number {
    return this.base + at + 1;
  }

  fail(message: string, at = this.pos): never {
    throw new FilterPatternError(message, this.column(at));
  }
}

export function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13 || code === 11 || code === 12;
}

/**
 * A double-quoted string starting at the cursor (on the opening quote).
 * `\"` and `\\` are escapes; a backslash before anything else stays literal
 * (so Windows paths and regex-looking text survive). The docs say nothing
 * about escapes in quotes; this keeps every quote-free string unchanged.
 */
export function readQuoted(c: Cursor): string {
  const open = c.pos;
  const quote = c.peek();
  c.pos++;
  let out = '';
  for (;;) {
    if (c.eof) c.fail(`unterminated ${quote === '"' ? 'double' : 'single'}-quoted string`, open);
    const ch = c.peek();
    if (ch === quote) {
      c.pos++;
      return out;
    }
    if (ch === '\\' && (c.peek(1) === quote || c.peek(1) === '\\')) {
      out += c.peek(1);
      c.pos += 2;
      continue;
    }
    out += ch;
    c.pos++;
  }
}
