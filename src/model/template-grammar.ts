/**
 * The alert template grammar: `{{ name }}` placeholders over a fixed set of
 * variables (`rule.*`, `labels.*`, `group.*`, `count`, `window`, `event.*`,
 * `suppressed`, `sampled`, `kind`, `reason`); text outside placeholders is
 * literal. One grammar, one implementation: the config loader checks
 * templates with `checkTemplate`, the engine renders them with what
 * `parseTemplate` and `parseVariable` find (src/engine/template.ts).
 * `event.fields.<path>` paths are the filter stage's JSON selectors.
 */
import { compileSelector, FilterPatternError } from '../filter/index.js';

export interface TemplateProblem {
  /** Offset in the template text (0-based) where the problem starts. */
  readonly offset: number;
  readonly message: string;
}

/** Names a rule may use to narrow the check: its labels and its group keys. */
export interface TemplateScope {
  readonly labels?: readonly string[] | undefined;
  readonly group?: readonly string[] | undefined;
}

/** The variables without a key. */
export const SIMPLE_VARIABLES = [
  'kind', 'reason', 'count', 'window', 'suppressed', 'sampled',
  'rule.id', 'rule.description', 'rule.severity',
  'event.message', 'event.timestamp', 'event.logGroup', 'event.logStream',
] as const;
export type SimpleVariable = (typeof SIMPLE_VARIABLES)[number];
const SIMPLE: ReadonlySet<string> = new Set(SIMPLE_VARIABLES);

const KNOWN_LIST = 'rule.id, rule.description, rule.severity, labels.<name>, group.<name>, count, window, ' +
  'event.message, event.timestamp, event.logGroup, event.logStream, event.fields.<path>, suppressed, sampled, kind, reason';

export interface Placeholder {
  readonly name: string;
  /** Offset of the name itself. */
  readonly offset: number;
}

/** What a placeholder names. */
export type Variable =
  | { readonly kind: 'simple'; readonly name: SimpleVariable }
  | { readonly kind: 'label'; readonly key: string }
  | { readonly kind: 'group'; readonly key: string }
  /** `path` as written after `event.fields.`; `selector` the JSON selector it reads. */
  | { readonly kind: 'field'; readonly path: string; readonly selector: string };

/** Splits text into literal parts and placeholders; unterminated `{{` is a problem. */
export function parseTemplate(text: string): { parts: (string | Placeholder)[]; problems: TemplateProblem[] } {
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

/** The JSON selector an `event.fields.<path>` reads: `$.a.b`, or `$[…]` for a bracketed path. */
export function fieldSelector(path: string): string {
  return path.startsWith('[') ? `$${path}` : `$.${path}`;
}

/** The variable a placeholder names, or the problem with it (unknown, out of the rule's scope, a bad field path). */
export function parseVariable(p: Placeholder, scope?: TemplateScope): Variable | TemplateProblem {
  const name = p.name;
  if (name === '') return { offset: p.offset, message: 'empty placeholder "{{}}"' };
  if (SIMPLE.has(name)) return { kind: 'simple', name: name as SimpleVariable };
  if (name.startsWith('labels.') && name.length > 7) {
    const key = name.slice(7);
    if (scope?.labels && !scope.labels.includes(key)) return { offset: p.offset, message: `unknown variable "${name}": the rule has no label "${key}"` };
    return { kind: 'label', key };
  }
  if (name.startsWith('group.') && name.length > 6) {
    const key = name.slice(6);
    if (scope?.group && !scope.group.includes(key)) {
      const known = scope.group.length ? `groupBy gives ${scope.group.map((g) => `group.${g}`).join(', ')}` : 'the rule has no groupBy';
      return { offset: p.offset, message: `unknown variable "${name}": ${known}` };
    }
    return { kind: 'group', key };
  }
  if (name.startsWith('event.fields.') && name.length > 13) {
    const path = name.slice(13);
    const selector = fieldSelector(path);
    try {
      compileSelector(selector);
    } catch (err) {
      const at = err instanceof FilterPatternError ? Math.max(0, err.column - 1 - (selector.length - path.length)) : 0;
      return { offset: p.offset + 13 + at, message: `bad field path in "${name}": ${(err as Error).message}` };
    }
    return { kind: 'field', path, selector };
  }
  return { offset: p.offset, message: `unknown variable "${name}" (known: ${KNOWN_LIST})` };
}

/** Problems in a template: unterminated placeholders and unknown variables, with offsets. */
export function checkTemplate(text: string, scope?: TemplateScope): TemplateProblem[] {
  const { parts, problems } = parseTemplate(text);
  for (const part of parts) {
    if (typeof part === 'string') continue;
    const v = parseVariable(part, scope);
    if ('message' in v) problems.push(v);
  }
  return problems.sort((a, b) => a.offset - b.offset);
}
