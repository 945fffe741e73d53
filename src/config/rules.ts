/**
 * One rule file (docs/rules.md): YAML → schema → semantic checks → typed `Rule`s
 * with defaults merged (config < file < rule). Every problem points at the
 * node it concerns. Cross-file checks (duplicate ids) live in load.ts.
 */
import { isArnLike, logGroupTarget, parseLogGroupArn, ruleLogGroup, LOG_GROUP_ARN, LOG_GROUP_NAME, MAX_GROUPS_PER_SESSION as MAX_LOG_GROUPS } from '../aws/index.js';
import { parseDuration } from '../duration.js';
import { FilterPatternError, compileFilterPattern, compileSelector } from '../filter/index.js';
import { compileJsRegex, JsRegexError } from '../filter/js-regex.js';
import { checkTemplate } from '../model/template-grammar.js';
import type { Problem } from '../problems.js';
import { buildFeed, feedProblems, type RawFeed } from './feed.js';
import { buildDefaults, DEFAULT_TEMPLATES, defaultsTemplateProblems, type RawDefaults } from './config.js';
import { DEFAULT_SOURCE, type AwsSource, type LeafOperator, type MatchNode, type Rule, type RuleDefaults, type RuleWindow, type Severity, type SourcePos } from '../model/config.js';
import { displayPath, schemaIssues } from './schema.js';
import { YamlSource, type YamlPath } from './yaml-source.js';

export interface RuleFileContext {
  readonly defaults: RuleDefaults;
  /** Destination names that `notify` may use; undefined when no config was read (not checked). */
  readonly destinations?: ReadonlySet<string> | undefined;
  readonly region?: string | undefined;
  /** The config's sources by name (`default` included); undefined when no config was read (`source.from` not checked). */
  readonly sources?: ReadonlyMap<string, AwsSource> | undefined;
  /** False when the config itself is invalid: its defaults are unknown, so a missing `notify` is not worth a warning. */
  readonly defaultsKnown?: boolean | undefined;
}

export interface RuleFileResult {
  /** Enabled rules, ready for the engine. */
  readonly rules: readonly Rule[];
  /** Every rule id defined in the file (enabled or not) and how to find it, for duplicate checks. */
  readonly ids: readonly { readonly id: string; locate(): SourcePos }[];
  readonly problems: readonly Problem[];
}

const DEFAULT_THROTTLE_MS = 5 * 60_000;
const DEFAULT_MAX_GROUPS = 10_000;
const STRUCTURAL = ['all', 'any', 'not', 'pattern', 'field'] as const;
const OPERATORS = ['equals', 'notEquals', 'in', 'contains', 'startsWith', 'endsWith', 'regex', 'gt', 'gte', 'lt', 'lte', 'exists'] as const;
const EVENT_FIELDS = new Set(['message', 'logGroup', 'logStream']);

interface RawRule {
  id: string;
  description?: string;
  enabled?: boolean;
  severity?: Severity;
  labels?: Record<string, string>;
  source: { logGroups: string[]; logStreams?: string[]; logStreamPrefixes?: string[]; filterPattern?: string; from?: string };
  match?: RawMatch;
  window?: { type: RuleWindow['type']; count?: number; within: string; factor?: number; minCount?: number; groupBy?: string[]; maxGroups?: number };
  throttle?: string;
  resolve?: boolean;
  notify?: string[];
  title?: string;
  message?: string;
  resolvedTitle?: string;
  resolvedMessage?: string;
  feed?: RawFeed;
}
type RawMatch = Record<string, unknown>;

