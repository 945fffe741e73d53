/**
 * The rule unit test file format (docs/rule-tests.md), parsed with
 * positions: every mistake is reported as `file:line:col`.
 *
 *   rule_files: [payments.yaml]
 *   start: 2026-01-01T00:00:00Z        # optional, what `at: 0s` means
 *   tests:
 *     - name: …
 *       rules: [id, …]                 # optional: run only these rules
 *       input:                         # events, daemon restarts and gaps, by time
 *         - { at, every, repeat, logGroup, logStream, message | json }
 *         - { at, restart: true }
 *         - { at, gap: 10m }
 *       until: 20m                     # optional: advance the clock after the input
 *       expect: [{ rule, kind, group, count, at, suppressed, sampled, title, text }]
 */
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type YAMLMap } from 'yaml';
import { formatDuration, parseDuration } from '../duration.js';
import type { Problem } from '../problems.js';

export type Scalar = string | number | boolean | null;

export interface Position {
  readonly line: number;
  readonly col: number;
}

/** `repeat` events at `atMs + i × everyMs`. */
export interface EventsInput {
  readonly kind: 'events';
  readonly atMs: number;
  readonly everyMs: number;
  readonly repeat: number;
  readonly logGroup: string;
  readonly logStream: string;
  readonly message: string;
  readonly pos: Position;
}

/** The daemon restarts at `atMs` (after every event at or before it): state out, JSON, state in. */
export interface RestartInput {
  readonly kind: 'restart';
  readonly atMs: number;
  readonly pos: Position;
}

/** The events of (atMs, atMs + gapMs] were never seen (a gap that could not be backfilled). */
export interface GapInput {
  readonly kind: 'gap';
  readonly atMs: number;
  readonly gapMs: number;
  readonly pos: Position;
}

export type InputSpec = EventsInput | RestartInput | GapInput;

export interface ExpectedAlert {
  readonly rule: string;
  readonly kind: 'firing' | 'resolved';
  readonly group: Readonly<Record<string, Scalar>>;
  readonly count?: number | undefined;
  /** Milliseconds after the case start. */
  readonly atMs?: number | undefined;
  readonly suppressed?: number | undefined;
  readonly sampled?: boolean | undefined;
  readonly title?: string | undefined;
  readonly text?: string | undefined;
  readonly pos: Position;
}

export interface TestCase {
  readonly name: string;
  readonly pos: Position;
  /** Epoch ms that relative times count from. */
  readonly start: number;
  readonly rules?: readonly string[] | undefined;
  readonly input: readonly InputSpec[];
  readonly untilMs?: number | undefined;
  readonly expect: readonly ExpectedAlert[];
}

export interface TestFile {
  readonly file: string;
  readonly display: string;
  /** Absolute paths, with where each is named in the test file. */
  readonly ruleFiles: readonly string[];
  readonly ruleFilePos: readonly Position[];
  readonly cases: readonly TestCase[];
}

/** Default case start: a fixed instant, so alert ids and `event.timestamp` are the same on every run. */
export const DEFAULT_START = Date.UTC(2026, 0, 1);
/** Events one case may generate (repeat × entries): a typo must not eat the memory. */
export const MAX_EVENTS_PER_CASE = 1_000_000;

class Reader {
  readonly problems: Problem[] = [];
  constructor(
    readonly display: string,
    private readonly lines: LineCounter,
  ) {}

  pos(node: Node | null | undefined): Position {
    const offset = node?.range?.[0] ?? 0;
    const p = this.lines.linePos(offset);
    return { line: Math.max(1, p.line), col: Math.max(1, p.col) };
  }

  fail(node: Node | null | undefined, message: string): undefined {
    const p = this.pos(node);
    this.problems.push({ file: this.display, line: p.line, col: p.col, message, severity: 'error', code: 'rule-test' });
    return undefined;
  }

