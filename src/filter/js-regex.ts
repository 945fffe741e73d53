/**
 * JavaScript regexes of rules (`match: { regex: … }`), run on V8's linear-time
 * engine (the `l` flag of `--enable-experimental-regexp-engine`): a breadth-
 * first automaton whose time is linear in the text whatever the line, unlike
 * V8's default backtracking engine, on which one line can take minutes
 * (`(.*a){25}X` on 50,000 `a`).
 *
 * A regex that engine cannot run is rejected, with the reason and its offset:
 * backreferences (`\1`, `\k<name>`), lookahead and lookbehind (`(?=`, `(?!`,
 * `(?<=`, `(?<!`), a repeat count above 16, or nested repeats that multiply to
 * more than 16 (`(a{4}){5}`, `(a+){9}`: V8 copies the body once per count).
 * The syntax and meaning are otherwise JavaScript's, without flags
 * (case-sensitive, `.` stops at line terminators, `^`/`$` anchor the whole
 * value). A regex that is a plain string with optional `^`/`$` runs as a string
 * comparison (the same answers, without the engine's per-call cost).
 */
import v8 from 'node:v8';

/** The largest count (and product of nested counts) V8's linear engine takes (kMaxReplicationFactor). */
export const LINEAR_MAX_REPEAT = 16;

export class JsRegexError extends Error {
  /**
   * `syntax`: not a JavaScript regex at all; `linear`: valid, but not one the
   * linear engine runs. `offset`: 0-based, in the regex source, of what the
   * linear engine cannot run (0 for syntax errors).
   */
  constructor(message: string, readonly offset: number, readonly kind: 'syntax' | 'linear' = 'linear') {
    super(message);
    this.name = 'JsRegexError';
  }
}

export interface CompiledJsRegex {
  readonly source: string;
  test(text: string): boolean;
}

let linearEngineEnabled = false;

/**
 * Turns V8's linear engine on for this process (the flag is process-wide, so
 * worker threads have it too). bin/tailwatch.js and vitest.config.ts set it at
 * start-up; this covers every other way in (library use, scripts).
 */
function enableLinearEngine(): void {
  if (linearEngineEnabled) return;
  v8.setFlagsFromString('--enable-experimental-regexp-engine');
  linearEngineEnabled = true;
}

/** Compiles a rule's regex for the linear engine; throws JsRegexError saying why it cannot run there. */
export function compileJsRegex(source: string): CompiledJsRegex {
  try {
    new RegExp(source);
  } catch (err) {
    throw new JsRegexError(`invalid regex: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`, 0, 'syntax');
  }
  const plain = plainString(source);
  enableLinearEngine();
  let re: RegExp;
  try {
    re = new RegExp(source, 'l');
  } catch {
    const why = whyNotLinear(source);
    throw new JsRegexError(`${why?.message ?? "V8's linear engine cannot run this regex"}: the regex must run in linear time`, why?.offset ?? 0);
  }
  if (plain) {
    const { text, start, end } = plain;
    const test = start && end ? (t: string) => t === text : start ? (t: string) => t.startsWith(text) : end ? (t: string) => t.endsWith(text) : (t: string) => t.includes(text);
    return { source, test };
  }
  return { source, test: (t) => re.test(t) };
}

const SPECIAL = new Set([...'\\^$.|?*+()[]{}']);
const IDENTITY_ESCAPES = new Set([...'\\^$.|?*+()[]{}/-']);

/** `^/v1/`, `timeout`, `^ok$`, `a\.b`: the literal text and its anchors; undefined for anything else. */
function plainString(source: string): { text: string; start: boolean; end: boolean } | undefined {
  let i = 0;
  const start = source.startsWith('^');
  if (start) i++;
  let text = '';
  let end = false;
  for (; i < source.length; i++) {
    const ch = source[i]!;
    if (ch === '\\') {
      const next = source[i + 1];
      if (next === undefined || !IDENTITY_ESCAPES.has(next)) return undefined;
      text += next;
      i++;
    } else if (ch === '$' && i === source.length - 1) {
      end = true;
    } else if (SPECIAL.has(ch)) {
      return undefined;
    } else {
      text += ch;
    }
  }
  return { text, start, end };
}

/**
 * Why V8's linear engine refuses a valid regex: the first backreference or
 * lookaround, or the first repeat whose count (times the counts around it)
 * is above LINEAR_MAX_REPEAT. JavaScript's syntax without the `u` flag
 * (Annex B): `\N` is a backreference only when there are N groups, a `{`
 * that starts no count is a literal.
 */