export function parseRuleFile(file: string, display: string, text: string, ctx: RuleFileContext): RuleFileResult {
  const { source, problems: yamlProblems } = YamlSource.parse(file, display, text);
  if (yamlProblems.some((p) => p.severity === 'error')) return { rules: [], ids: [], problems: yamlProblems };
  const value = source.toJS();
  if (value === undefined) return { rules: [], ids: [], problems: [source.problemAtOffset(0, 'empty rule file: expected a "rules:" list', 'schema')] };

  const { problems: schema, paths } = schemaIssues('rules', value, source);
  /** Rules with a schema problem inside, listed or not (by index: one lookup per rule, however many problems). */
  const invalid = new Set(paths.map((p) => (p[0] === 'rules' && typeof p[1] === 'number' ? p[1] : -1)));
  const doc = value as { defaults?: RawDefaults; rules?: RawRule[] };
  const problems: Problem[] = [...yamlProblems, ...schema];
  const ids: { id: string; locate(): SourcePos }[] = [];
  const rules: Rule[] = [];
  if (!Array.isArray(doc.rules)) return { rules, ids, problems };

  const fileDefaults = schema.some((p) => p.message.startsWith('defaults')) ? {} : buildDefaults(doc.defaults);
  problems.push(...defaultsTemplateProblems(doc.defaults, fileDefaults, source, ['defaults']));
  problems.push(...feedProblems(fieldOf(doc.defaults, 'feed'), source, ['defaults', 'feed']));
  const defaults = mergeDefaults(ctx.defaults, fileDefaults);

  doc.rules.forEach((raw, index) => {
    if (raw === null || typeof raw !== 'object' || typeof raw.id !== 'string') return;
    ids.push({ id: raw.id, locate: () => source.pos(['rules', index, 'id']) });
    // Schema errors inside a rule make that rule unusable; semantic checks still run on the others.
    if (invalid.has(index)) return;
    const checker = new RuleChecker(source, ['rules', index], raw.id, ctx);
    const rule = checker.build(raw, defaults);
    for (const p of checker.problems) problems.push(p);
    if (rule && checker.problems.every((p) => p.severity !== 'error') && rule.enabled) rules.push(rule);
  });
  return { rules, ids, problems };
}

function mergeDefaults(outer: RuleDefaults, inner: RuleDefaults): RuleDefaults {
  return {
    notify: inner.notify ?? outer.notify,
    throttleMs: inner.throttleMs ?? outer.throttleMs,
    severity: inner.severity ?? outer.severity,
    labels: { ...outer.labels, ...inner.labels },
    resolve: inner.resolve ?? outer.resolve,
    resolvedTitle: inner.resolvedTitle ?? outer.resolvedTitle,
    resolvedMessage: inner.resolvedMessage ?? outer.resolvedMessage,
    feed: inner.feed ?? outer.feed,
  };
}

function fieldOf(obj: unknown, key: string): unknown {
  return obj !== null && typeof obj === 'object' && !Array.isArray(obj) ? (obj as Record<string, unknown>)[key] : undefined;
}

class RuleChecker {
  readonly problems: Problem[] = [];
  constructor(
    private readonly source: YamlSource,
    private readonly base: YamlPath,
    private readonly ruleId: string,
    private readonly ctx: RuleFileContext,
  ) {}

  private report(rel: YamlPath, message: string, code: string, at: 'key' | 'value' = 'value', severity: 'error' | 'warning' = 'error'): void {
    const where = displayPath([...this.base, ...rel]);
    this.problems.push(this.source.problem([...this.base, ...rel], `${where}: ${message}`, code, { at, severity, ruleId: this.ruleId }));
  }

  private reportInScalar(rel: YamlPath, delta: number, message: string, code: string): void {
    const pos = this.source.posInScalar([...this.base, ...rel], delta);
    const where = displayPath([...this.base, ...rel]);
    this.problems.push({ ...pos, message: `${where}: ${message}`, code, severity: 'error', ruleId: this.ruleId });
  }