  /** The map's pairs by key; unknown keys are reported (typos would otherwise pass silently). */
  fields(node: Node, what: string, known: readonly string[]): Map<string, Node> | undefined {
    if (!isMap(node)) return this.fail(node, `${what} must be a mapping`);
    const out = new Map<string, Node>();
    for (const pair of (node as YAMLMap<Node, Node>).items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if (!known.includes(key)) {
        this.fail(pair.key, `unknown key "${key}" in ${what} (expected one of: ${known.join(', ')})`);
        continue;
      }
      out.set(key, pair.value ?? (pair.key as Node));
    }
    return out;
  }

  string(node: Node | undefined, what: string): string | undefined {
    if (node === undefined) return undefined;
    if (!isScalar(node) || typeof node.value !== 'string') return this.fail(node, `${what} must be a string`);
    return node.value;
  }

  bool(node: Node | undefined, what: string): boolean | undefined {
    if (node === undefined) return undefined;
    if (!isScalar(node) || typeof node.value !== 'boolean') return this.fail(node, `${what} must be true or false`);
    return node.value;
  }

  int(node: Node | undefined, what: string, min: number): number | undefined {
    if (node === undefined) return undefined;
    if (!isScalar(node) || typeof node.value !== 'number' || !Number.isInteger(node.value) || node.value < min) return this.fail(node, `${what} must be an integer >= ${min}`);
    return node.value;
  }

  duration(node: Node | undefined, what: string): number | undefined {
    if (node === undefined) return undefined;
    const text = isScalar(node) ? String(node.value) : '';
    const ms = isScalar(node) && (typeof node.value === 'string' || node.value === 0) ? parseDuration(text) : undefined;
    if (ms === undefined) return this.fail(node, `${what} must be a duration like 30s, 5m, 1h30m (got ${JSON.stringify(isScalar(node) ? node.value : '…')})`);
    return ms;
  }

  time(node: Node | undefined, what: string): number | undefined {
    if (node === undefined) return undefined;
    const v = isScalar(node) ? node.value : undefined;
    const ms = typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : NaN;
    if (!Number.isFinite(ms)) return this.fail(node, `${what} must be an ISO 8601 date-time (like 2026-01-01T00:00:00Z) or epoch milliseconds`);
    return ms;
  }

  list(node: Node | undefined, what: string): Node[] | undefined {
    if (node === undefined) return undefined;
    if (!isSeq(node)) return this.fail(node, `${what} must be a list`);
    return node.items as Node[];
  }
}

