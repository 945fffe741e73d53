/** Builders for hand-made rules and events in engine tests (no YAML, no loader). */
import type { MatchNode, Rule, RuleWindow, Silence, SourcePos } from '../../src/model/config.js';
import type { Alert } from '../../src/model/alert.js';
import type { LogEvent } from '../../src/model/event.js';
import { parseDuration } from '../../src/duration.js';

export const POS: SourcePos = { file: 'test.yaml', line: 1, col: 1 };

/** 2026-01-01T00:00:00Z: tests count seconds from here. */
export const T0 = Date.UTC(2026, 0, 1);

export function ms(duration: string): number {
  const v = parseDuration(duration);
  if (v === undefined) throw new Error(`bad duration ${duration}`);
  return v;
}

type WindowSpec =
  | { type: 'threshold'; count: number; within: string; groupBy?: string[]; maxGroups?: number }
  | { type: 'absence'; count?: number; within: string; groupBy?: string[]; maxGroups?: number }
  | { type: 'spike'; factor: number; minCount: number; within: string; groupBy?: string[]; maxGroups?: number };

export function window(spec: WindowSpec): RuleWindow {
  const common = { withinMs: ms(spec.within), groupBy: spec.groupBy ?? [], maxGroups: spec.maxGroups ?? 10_000 };
  switch (spec.type) {
    case 'threshold':
      return { type: 'threshold', count: spec.count, ...common };
    case 'absence':
      return { type: 'absence', count: spec.count ?? 1, ...common };
    case 'spike':
      return { type: 'spike', factor: spec.factor, minCount: spec.minCount, ...common };
  }
}

export interface RuleSpec {
  id?: string;
  logGroups?: string[];
  filterPattern?: string;
  logStreams?: string[];
  logStreamPrefixes?: string[];
  region?: string;
  match?: MatchNode;
  window?: WindowSpec;
  throttle?: string;
  resolve?: boolean;
  labels?: Record<string, string>;
  severity?: Rule['severity'];
  title?: string;
  message?: string;
  description?: string;
  notify?: string[];
  enabled?: boolean;
  /** `{ poll: '30s', lag?: '5s' }`: a polled rule; absent: live. */
  feed?: { poll: string; lag?: string };
}

export function rule(spec: RuleSpec = {}): Rule {
  return {
    id: spec.id ?? 'r1',
    description: spec.description ?? '',
    enabled: spec.enabled ?? true,
    severity: spec.severity ?? 'warning',
    labels: spec.labels ?? {},
    source: {
      logGroups: spec.logGroups ?? ['/app'],
      logStreams: spec.logStreams,
      logStreamPrefixes: spec.logStreamPrefixes,
      filterPattern: spec.filterPattern,
      region: spec.region,
    },
    ...(spec.feed ? { feed: { kind: 'poll' as const, intervalMs: ms(spec.feed.poll), lagMs: spec.feed.lag === undefined ? 30_000 : ms(spec.feed.lag) } } : {}),
    match: spec.match,
    window: spec.window ? window(spec.window) : undefined,
    throttleMs: spec.throttle === undefined ? 0 : ms(spec.throttle),
    resolve: spec.resolve ?? false,
    notify: spec.notify ?? ['console'],
    title: spec.title ?? '',
    message: spec.message ?? '',
    pos: POS,
  };
}

/** Match-tree shorthands. */
export const m = {
  all: (...children: MatchNode[]): MatchNode => ({ kind: 'all', children, pos: POS }),
  any: (...children: MatchNode[]): MatchNode => ({ kind: 'any', children, pos: POS }),
  not: (child: MatchNode): MatchNode => ({ kind: 'not', child, pos: POS }),
  pattern: (pattern: string): MatchNode => ({ kind: 'pattern', pattern, pos: POS }),
  field: (field: string, test: Extract<MatchNode, { kind: 'field' }>['test']): MatchNode => ({ kind: 'field', field, test, pos: POS }),
};

/** An event `sec` seconds after T0 (fractions allowed) on /app. */
export function ev(sec: number, message: string | object = 'x', extra: Partial<LogEvent> = {}): LogEvent {
  return {
    timestamp: T0 + Math.round(sec * 1000),
    logGroup: '/app',
    logStream: 's1',
    message: typeof message === 'string' ? message : JSON.stringify(message),
    ...extra,
  };
}

export function silence(spec: { rule?: string; labels?: Record<string, string>; until: number; reason?: string }): Silence {
  return { rule: spec.rule, labels: spec.labels ?? {}, until: spec.until, reason: spec.reason, pos: POS };
}

/** Seconds after T0 of an ISO time. */
export function secOf(iso: string): number {
  return (Date.parse(iso) - T0) / 1000;
}

/** The part of an alert that engine tests compare: kind, rule, group, count, seconds after T0, suppressed. */
export interface Brief {
  kind: Alert['kind'];
  rule: string;
  group: Alert['group'];
  count: number;
  at: number;
  suppressed: number;
}

export function brief(a: Alert): Brief {
  return { kind: a.kind, rule: a.rule.id, group: a.group, count: a.count, at: secOf(a.firedAt), suppressed: a.suppressed };
}

/** Feeds events (then optionally advances to `untilSec`) and returns every alert produced. */
export function feed(engine: { ingest(e: LogEvent): readonly { alert: Alert }[]; advanceTo(ms: number): readonly { alert: Alert }[] }, events: LogEvent[], untilSec?: number): Alert[] {
  const out: Alert[] = [];
  for (const e of events) for (const r of engine.ingest(e)) out.push(r.alert);
  if (untilSec !== undefined) for (const r of engine.advanceTo(T0 + untilSec * 1000)) out.push(r.alert);
  return out;
}

/** `n` events one `everySec` apart starting at `fromSec`. */
export function storm(fromSec: number, n: number, everySec: number, message: string | object = 'x', extra: Partial<LogEvent> = {}): LogEvent[] {
  return Array.from({ length: n }, (_, i) => ev(fromSec + i * everySec, message, extra));
}