  build(raw: RawRule, defaults: RuleDefaults): Rule | undefined {
    this.checkSource(raw.source);
    for (const p of feedProblems(raw.feed, this.source, [...this.base, 'feed'], this.ruleId)) this.problems.push(p);
    const feed = raw.feed !== undefined ? buildFeed(raw.feed) : defaults.feed;
    const match = raw.match === undefined ? undefined : this.matchNode(raw.match, ['match']);
    const window = raw.window === undefined ? undefined : this.window(raw.window);
    const throttleMs = raw.throttle === undefined ? (defaults.throttleMs ?? DEFAULT_THROTTLE_MS) : this.duration(raw.throttle, ['throttle']);
    const notify = raw.notify ?? defaults.notify ?? [];
    this.checkNotify(notify, raw.notify !== undefined);
    const resolve = raw.resolve ?? defaults.resolve ?? false;
    if (resolve && !window) this.report(['resolve'], 'resolve needs a window (without one every event is its own alert)', 'resolve', 'key');
    const title = raw.title ?? (raw.description || raw.id);
    const message = raw.message ?? '{{count}} matching event(s). Last: {{event.message}}';
    const groupKeys = (window?.groupBy ?? []).map((s) => s.replace(/^\$\./, ''));
    const labels = { ...defaults.labels, ...raw.labels };
    const scope = { labels: Object.keys(labels), group: groupKeys };
    if (raw.title !== undefined) this.checkTemplate(raw.title, ['title'], scope);
    if (raw.message !== undefined) this.checkTemplate(raw.message, ['message'], scope);
    for (const key of DEFAULT_TEMPLATES) {
      if (raw[key] !== undefined) this.checkTemplate(raw[key], [key], scope);
      else if (defaults[key] !== undefined) this.checkInheritedTemplate(defaults[key], key, scope);
    }
    if (throttleMs === undefined) return undefined;
    return Object.freeze({
      id: raw.id,
      description: raw.description ?? '',
      enabled: raw.enabled ?? true,
      severity: raw.severity ?? defaults.severity ?? 'warning',
      labels: Object.freeze(labels),
      source: Object.freeze({
        // A trailing `:*` dropped here, once: targets, plan, sessions, IAM and the fingerprint all see the bare ARN.
        logGroups: Object.freeze(raw.source.logGroups.map(ruleLogGroup)),
        targets: Object.freeze(raw.source.logGroups.map((g) => Object.freeze(logGroupTarget(ruleLogGroup(g))))),
        logStreams: raw.source.logStreams ? Object.freeze([...raw.source.logStreams]) : undefined,
        logStreamPrefixes: raw.source.logStreamPrefixes ? Object.freeze([...raw.source.logStreamPrefixes]) : undefined,
        filterPattern: raw.source.filterPattern,
        region: this.regionOf(raw.source.from),
        // Left out for `default`: a rule that names it keeps the fingerprint (and windows) it had.
        ...(raw.source.from !== undefined && raw.source.from !== DEFAULT_SOURCE ? { from: raw.source.from } : {}),
      }),
      ...(feed && feed.kind !== 'live' ? { feed } : {}),
      match,
      window,
      throttleMs,
      resolve,
      notify: Object.freeze([...notify]),
      title,
      message,
      resolvedTitle: raw.resolvedTitle ?? defaults.resolvedTitle,
      resolvedMessage: raw.resolvedMessage ?? defaults.resolvedMessage,
      pos: this.source.objectPos(raw),
    } satisfies Rule);
  }

  /** The region of log group names: the rule's source's. */
  private regionOf(from: string | undefined): string | undefined {
    return from === undefined || from === DEFAULT_SOURCE || !this.ctx.sources ? this.ctx.region : this.ctx.sources.get(from)?.region;
  }

  /** `source.from` names a source; an ARN's region and account are the source's (or a linked account of a monitoring source). */
  private checkFrom(src: RawRule['source']): void {
    const sources = this.ctx.sources;
    if (!sources) return;
    const name = src.from ?? DEFAULT_SOURCE;
    const s = sources.get(name);
    if (!s) {
      if (src.from !== undefined) this.report(['source', 'from'], `no source named "${name}" (config sources: ${[...sources.keys()].join(', ')})`, 'source');
      return;
    }
    // `aws:` alone (no `sources:`) still watches ARNs of any region and account it can read, as it always did.
    if (sources.size === 1) return;
    src.logGroups.forEach((g, i) => {
      const ref = parseLogGroupArn(g);
      if (!ref) return;
      if (s.region && ref.region !== s.region) {
        this.report(['source', 'logGroups', i], `log group ARN is in ${ref.region}, but source ${name} is in ${s.region} (name a source of ${ref.region} with source.from)`, 'source');
      } else if (s.accountId && ref.account !== s.accountId && !s.linkedAccounts?.includes(ref.account)) {
        const linked = s.linkedAccounts?.length ? ` (linked: ${s.linkedAccounts.join(', ')})` : '';
        this.report(['source', 'logGroups', i], `log group ARN is in account ${ref.account}, but source ${name} is account ${s.accountId}${linked}: name that account's source with source.from, or list the account in linkedAccounts of a monitoring account's source`, 'source');
      }
    });
  }

