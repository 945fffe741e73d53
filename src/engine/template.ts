/**
 * Alert templates: `{{ name }}` placeholders over the variables of SPEC §4
 * (`rule.*`, `labels.*`, `group.*`, `count`, `window`, `event.*`,
 * `suppressed`, `sampled`, plus `kind` and `reason`). Text outside placeholders is copied
 * as is; escaping for a destination (Slack mrkdwn, …) is the delivery
 * layer's job, so values are inserted raw here.
 */
import { compileSelector, MISSING, NOT_JSON, parseJsonMessage, SelectorError, type Selector } from './filter-adapter.js';
import { cutText, shownMessage, type FieldReader, type KeptEvent } from './kept.js';
import type { Severity } from '../model/config.js';

export interface TemplateProblem {
  /** Offset in the template text (0-based) where the problem starts. */
  readonly offset: number;
  readonly message: string;
}

/** What a rendered template can see. */
export interface TemplateValues {
  readonly kind: 'firing' | 'resolved';
  /** Why a resolved alert was sent by a reload (`rule-removed`, `rule-changed`); renders '' when unset. */
  readonly reason?: string | undefined;
  readonly rule: { readonly id: string; readonly description: string; readonly severity: Severity };
  readonly labels: Readonly<Record<string, string>>;
  readonly group: Readonly<Record<string, unknown>>;
  readonly count: number;
  readonly window: string;
  readonly suppressed: number;
  readonly sampled: boolean;
  /** The last matching event, if any (a cut one carries the `event.fields` values it had). */
  readonly event: KeptEvent | undefined;
}

/** Names a rule may use to narrow the check: its labels and its group keys. */
export interface TemplateScope {
  readonly labels?: readonly string[] | undefined;
  readonly group?: readonly string[] | undefined;
}

type Getter = (v: TemplateValues, json: { value?: unknown }) => unknown;
type Part = string | Getter;

export interface CompiledTemplate {
  readonly source: string;
  /** The paths of its `event.fields.<path>` placeholders. */
  readonly fieldPaths: readonly string[];
  render(values: TemplateValues): string;
}

/**
 * The fixed variables. A Map, not an object literal: a name every JS object has
 * (`constructor`, `hasOwnProperty`, `__proto__`) must be an unknown variable, not
 * Object.prototype's member.
 */
const SIMPLE: ReadonlyMap<string, Getter> = new Map(Object.entries<Getter>({
  kind: (v) => v.kind,
  reason: (v) => v.reason ?? '',
  count: (v) => v.count,
  window: (v) => v.window,
  suppressed: (v) => v.suppressed,
  sampled: (v) => v.sampled,
  'rule.id': (v) => v.rule.id,
  'rule.description': (v) => v.rule.description,
  'rule.severity': (v) => v.rule.severity,
  'event.message': (v) => (v.event ? shownMessage(v.event) : undefined),
  'event.timestamp': (v) => (v.event ? new Date(v.event.timestamp).toISOString() : undefined),
  'event.logGroup': (v) => v.event?.logGroup,
  'event.logStream': (v) => v.event?.logStream,
}));

const KNOWN_LIST = 'rule.id, rule.description, rule.severity, labels.<name>, group.<name>, count, window, ' +
  'event.message, event.timestamp, event.logGroup, event.logStream, event.fields.<path>, suppressed, sampled, kind, reason';

interface Placeholder {
  readonly name: string;
  /** Offset of the name itself. */
  readonly offset: number;
}

/** Splits text into literal parts and placeholders; unterminated `{{` is a problem. */
function scan(text: string): { parts: (string | Placeholder)[]; problems: TemplateProblem[] } {
  const parts: (string | Placeholder)[] = [];
  const problems: TemplateProblem[] = [];
  let pos = 0;
  for (;;) {
    const open = text.indexOf('{{', pos);
    if (open < 0) break;
    const close = text.indexOf('}}', open + 2);
    if (close < 0) {
      problems.push({ offset: open, message: 'unterminated "{{" (a placeholder ends with "}}")' });
      break;
    }
    if (open > pos) parts.push(text.slice(pos, open));
    const inner = text.slice(open + 2, close);
    const lead = inner.length - inner.trimStart().length;
    parts.push({ name: inner.trim(), offset: open + 2 + lead });
    pos = close + 2;
  }
  if (pos < text.length) parts.push(text.slice(pos));
  return { parts, problems };
}

