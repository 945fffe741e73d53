/**
 * Runs one rule test case: builds its events, feeds a fresh engine in event
 * time (no network, no wall clock), and compares the alerts it decides with
 * the expected ones.
 */
import type { Rule } from '../config/model.js';
import { formatDuration } from '../duration.js';
import { Engine, SameTimeOrder, type Alert, type LogEvent } from '../engine/index.js';
import type { ExpectedAlert, Scalar, TestCase } from './format.js';

export interface CaseResult {
  readonly passed: boolean;
  /** Expected alerts nothing matched. */
  readonly missing: readonly ExpectedAlert[];
  /** Produced alerts no expectation matched. */
  readonly unexpected: readonly Alert[];
  /** Pairs that matched. */
  readonly matched: readonly { expected: ExpectedAlert; actual: Alert }[];
  /** A problem running the case (unknown rule id in `rules:`). */
  readonly error?: string | undefined;
}

/** The case's events in time order (equal times keep the order they are listed in). */
export function caseEvents(c: TestCase): LogEvent[] {
  const events: LogEvent[] = [];
  for (const spec of c.input) {
    for (let i = 0; i < spec.repeat; i++) {
      events.push({ timestamp: c.start + spec.atMs + i * spec.everyMs, logGroup: spec.logGroup, logStream: spec.logStream, message: spec.message });
    }
  }
  // Array.prototype.sort is stable.
  return events.sort((a, b) => a.timestamp - b.timestamp);
}

function sameGroup(a: Readonly<Record<string, Scalar>>, b: Readonly<Record<string, Scalar>>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && a[k] === b[k]);
}

export function alertMatches(e: ExpectedAlert, a: Alert, start: number): boolean {
  return (
    a.rule.id === e.rule &&
    a.kind === e.kind &&
    sameGroup(e.group, a.group) &&
    (e.count === undefined || a.count === e.count) &&
    (e.atMs === undefined || Date.parse(a.firedAt) - start === e.atMs) &&
    (e.suppressed === undefined || a.suppressed === e.suppressed) &&
    (e.title === undefined || a.title === e.title) &&
    (e.text === undefined || a.text === e.text)
  );
}

export function runCase(c: TestCase, rules: readonly Rule[]): CaseResult {
  let selected = rules;
  if (c.rules) {
    const unknown = c.rules.filter((id) => !rules.some((r) => r.id === id));
    if (unknown.length > 0) return { passed: false, missing: [], unexpected: [], matched: [], error: `unknown rule id(s) in "rules": ${unknown.join(', ')}` };
    selected = rules.filter((r) => c.rules!.includes(r.id));
  }
  const failures = new Map<string, string>();
  const onRuleError = (ruleId: string, err: unknown): void => {
    if (!failures.has(ruleId)) failures.set(ruleId, `rule "${ruleId}" failed: ${errorText(err)}`);
  };
  const engine = new Engine({ rules: selected, onRuleError });
  const produced: Alert[] = [];
  // Events of one millisecond are decided in eventKey order, as replay and the daemon decide them.
  const order = new SameTimeOrder();
  const decide = (events: readonly LogEvent[]): void => {
    for (const e of events) for (const r of engine.ingest(e)) produced.push(r.alert);
  };
  for (const e of caseEvents(c)) decide(order.push(e));
  decide(order.flush());
  const end = c.untilMs !== undefined ? c.start + c.untilMs : engine.clock;
  if (Number.isFinite(end)) for (const r of engine.advanceTo(end)) produced.push(r.alert);

  const left = [...produced];
  const missing: ExpectedAlert[] = [];
  const matched: { expected: ExpectedAlert; actual: Alert }[] = [];
  for (const e of c.expect) {
    const i = left.findIndex((a) => alertMatches(e, a, c.start));
    if (i < 0) missing.push(e);
    else matched.push({ expected: e, actual: left.splice(i, 1)[0]! });
  }
  const error = failures.size > 0 ? [...failures.values()].join('; ') : undefined;
  return { passed: missing.length === 0 && left.length === 0 && error === undefined, missing, unexpected: left, matched, ...(error === undefined ? {} : { error }) };
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** One line per alert for the diff: what the test format can say about it. */
export function describeActual(a: Alert, start: number): string {
  const at = Date.parse(a.firedAt) - start;
  return `${a.kind} ${a.rule.id} ${JSON.stringify(a.group)} count=${a.count} at=${at < 0 ? '-' + formatDuration(-at) : formatDuration(at)} suppressed=${a.suppressed}`;
}

export function describeExpected(e: ExpectedAlert): string {
  let s = `${e.kind} ${e.rule} ${JSON.stringify(e.group)}`;
  if (e.count !== undefined) s += ` count=${e.count}`;
  if (e.atMs !== undefined) s += ` at=${formatDuration(e.atMs)}`;
  if (e.suppressed !== undefined) s += ` suppressed=${e.suppressed}`;
  if (e.title !== undefined) s += ` title=${JSON.stringify(e.title)}`;
  if (e.text !== undefined) s += ` text=${JSON.stringify(e.text)}`;
  return s;
}

/** A readable diff: matched alerts plain, missing with `-`, unexpected with `+`, in time order. */
export function formatDiff(c: TestCase, r: CaseResult): string[] {
  type Row = { at: number; order: number; text: string };
  const rows: Row[] = [];
  let order = 0;
  for (const m of r.matched) rows.push({ at: Date.parse(m.actual.firedAt), order: order++, text: `    ${describeActual(m.actual, c.start)}` });
  for (const e of r.missing) rows.push({ at: e.atMs !== undefined ? c.start + e.atMs : Infinity, order: order++, text: `  - ${describeExpected(e)}` });
  for (const a of r.unexpected) {
    let text = `  + ${describeActual(a, c.start)}`;
    if (r.missing.some((e) => e.title !== undefined || e.text !== undefined)) text += ` title=${JSON.stringify(a.title)} text=${JSON.stringify(a.text)}`;
    rows.push({ at: Date.parse(a.firedAt), order: order++, text });
  }
  rows.sort((x, y) => x.at - y.at || x.order - y.order);
  return rows.map((row) => row.text);
}
