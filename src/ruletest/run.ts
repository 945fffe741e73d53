/**
 * Runs one rule test case: builds its events, feeds a fresh engine in event
 * time (no network, no wall clock), restarting it or skipping gaps where the
 * case says so, and compares the alerts it decides with the expected ones.
 */
import type { Rule } from '../model/config.js';
import { formatDuration } from '../duration.js';
import { Engine, SameTimeOrder, type Alert, type EngineState, type LogEvent, type RoutedAlert } from '../engine/index.js';
import type { ExpectedAlert, GapInput, RestartInput, Scalar, TestCase } from './format.js';

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
    if (spec.kind !== 'events') continue;
    for (let i = 0; i < spec.repeat; i++) {
      events.push({ timestamp: c.start + spec.atMs + i * spec.everyMs, logGroup: spec.logGroup, logStream: spec.logStream, message: spec.message });
    }
  }
  // Array.prototype.sort is stable.
  return events.sort((a, b) => a.timestamp - b.timestamp);
}

/** The case's restarts and gaps in time order (equal times keep the order they are listed in). */
export function caseBreaks(c: TestCase): (RestartInput | GapInput)[] {
  return c.input.filter((s): s is RestartInput | GapInput => s.kind !== 'events').sort((a, b) => a.atMs - b.atMs);
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
    (e.sampled === undefined || a.sampled === e.sampled) &&
    (e.title === undefined || a.title === e.title) &&
    (e.text === undefined || a.text === e.text)
  );
}

/**
 * Every alert the case's input makes the rules decide, in order. Events go in by time (events of
 * one millisecond in eventKey order, as replay and the daemon decide them); a restart or gap
 * happens at its time, after every event at or before it.
 */
export function caseAlerts(c: TestCase, rules: readonly Rule[], onRuleError?: (ruleId: string, err: unknown) => void): Alert[] {
  let engine = new Engine({ rules, onRuleError });
  const produced: Alert[] = [];
  const take = (alerts: readonly RoutedAlert[]): void => {
    for (const r of alerts) produced.push(r.alert);
  };
  const order = new SameTimeOrder();
  const events = caseEvents(c);
  let next = 0;
  for (const b of caseBreaks(c)) {
    const at = c.start + b.atMs;
    for (; next < events.length && events[next]!.timestamp <= at; next++) for (const e of order.push(events[next]!)) take(engine.ingest(e));
    for (const e of order.flush()) take(engine.ingest(e));
    // The daemon's clock had reached `at`: what falls due by then is decided first.
    take(engine.advanceTo(at));
    if (b.kind === 'gap') {
      engine.markGap(at, at + b.gapMs);
      take(engine.skipGap(at + b.gapMs));
    } else {
      // What the daemon saves and loads: plain JSON, read back into a new engine.
      const state = JSON.parse(JSON.stringify(engine.exportState())) as EngineState;
      engine = new Engine({ rules, state, onRuleError });
    }
  }
  for (; next < events.length; next++) for (const e of order.push(events[next]!)) take(engine.ingest(e));
  for (const e of order.flush()) take(engine.ingest(e));
  const end = c.untilMs !== undefined ? c.start + c.untilMs : engine.clock;
  if (Number.isFinite(end)) take(engine.advanceTo(end));
  return produced;
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
  const produced = caseAlerts(c, selected, onRuleError);
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

/**
 * One line per alert for the diff: what the test format can say about it. `sampled` shows when
 * true (the count may be short) or when asked for (an expectation about it is missing).
 */
export function describeActual(a: Alert, start: number, withSampled = false): string {
  const at = Date.parse(a.firedAt) - start;
  let s = `${a.kind} ${a.rule.id} ${JSON.stringify(a.group)} count=${a.count} at=${at < 0 ? '-' + formatDuration(-at) : formatDuration(at)} suppressed=${a.suppressed}`;
  if (a.sampled || withSampled) s += ` sampled=${a.sampled}`;
  return s;
}

export function describeExpected(e: ExpectedAlert): string {
  let s = `${e.kind} ${e.rule} ${JSON.stringify(e.group)}`;
  if (e.count !== undefined) s += ` count=${e.count}`;
  if (e.atMs !== undefined) s += ` at=${formatDuration(e.atMs)}`;
  if (e.suppressed !== undefined) s += ` suppressed=${e.suppressed}`;
  if (e.sampled !== undefined) s += ` sampled=${e.sampled}`;
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
  const missingSampled = r.missing.some((e) => e.sampled !== undefined);
  for (const a of r.unexpected) {
    let text = `  + ${describeActual(a, c.start, missingSampled)}`;
    if (r.missing.some((e) => e.title !== undefined || e.text !== undefined)) text += ` title=${JSON.stringify(a.title)} text=${JSON.stringify(a.text)}`;
    rows.push({ at: Date.parse(a.firedAt), order: order++, text });
  }
  rows.sort((x, y) => x.at - y.at || x.order - y.order);
  return rows.map((row) => row.text);
}