  private checkSource(src: RawRule['source']): void {
    this.checkFrom(src);
    const groups = src.logGroups;
    if (groups.length > MAX_LOG_GROUPS) {
      this.report(['source', 'logGroups'], `at most ${MAX_LOG_GROUPS} log groups a rule (Live Tail limit), got ${groups.length}`, 'source', 'key');
    }
    groups.forEach((g, i) => {
      if (isArnLike(g)) {
        // One trailing `:*` (as the console and IAM show ARNs) is dropped; any other `*` is a wildcard Live Tail does not take.
        if (ruleLogGroup(g).includes('*') || g.endsWith(':log-group:*')) this.report(['source', 'logGroups', i], 'a log group ARN must not contain "*" (Live Tail takes exact ARNs; only a trailing ":*" is dropped)', 'source');
        else if (!LOG_GROUP_ARN.test(g)) this.report(['source', 'logGroups', i], 'not a log group ARN (arn:aws:logs:REGION:ACCOUNT:log-group:NAME)', 'source');
      } else if (!LOG_GROUP_NAME.test(g)) {
        this.report(['source', 'logGroups', i], 'not a valid log group name (1-512 of letters, digits, . - _ / #)', 'source');
      }
    });
    const seen = new Map<string, number>();
    groups.forEach((g, i) => {
      const same = ruleLogGroup(g);
      if (seen.has(same)) this.report(['source', 'logGroups', i], `log group "${g}" is listed twice`, 'source');
      seen.set(same, i);
    });
    if (src.logStreams && src.logStreamPrefixes) {
      this.report(['source', 'logStreamPrefixes'], 'logStreams and logStreamPrefixes cannot be used together', 'source', 'key');
    }
    for (const key of ['logStreams', 'logStreamPrefixes'] as const) {
      if (src[key] && groups.length > 1) this.report(['source', key], `${key} can only be used with exactly one log group (Live Tail limit)`, 'source', 'key');
      if (src[key] && src[key].length > 100) this.report(['source', key], `at most 100 ${key} (Live Tail limit)`, 'source', 'key');
    }
    if (src.filterPattern !== undefined) this.filterPattern(src.filterPattern, ['source', 'filterPattern']);
  }

  private filterPattern(pattern: string, rel: YamlPath): void {
    try {
      compileFilterPattern(pattern);
    } catch (err) {
      if (!(err instanceof FilterPatternError)) throw err;
      this.reportInScalar(rel, Math.max(0, err.column - 1), `invalid filter pattern: ${err.message}`, 'filter-pattern');
    }
  }

  private selector(selector: string, rel: YamlPath): void {
    try {
      compileSelector(selector);
    } catch (err) {
      if (!(err instanceof FilterPatternError)) throw err;
      this.reportInScalar(rel, Math.max(0, err.column - 1), `invalid selector: ${err.message}`, 'selector');
    }
  }

  private matchNode(raw: RawMatch, rel: YamlPath): MatchNode | undefined {
    const pos = this.source.objectPos(raw);
    const structural = STRUCTURAL.filter((k) => k in raw);
    const ops = OPERATORS.filter((k) => k in raw);
    if (structural.length !== 1) {
      const what = structural.length === 0 ? (ops.length ? `operator ${ops[0]} needs a "field"` : 'empty condition') : `only one of ${structural.join(', ')} may be given`;
      this.report(rel, `${what}: a condition is one of all, any, not, pattern, or field with one operator`, 'match');
      return undefined;
    }
    const kind = structural[0]!;
    if (kind !== 'field' && ops.length > 0) {
      this.report([...rel, ops[0]!], `operator ${ops[0]} needs a "field" (not allowed beside ${kind})`, 'match', 'key');
      return undefined;
    }
    switch (kind) {
      case 'all':
      case 'any': {
        const children = (raw[kind] as RawMatch[]).map((c, i) => this.matchNode(c, [...rel, kind, i]));
        if (children.some((c) => c === undefined)) return undefined;
        return Object.freeze({ kind, children: Object.freeze(children as MatchNode[]), pos });
      }
      case 'not': {
        const child = this.matchNode(raw['not'] as RawMatch, [...rel, 'not']);
        return child && Object.freeze({ kind: 'not' as const, child, pos });
      }
      case 'pattern': {
        const pattern = raw['pattern'] as string;
        this.filterPattern(pattern, [...rel, 'pattern']);
        return Object.freeze({ kind: 'pattern' as const, pattern, pos });
      }
      case 'field': {
        const field = raw['field'] as string;
        if (field.startsWith('$')) this.selector(field, [...rel, 'field']);
        else if (!EVENT_FIELDS.has(field)) {
          this.report([...rel, 'field'], 'field must be a $. selector into the JSON message, or message, logGroup or logStream', 'match');
          return undefined;
        }
        if (ops.length !== 1) {
          this.report(ops.length ? [...rel, ops[1]!] : rel, ops.length ? `more than one operator (${ops.join(', ')}): combine conditions with all:` : `field condition needs one operator: ${OPERATORS.join(', ')}`, 'match', ops.length ? 'key' : 'value');
          return undefined;
        }
        const op = ops[0]!;
        if (op === 'regex') {
          try {
            compileJsRegex(raw['regex'] as string);
          } catch (err) {
            if (!(err instanceof JsRegexError)) throw err;
            // A syntax error is the regex's as a whole; a construct the linear engine cannot run is placed.
            if (err.kind === 'syntax') this.report([...rel, 'regex'], err.message, 'regex');
            else this.reportInScalar([...rel, 'regex'], err.offset, err.message, 'regex');
            return undefined;
          }
        }
        const test = { op, value: raw[op] } as LeafOperator;
        return Object.freeze({ kind: 'field' as const, field, test, pos });
      }
    }
  }