export function whyNotLinear(source: string): { message: string; offset: number } | undefined {
  const groups = countGroups(source);
  const p = new Parser(source, groups);
  try {
    p.disjunction();
  } catch (err) {
    if (err instanceof JsRegexError) return { message: err.message, offset: err.offset };
    throw err;
  }
  return undefined;
}

/** Capture groups in the regex, and whether any is named. */
function countGroups(source: string): { count: number; named: boolean } {
  let count = 0;
  let named = false;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (ch === '\\') i++;
    else if (inClass) inClass = ch !== ']';
    else if (ch === '[') inClass = true;
    else if (ch === '(') {
      if (source[i + 1] !== '?') count++;
      else if (source[i + 2] === '<' && source[i + 3] !== '=' && source[i + 3] !== '!') {
        count++;
        named = true;
      }
    }
  }
  return { count, named };
}

class Parser {
  private i = 0;
  constructor(
    private readonly src: string,
    private readonly groups: { count: number; named: boolean },
  ) {}

  private fail(message: string, at: number): never {
    throw new JsRegexError(message, at);
  }

  /** Alternatives up to `)` or the end; returns the largest replication inside (1 = none). */
  disjunction(): number {
    let most = 1;
    for (;;) {
      most = Math.max(most, this.alternative());
      if (this.src[this.i] !== '|') return most;
      this.i++;
    }
  }

  private alternative(): number {
    let most = 1;
    while (this.i < this.src.length && this.src[this.i] !== '|' && this.src[this.i] !== ')') {
      const inner = this.term();
      most = Math.max(most, this.quantifier(inner));
    }
    return most;
  }

  /** One atom or assertion; returns the replication inside it. */
  private term(): number {
    const at = this.i;
    const ch = this.src[this.i]!;
    if (ch === '(') {
      const rest = this.src.slice(at, at + 4);
      if (rest.startsWith('(?=') || rest.startsWith('(?!')) this.fail('lookahead assertions are not supported', at);
      if (rest.startsWith('(?<=') || rest.startsWith('(?<!')) this.fail('lookbehind assertions are not supported', at);
      this.i = rest.startsWith('(?:') ? at + 3 : rest.startsWith('(?<') ? this.src.indexOf('>', at) + 1 : at + 1;
      const inner = this.disjunction();
      this.i++; // ')'
      return inner;
    }
    if (ch === '[') {
      this.i++;
      if (this.src[this.i] === '^') this.i++;
      while (this.i < this.src.length && this.src[this.i] !== ']') this.i += this.src[this.i] === '\\' ? 2 : 1;
      this.i++;
      return 1;
    }
    if (ch === '\\') {
      const next = this.src[at + 1] ?? '';
      if (next >= '1' && next <= '9') {
        const digits = /^\d+/.exec(this.src.slice(at + 1))![0];
        if (Number(digits) <= this.groups.count) this.fail('backreferences are not supported', at);
      }
      if (next === 'k' && this.groups.named) this.fail('backreferences are not supported', at);
      this.i += 2;
      return 1;
    }
    this.i++;
    return 1;
  }

  /** A quantifier after an atom whose replication is `inner`, if any; returns the replication with it. */
  private quantifier(inner: number): number {
    const at = this.i;
    const ch = this.src[at];
    let min: number;
    let max: number;
    if (ch === '*') [min, max] = [0, Infinity];
    else if (ch === '+') [min, max] = [1, Infinity];
    else if (ch === '?') [min, max] = [0, 1];
    else if (ch === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(at));
      if (!m) return inner; // a literal `{` (Annex B), already consumed as an atom's neighbour below
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      this.i += m[0].length - 1;
    } else return inner;
    this.i++;
    if (this.src[this.i] === '?') this.i++; // lazy
    const q = this.src.slice(at, this.i);
    if (min > LINEAR_MAX_REPEAT || (max !== Infinity && max > LINEAR_MAX_REPEAT)) {
      this.fail(`a repeat count above ${LINEAR_MAX_REPEAT} is not supported (${q}; split it: x{16}x{9} for x{25})`, at);
    }
    // V8 copies the body of a repeat once per count (min + 1 when unbounded), and nested repeats multiply.
    const local = max === Infinity ? min + 1 : max;
    const replication = local * inner;
    if (replication > LINEAR_MAX_REPEAT) {
      if (inner === 1) this.fail(`a repeat of ${min} or more is not supported (${q}; write x{${min - 1}}x+ for x{${min},})`, at);
      this.fail(`nested repeats that make ${replication} copies are not supported (${q} around a repeat; at most ${LINEAR_MAX_REPEAT})`, at);
    }
    return replication;
  }
}
