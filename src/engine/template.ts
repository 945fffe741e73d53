/**
 * Rendering alert templates. The grammar (placeholders, the variables, what
 * a template may name) is src/model/template-grammar.ts, shared with the
 * config loader; this file maps each variable to the value it shows.
 * Escaping for a destination (Slack mrkdwn, …) is the delivery layer's job,
 * so values are inserted raw here.
 */
import { compileSelector, MISSING, NOT_JSON, parseJsonMessage, type Selector } from './filter-adapter.js';
import { cutText, shownMessage, type FieldReader, type KeptEvent } from './kept.js';
import type { Severity } from '../model/config.js';
import { fieldSelector, parseTemplate, parseVariable, type Placeholder, type SimpleVariable } from '../model/template-grammar.js';

export { checkTemplate, type TemplateProblem, type TemplateScope } from '../model/template-grammar.js';

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
  // Every variable of the grammar, and no other (the type says so).
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
} satisfies Record<SimpleVariable, Getter>));

/** The getter for a placeholder; undefined for one the grammar rejects (the loader has reported it already). */
function getterFor(p: Placeholder): Getter | undefined {
  const v = parseVariable(p);
  if ('message' in v) return undefined;
  switch (v.kind) {
    case 'simple':
      return SIMPLE.get(v.name);
    case 'label':
      return (values) => own(values.labels, v.key);
    case 'group':
      return (values) => own(values.group, v.key);
    case 'field': {
      const select = compileSelector(v.selector);
      return (values, json) => {
        const e = values.event;
        if (!e) return undefined;
        // A cut message no longer parses: its fields were read when it was kept.
        if (e.fields !== undefined) return own(e.fields, v.path);
        return readField(select, e.message, json);
      };
    }
  }
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
  const selectors = [...new Set(paths)].map((path) => [path, compileSelector(fieldSelector(path))] as const);
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

function show(value: unknown): string {
  if (value === undefined) return '';
  if (value === null) return 'null';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Compiles a template; unknown variables render as '' (the loader has rejected them already). */
export function compileTemplate(text: string): CompiledTemplate {
  const { parts } = parseTemplate(text);
  const fieldPaths: string[] = [];
  const compiled: Part[] = parts.map((p) => {
    if (typeof p === 'string') return p;
    const g = getterFor(p);
    if (g === undefined) return '';
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
