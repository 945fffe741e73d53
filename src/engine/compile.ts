/**
 * A rule made ready for the hot path: its filter pattern, match tree,
 * groupBy readers, routing keys and templates compiled once.
 */
import { createHash } from 'node:crypto';
import type { MatchNode, Rule } from '../model/config.js';
import { formatDuration } from '../duration.js';
import { compileFilterPattern, MISSING, SelectorError, type CompiledFilterPatternLike } from './filter-adapter.js';
import { compileField, compileMatch, patternTest, RuleCompileError, type EventView, type Predicate } from './match.js';
import { cutText, type FieldReader } from './kept.js';
import { compileTemplate, fieldReader, type CompiledTemplate } from './template.js';

export type GroupValue = string | number | boolean | null;

export interface CompiledRule {
  readonly rule: Rule;
  /** Undefined: the empty pattern (everything passes). */
  readonly filter: CompiledFilterPatternLike | undefined;
  /** `filter` as a test of the event (match.ts, patternTest); undefined with `filter`. */
  readonly filterTest: Predicate | undefined;
  readonly match: Predicate | undefined;
  /** `$.merchantId` → `merchantId`. */
  readonly groupNames: readonly string[];
  readonly groupReaders: readonly ((view: EventView) => unknown)[];
  /** Log group names this rule listens to (ARNs reduced to names). */
  readonly logGroupNames: readonly string[];
  readonly streams: ReadonlySet<string> | undefined;
  readonly streamPrefixes: readonly string[] | undefined;
  readonly windowText: string;
  readonly title: CompiledTemplate;
  readonly text: CompiledTemplate;
  /** The title of a resolved alert (never the firing `title`): `resolvedTitle`, else the description, else the id. */
  readonly resolvedTitle: CompiledTemplate;
  /** `resolvedMessage`; undefined: the built-in resolved text (alert-build.ts). */
  readonly resolvedText: CompiledTemplate | undefined;
  /** Reads the `event.fields` its templates use from a whole message (kept with a cut one); undefined when they use none. */
  readonly fields: FieldReader | undefined;
  readonly fingerprint: string;
}

/** `arn:aws:logs:eu-west-1:123:log-group:/ecs/x:*` → `/ecs/x`; names pass through. */
export function logGroupName(identifier: string): string {
  if (!identifier.startsWith('arn:')) return identifier;
  const at = identifier.indexOf(':log-group:');
  if (at < 0) return identifier;
  const name = identifier.slice(at + ':log-group:'.length);
  return name.endsWith(':*') ? name.slice(0, -2) : name;
}

/** The group key name for a groupBy selector: `$.user.id` → `user.id`. */
export function groupName(selector: string): string {
  return selector.startsWith('$.') ? selector.slice(2) : selector.startsWith('$') ? selector.slice(1) : selector;
}

/**
 * What decides whether a reloaded rule keeps its windows: the parts that
 * change what is counted (source, match, window). Text, labels, severity,
 * notify, throttle and resolve can change without losing state.
 */
export function ruleFingerprint(rule: Rule): string {
  const basis = { source: rule.source, match: rule.match ? stripPos(rule.match) : null, window: rule.window ?? null };
  return createHash('sha256').update(stableJson(basis)).digest('hex').slice(0, 16);
}

function stripPos(node: MatchNode): unknown {
  switch (node.kind) {
    case 'all':
    case 'any':
      return { kind: node.kind, children: node.children.map(stripPos) };
    case 'not':
      return { kind: 'not', child: stripPos(node.child) };
    case 'field':
      return { kind: 'field', field: node.field, test: node.test };
    case 'pattern':
      return { kind: 'pattern', pattern: node.pattern };
  }
}

/** JSON with object keys sorted, so equal values hash equally. */
export function stableJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

export function compileRule(rule: Rule): CompiledRule {
  const pattern = rule.source.filterPattern?.trim() ?? '';
  let filter: CompiledFilterPatternLike | undefined;
  if (pattern !== '') {
    try {
      filter = compileFilterPattern(pattern);
    } catch (err) {
      throw new RuleCompileError(`filterPattern: ${(err as Error).message}`, rule.pos, rule.id);
    }
  }
  const match = rule.match ? compileMatch(rule.match, rule.id) : undefined;
  const groupBy = rule.window?.groupBy ?? [];
  const groupReaders = groupBy.map((sel) => {
    try {
      return compileField(sel).read;
    } catch (err) {
      const msg = err instanceof SelectorError ? err.message : String(err);
      throw new RuleCompileError(`groupBy "${sel}": ${msg}`, rule.pos, rule.id);
    }
  });
  const title = rule.title !== '' ? rule.title : rule.description !== '' ? rule.description : '{{rule.id}}';
  const templates = {
    title: compileTemplate(title),
    text: compileTemplate(rule.message),
    resolvedTitle: rule.resolvedTitle ? compileTemplate(rule.resolvedTitle) : literal(rule.description !== '' ? rule.description : rule.id),
    resolvedText: rule.resolvedMessage === undefined ? undefined : compileTemplate(rule.resolvedMessage),
  };
  return {
    rule,
    filter,
    filterTest: filter === undefined ? undefined : patternTest(filter),
    match: match?.test,
    groupNames: groupBy.map(groupName),
    groupReaders,
    logGroupNames: [...new Set(rule.source.logGroups.map(logGroupName))],
    streams: rule.source.logStreams?.length ? new Set(rule.source.logStreams) : undefined,
    streamPrefixes: rule.source.logStreamPrefixes?.length ? rule.source.logStreamPrefixes : undefined,
    windowText: rule.window ? formatDuration(rule.window.withinMs) : '',
    ...templates,
    fields: fieldReader(Object.values(templates).flatMap((t) => t?.fieldPaths ?? [])),
    fingerprint: ruleFingerprint(rule),
  };
}

/** Text used as is: a description is not a template (its `{{` are not placeholders). */
function literal(text: string): CompiledTemplate {
  return { source: text, fieldPaths: [], render: () => text };
}

/** A groupBy value as it appears in the alert: scalars as they are, missing as null, objects as JSON text. */
export function groupValue(v: unknown): GroupValue {
  if (v === MISSING || v === undefined || v === null) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return JSON.stringify(v);
}

/** Group values longer than this (UTF-16 code units) are cut in alerts, with "…". */
export const MAX_GROUP_VALUE_CHARS = 1024;

/**
 * A long group value as its group keeps it (a group lives on, and a hostile line may carry a
 * megabyte where an id was expected): `shown` cut with "…" for alerts, `key` the cut text and the
 * SHA-256 of the whole, so values that differ after the cut are still different groups.
 */
export function boundGroupValue(v: GroupValue): { shown: GroupValue; key: GroupValue } {
  if (typeof v !== 'string' || v.length <= MAX_GROUP_VALUE_CHARS) return { shown: v, key: v };
  const shown = cutText(v, MAX_GROUP_VALUE_CHARS);
  const whole = (v as string & { isWellFormed(): boolean }).isWellFormed() ? v : Buffer.from(v, 'utf16le');
  return { shown, key: `${shown}\u0000${createHash('sha256').update(whole).digest('hex')}` };
}