  private window(raw: NonNullable<RawRule['window']>): RuleWindow | undefined {
    const withinMs = this.duration(raw.within, ['window', 'within']);
    if (withinMs === 0) this.report(['window', 'within'], 'must be longer than 0s', 'duration');
    const groupBy = raw.groupBy ?? [];
    groupBy.forEach((sel, i) => {
      if (!sel.startsWith('$.')) this.report(['window', 'groupBy', i], 'groupBy takes $. selectors into the JSON message', 'window');
      else this.selector(sel, ['window', 'groupBy', i]);
    });
    const maxGroups = raw.maxGroups ?? DEFAULT_MAX_GROUPS;
    const misplaced = (keys: readonly ('count' | 'factor' | 'minCount')[]) => {
      for (const k of keys) if (raw[k] !== undefined) this.report(['window', k], `${k} is not used by a ${raw.type} window`, 'window', 'key');
    };
    if (withinMs === undefined) return undefined;
    switch (raw.type) {
      case 'threshold':
        misplaced(['factor', 'minCount']);
        if (raw.count === undefined) {
          this.report(['window'], 'a threshold window needs "count"', 'window', 'key');
          return undefined;
        }
        return Object.freeze({ type: 'threshold' as const, count: raw.count, withinMs, groupBy: Object.freeze([...groupBy]), maxGroups });
      case 'absence':
        misplaced(['factor', 'minCount']);
        return Object.freeze({ type: 'absence' as const, count: raw.count ?? 1, withinMs, groupBy: Object.freeze([...groupBy]), maxGroups });
      case 'spike':
        misplaced(['count']);
        if (raw.factor === undefined) {
          this.report(['window'], 'a spike window needs "factor"', 'window', 'key');
          return undefined;
        }
        return Object.freeze({ type: 'spike' as const, factor: raw.factor, minCount: raw.minCount ?? 1, withinMs, groupBy: Object.freeze([...groupBy]), maxGroups });
    }
  }

  private duration(text: string, rel: YamlPath): number | undefined {
    const ms = parseDuration(text);
    if (ms === undefined) this.report(rel, `invalid duration "${text}" (use e.g. 500ms, 30s, 5m, 2h55m, 1d)`, 'duration');
    return ms;
  }

  private checkNotify(notify: readonly string[], own: boolean): void {
    const known = this.ctx.destinations;
    if (!known) return;
    if (notify.length === 0) {
      if (this.ctx.defaultsKnown !== false) {
        this.problems.push(this.source.problem([...this.base, 'id'], `${displayPath(this.base)}: no notify destinations (set notify: or defaults.notify); its alerts go nowhere`, 'notify', { severity: 'warning', ruleId: this.ruleId }));
      }
      return;
    }
    notify.forEach((name, i) => {
      if (known.has(name)) return;
      const msg = `no destination named "${name}" in the config (defined: ${[...known].join(', ') || 'none'})`;
      if (own) this.report(['notify', i], msg, 'notify');
      else this.problems.push(this.source.problem([...this.base, 'id'], `${displayPath(this.base)}: notify (from defaults): ${msg}`, 'notify', { ruleId: this.ruleId }));
    });
  }

  private checkTemplate(text: string, rel: YamlPath, scope: { labels: string[]; group: string[] }): void {
    for (const p of checkTemplate(text, scope)) this.reportInScalar(rel, p.offset, p.message, 'template');
  }

  /**
   * A template from `defaults:` against this rule's labels and groupBy (the
   * rest was checked where the default is written), reported at the rule's id
   * as an inherited `notify` is.
   */
  private checkInheritedTemplate(text: string, key: string, scope: { labels: string[]; group: string[] }): void {
    const unscoped = new Set(checkTemplate(text).map((p) => p.offset));
    for (const p of checkTemplate(text, scope)) {
      if (unscoped.has(p.offset)) continue;
      this.problems.push(this.source.problem([...this.base, 'id'], `${displayPath(this.base)}: ${key} (from defaults): ${p.message}`, 'template', { ruleId: this.ruleId }));
    }
  }
}