export function parseTestFile(text: string, file: string, display: string): { testFile?: TestFile; problems: Problem[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const r = new Reader(display, lines);
  for (const e of doc.errors) {
    const p = lines.linePos(e.pos[0]);
    r.problems.push({ file: display, line: Math.max(1, p.line), col: Math.max(1, p.col), message: `YAML: ${e.message.split('\n')[0]}`, severity: 'error', code: 'yaml' });
  }
  if (r.problems.length > 0) return { problems: r.problems };
  const root = doc.contents as Node | null;
  if (!root) return { problems: [{ file: display, line: 1, col: 1, message: 'empty test file (expected rule_files and tests)', severity: 'error', code: 'rule-test' }] };
  const top = r.fields(root, 'the test file', ['rule_files', 'start', 'tests']);
  if (!top) return { problems: r.problems };

  const dir = path.dirname(file);
  const ruleFiles: string[] = [];
  const ruleFilePos: Position[] = [];
  const rf = top.get('rule_files');
  if (rf === undefined) r.fail(root, 'missing "rule_files" (the rule files under test, relative to this file)');
  for (const item of r.list(rf, 'rule_files') ?? []) {
    const f = r.string(item, 'a rule file');
    if (f !== undefined) {
      ruleFiles.push(path.resolve(dir, f));
      ruleFilePos.push(r.pos(item));
    }
  }
  const fileStart = r.time(top.get('start'), 'start') ?? DEFAULT_START;

  const cases: TestCase[] = [];
  const testsNode = top.get('tests');
  if (testsNode === undefined) r.fail(root, 'missing "tests" (a list of test cases)');
  (r.list(testsNode, 'tests') ?? []).forEach((node, i) => {
    const c = parseCase(r, node, i, fileStart);
    if (c) cases.push(c);
  });
  if (r.problems.length > 0) return { problems: r.problems };
  return { testFile: { file, display, ruleFiles, ruleFilePos, cases }, problems: [] };
}

function parseCase(r: Reader, node: Node, index: number, fileStart: number): TestCase | undefined {
  const f = r.fields(node, `test #${index + 1}`, ['name', 'start', 'rules', 'input', 'until', 'expect']);
  if (!f) return undefined;
  const name = r.string(f.get('name'), 'name') ?? `test #${index + 1}`;
  const start = r.time(f.get('start'), 'start') ?? fileStart;
  let rules: string[] | undefined;
  const rulesNode = f.get('rules');
  if (rulesNode !== undefined) rules = (r.list(rulesNode, 'rules') ?? []).map((n) => r.string(n, 'a rule id') ?? '');
  const input: InputSpec[] = [];
  let total = 0;
  for (const item of r.list(f.get('input'), 'input') ?? []) {
    const spec = parseInput(r, item);
    if (!spec) continue;
    if (spec.kind === 'events') total += spec.repeat;
    if (total > MAX_EVENTS_PER_CASE) {
      r.fail(item, `a test case may generate at most ${MAX_EVENTS_PER_CASE} events`);
      break;
    }
    input.push(spec);
  }
  checkGaps(r, input);
  const expect: ExpectedAlert[] = [];
  const expNode = f.get('expect');
  for (const item of r.list(expNode, 'expect') ?? []) {
    const e = parseExpected(r, item);
    if (e) expect.push(e);
  }
  return { name, pos: r.pos(node), start, rules, input, untilMs: r.duration(f.get('until'), 'until'), expect };
}

/** What an input entry is: exactly one of these keys. */
const ENTRY_KINDS = ['message', 'json', 'restart', 'gap'] as const;
/** Keys that describe events, so only event entries may have them. */
const EVENT_ONLY = ['every', 'repeat', 'logGroup', 'logStream'] as const;

function parseInput(r: Reader, node: Node): InputSpec | undefined {
  const f = r.fields(node, 'an input entry', ['at', 'every', 'repeat', 'logGroup', 'logStream', 'message', 'json', 'restart', 'gap']);
  if (!f) return undefined;
  const pos = r.pos(node);
  // Read every field of the entry's kind first so one run reports every mistake in it.
  const atMs = r.duration(f.get('at'), 'at') ?? 0;
  const given = ENTRY_KINDS.filter((k) => f.has(k));
  if (given.length > 1) return r.fail(f.get(given[1]!), `give one of "message", "json", "restart" or "gap" per entry (this one has ${given.map((k) => `"${k}"`).join(' and ')})`);
  const kind = given[0];
  if (kind === undefined) return r.fail(node, 'an input entry needs "message" (the log line), "json" (an object sent as a JSON line), "restart: true" or "gap" (a duration)');
  if (kind === 'restart' || kind === 'gap') {
    let bad = false;
    for (const k of EVENT_ONLY) {
      if (!f.has(k)) continue;
      bad = true;
      r.fail(f.get(k), `"${k}" is only for events, not for a ${kind}`);
    }
    if (kind === 'restart') {
      const restart = r.bool(f.get('restart'), 'restart');
      if (restart === false) return r.fail(f.get('restart'), 'restart must be true (leave the entry out for no restart)');
      return restart === undefined || bad ? undefined : { kind: 'restart', atMs, pos };
    }
    const gapMs = r.duration(f.get('gap'), 'gap');
    if (gapMs === 0) return r.fail(f.get('gap'), 'gap must be longer than 0s');
    return gapMs === undefined || bad ? undefined : { kind: 'gap', atMs, gapMs, pos };
  }
  const repeat = r.int(f.get('repeat'), 'repeat', 1) ?? 1;
  const everyMs = r.duration(f.get('every'), 'every') ?? 1000;
  const logGroup = r.string(f.get('logGroup'), 'logGroup') ?? '';
  const logStream = r.string(f.get('logStream'), 'logStream') ?? '';
  const message = kind === 'message' ? r.string(f.get('message'), 'message') : JSON.stringify(f.get('json')!.toJSON());
  if (message === undefined) return undefined;
  return { kind: 'events', atMs, everyMs, repeat, logGroup, logStream, message, pos };
}

/**
 * The daemon never sees an event inside a gap, so an event entry there is a mistake of the test
 * file; so is a restart or a gap that starts inside another gap (the clock is already past it).
 */
function checkGaps(r: Reader, input: readonly InputSpec[]): void {
  const gaps = input.filter((s): s is GapInput => s.kind === 'gap');
  if (gaps.length === 0) return;
  const span = (g: GapInput) => `${formatDuration(g.atMs)}–${formatDuration(g.atMs + g.gapMs)} of line ${g.pos.line}`;
  for (const s of input) {
    for (const g of gaps) {
      const from = g.atMs;
      const to = g.atMs + g.gapMs;
      if (s.kind === 'events') {
        const t = firstAfter(s, from);
        if (t === undefined || t > to) continue;
        r.problems.push(problemAt(r, s.pos, `an event at ${formatDuration(t)} falls inside the gap ${span(g)}`));
        break;
      }
      // A restart may happen where a gap starts or ends, a gap may start where another ends (or
      // where one listed after it starts), but neither strictly inside a gap.
      const inside = s.atMs > from && s.atMs < to;
      const sameStartAfter = s.kind === 'gap' && s.atMs === from && input.indexOf(s) > input.indexOf(g);
      if (s === g || !(inside || sameStartAfter)) continue;
      const what = s.kind === 'gap' ? 'overlaps' : 'falls inside';
      r.problems.push(problemAt(r, s.pos, `a ${s.kind} at ${formatDuration(s.atMs)} ${what} the gap ${span(g)} (the clock is already past its start)`));
      break;
    }
  }
}

/** The time of the first event of the entry later than `ms`, if any. */
function firstAfter(s: EventsInput, ms: number): number | undefined {
  if (s.atMs > ms) return s.atMs;
  if (s.everyMs === 0) return undefined;
  const i = Math.floor((ms - s.atMs) / s.everyMs) + 1;
  return i < s.repeat ? s.atMs + i * s.everyMs : undefined;
}

function problemAt(r: Reader, pos: Position, message: string): Problem {
  return { file: r.display, line: pos.line, col: pos.col, message, severity: 'error', code: 'rule-test' };
}

function parseExpected(r: Reader, node: Node): ExpectedAlert | undefined {
  const f = r.fields(node, 'an expected alert', ['rule', 'kind', 'group', 'count', 'at', 'suppressed', 'sampled', 'title', 'text']);
  if (!f) return undefined;
  const rule = r.string(f.get('rule'), 'rule');
  if (rule === undefined) return f.has('rule') ? undefined : r.fail(node, 'an expected alert needs "rule" (the rule id)');
  const kindText = r.string(f.get('kind'), 'kind') ?? 'firing';
  if (kindText !== 'firing' && kindText !== 'resolved') return r.fail(f.get('kind'), 'kind must be "firing" or "resolved"');
  const group: Record<string, Scalar> = {};
  const groupNode = f.get('group');
  if (groupNode !== undefined) {
    if (!isMap(groupNode)) return r.fail(groupNode, 'group must be a mapping of group key to value, like { merchantId: m-42 }');
    for (const pair of groupNode.items as { key: Node; value: Node | null }[]) {
      const v = pair.value;
      if (v !== null && !isScalar(v)) return r.fail(v, 'group values are scalars (string, number, boolean, null)');
      group[String(isScalar(pair.key) ? pair.key.value : '')] = v === null ? null : (v.value as Scalar);
    }
  }
  return {
    rule,
    kind: kindText,
    group,
    count: r.int(f.get('count'), 'count', 0),
    atMs: r.duration(f.get('at'), 'at'),
    suppressed: r.int(f.get('suppressed'), 'suppressed', 0),
    sampled: r.bool(f.get('sampled'), 'sampled'),
    title: r.string(f.get('title'), 'title'),
    text: r.string(f.get('text'), 'text'),
    pos: r.pos(node),
  };
}
