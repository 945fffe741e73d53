/**
 * The rule unit test file format (docs/rule-tests.md), parsed with
 * positions: every mistake is reported as `file:line:col`.
 *
 *   rule_files: [payments.yaml]
 *   start: 2026-01-01T00:00:00Z        # optional, what `at: 0s` means
 *   tests:
 *     - name: …
 *       rules: [id, …]                 # optional: run only these rules
 *       input: [{ at, every, repeat, logGroup, logStream, message | json }]
 *       until: 20m                     # optional: advance the clock after the input
 *       expect: [{ rule, kind, group, count, at, suppressed, title, text }]
 */
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type YAMLMap } from 'yaml';
import { parseDuration } from '../duration.js';
import type { Problem } from '../problems.js';

export type Scalar = string | number | boolean | null;

export interface Position {
  readonly line: number;
  readonly col: number;
}

export interface InputSpec {
  readonly atMs: number;
  readonly everyMs: number;
  readonly repeat: number;
  readonly logGroup: string;
  readonly logStream: string;
  readonly message: string;
}

export interface ExpectedAlert {
  readonly rule: string;
  readonly kind: 'firing' | 'resolved';
  readonly group: Readonly<Record<string, Scalar>>;
  readonly count?: number | undefined;
  /** Milliseconds after the case start. */
  readonly atMs?: number | undefined;
  readonly suppressed?: number | undefined;
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
    private readonly display: string,
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
    total += spec.repeat;
    if (total > MAX_EVENTS_PER_CASE) {
      r.fail(item, `a test case may generate at most ${MAX_EVENTS_PER_CASE} events`);
      break;
    }
    input.push(spec);
  }
  const expect: ExpectedAlert[] = [];
  const expNode = f.get('expect');
  for (const item of r.list(expNode, 'expect') ?? []) {
    const e = parseExpected(r, item);
    if (e) expect.push(e);
  }
  return { name, pos: r.pos(node), start, rules, input, untilMs: r.duration(f.get('until'), 'until'), expect };
}

function parseInput(r: Reader, node: Node): InputSpec | undefined {
  const f = r.fields(node, 'an input event', ['at', 'every', 'repeat', 'logGroup', 'logStream', 'message', 'json']);
  if (!f) return undefined;
  const msgNode = f.get('message');
  const jsonNode = f.get('json');
  // Read every field first so one run reports every mistake in the entry.
  const repeat = r.int(f.get('repeat'), 'repeat', 1) ?? 1;
  const atMs = r.duration(f.get('at'), 'at') ?? 0;
  const everyMs = r.duration(f.get('every'), 'every') ?? 1000;
  const logGroup = r.string(f.get('logGroup'), 'logGroup') ?? '';
  const logStream = r.string(f.get('logStream'), 'logStream') ?? '';
  let message: string | undefined;
  if (msgNode !== undefined && jsonNode !== undefined) return r.fail(jsonNode, 'give either "message" or "json", not both');
  if (msgNode !== undefined) message = r.string(msgNode, 'message');
  else if (jsonNode !== undefined) message = JSON.stringify(jsonNode.toJSON());
  else return r.fail(node, 'an input event needs "message" (the log line) or "json" (an object sent as a JSON line)');
  if (message === undefined) return undefined;
  return { atMs, everyMs, repeat, logGroup, logStream, message };
}

function parseExpected(r: Reader, node: Node): ExpectedAlert | undefined {
  const f = r.fields(node, 'an expected alert', ['rule', 'kind', 'group', 'count', 'at', 'suppressed', 'title', 'text']);
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
    title: r.string(f.get('title'), 'title'),
    text: r.string(f.get('text'), 'text'),
    pos: r.pos(node),
  };
}