function getterFor(p: Placeholder, scope: TemplateScope | undefined): Getter | TemplateProblem {
  const name = p.name;
  if (name === '') return { offset: p.offset, message: 'empty placeholder "{{}}"' };
  const simple = SIMPLE.get(name);
  if (simple !== undefined) return simple;
  if (name.startsWith('labels.') && name.length > 7) {
    const key = name.slice(7);
    if (scope?.labels && !scope.labels.includes(key)) return { offset: p.offset, message: `unknown variable "${name}": the rule has no label "${key}"` };
    return (v) => own(v.labels, key);
  }
  if (name.startsWith('group.') && name.length > 6) {
    const key = name.slice(6);
    if (scope?.group && !scope.group.includes(key)) {
      const known = scope.group.length ? `groupBy gives ${scope.group.map((g) => `group.${g}`).join(', ')}` : 'the rule has no groupBy';
      return { offset: p.offset, message: `unknown variable "${name}": ${known}` };
    }
    return (v) => own(v.group, key);
  }
  if (name.startsWith('event.fields.') && name.length > 13) {
    const path = name.slice(13);
    const selector = path.startsWith('[') ? `$${path}` : `$.${path}`;
    let select;
    try {
      select = compileSelector(selector);
    } catch (err) {
      const at = err instanceof SelectorError ? Math.max(0, err.offset - (selector.length - path.length)) : 0;
      return { offset: p.offset + 13 + at, message: `bad field path in "${name}": ${(err as Error).message}` };
    }
    return (v, json) => {
      const e = v.event;
      if (!e) return undefined;
      // A cut message no longer parses: its fields were read when it was kept.
      if (e.fields !== undefined) return own(e.fields, path);
      return readField(select, e.message, json);
    };
  }
  return { offset: p.offset, message: `unknown variable "${name}" (known: ${KNOWN_LIST})` };
}

function readField(select: Selector, message: string, json: { value?: unknown }): unknown {
  if (!('value' in json)) json.value = parseJsonMessage(message);
  if (json.value === NOT_JSON) return undefined;
  const got = select.first(json.value);
  return got === MISSING ? undefined : got;
}

/**
 * Reads the given `event.fields` paths from a whole message, rendered as templates render them
 * (and cut like a kept message): what a kept event whose message was cut still shows.
 */
export function fieldReader(paths: readonly string[]): FieldReader | undefined {
  const selectors = [...new Set(paths)].map((path) => [path, compileSelector(path.startsWith('[') ? `$${path}` : `$.${path}`)] as const);
  if (selectors.length === 0) return undefined;
  return (message) => {
    const json: { value?: unknown } = {};
    const entries: [string, string][] = [];
    for (const [path, select] of selectors) {
      const v = readField(select, message, json);
      if (v !== undefined) entries.push([path, cutText(show(v))]);
    }
    // fromEntries defines own properties, also for a path named `__proto__`.
    return Object.fromEntries(entries);
  };
}

/** `obj[key]` when it is the object's own property (a label or group named `constructor` is data, never Object.prototype's). */
function own(obj: Readonly<Record<string, unknown>>, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** Problems in a template: unterminated placeholders and unknown variables, with offsets. */
export function checkTemplate(text: string, scope?: TemplateScope): TemplateProblem[] {
  const { parts, problems } = scan(text);
  for (const part of parts) {
    if (typeof part === 'string') continue;
    const g = getterFor(part, scope);
    if (typeof g !== 'function') problems.push(g);
  }
  return problems.sort((a, b) => a.offset - b.offset);
}

function show(value: unknown): string {
  if (value === undefined) return '';
  if (value === null) return 'null';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Compiles a template; unknown variables render as '' (the loader has rejected them already). */
export function compileTemplate(text: string): CompiledTemplate {
  const { parts } = scan(text);
  const fieldPaths: string[] = [];
  const compiled: Part[] = parts.map((p) => {
    if (typeof p === 'string') return p;
    const g = getterFor(p, undefined);
    if (typeof g !== 'function') return '';
    if (p.name.startsWith('event.fields.')) fieldPaths.push(p.name.slice(13));
    return g;
  });
  if (compiled.every((p) => typeof p === 'string')) {
    const constant = compiled.join('');
    return { source: text, fieldPaths, render: () => constant };
  }
  return {
    source: text,
    fieldPaths,
    render(values) {
      const json: { value?: unknown } = {};
      let out = '';
      for (const p of compiled) out += typeof p === 'string' ? p : show(p(values, json));
      return out;
    },
  };
}
