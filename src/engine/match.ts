/**
 * The `match` tree of a rule compiled to a predicate over one event.
 * A leaf whose field is missing, or whose `$.` field meets a message that is
 * not JSON, is false (so `not` of it is true) — never an error.
 */
import type { FieldRef, LeafOperator, MatchNode, SourcePos } from '../model/config.js';
import type { LogEvent } from '../model/event.js';
import { compileFilterPattern, compileJsRegex, compileSelector, jsonTopValue, MISSING, NOT_JSON, parseJsonMessage, SelectorError, type CompiledFilterPatternLike } from './filter-adapter.js';

const UNPARSED: unique symbol = Symbol('unparsed');

/** One event as the rules see it: the message is parsed as JSON at most once, on first need. */
export class EventView {
  event: LogEvent;
  private parsed: unknown = UNPARSED;
  private backslash: boolean | undefined;
  constructor(event: LogEvent) {
    this.event = event;
  }
  /** Whether the message holds a backslash (JSON prefilters need it; found once per event). */
  escaped(): boolean {
    if (this.backslash === undefined) this.backslash = this.event.message.indexOf('\\') >= 0;
    return this.backslash;
  }
  /** The message parsed as JSON, or NOT_JSON. */
  json(): unknown {
    if (this.parsed === UNPARSED) this.parsed = parseJsonMessage(this.event.message);
    return this.parsed;
  }
  /**
   * `$.key` of the message, MISSING when absent or not JSON: from the parse
   * when there is one, else by scanning the text (no objects built).
   */
  topValue(key: string): unknown {
    let json = this.parsed;
    if (json === UNPARSED) {
      const v = jsonTopValue(this.event.message, key);
      if (v !== NOT_JSON) return v === undefined ? MISSING : v;
      json = this.parsed = NOT_JSON;
    }
    return json !== null && typeof json === 'object' && !Array.isArray(json) && Object.hasOwn(json, key) ? (json as Record<string, unknown>)[key] : MISSING;
  }
}

export type Predicate = (view: EventView) => boolean;

/**
 * A filter pattern as a test of the event: a JSON pattern reads the event's
 * one shared parse, after its raw-text prefilter (a message it rejects is
 * not parsed). The rule's filterPattern and `pattern:` leaves both use it.
 */
export function patternTest(compiled: CompiledFilterPatternLike): Predicate {
  if (compiled.kind !== 'json') return (v) => compiled.matches(v.event.message);
  const may = compiled.mayMatch;
  if (may === undefined) return (v) => compiled.matches(v.event.message, v.json());
  return (v) => may(v.event.message, v.escaped()) && compiled.matches(v.event.message, v.json());
}

/** A definition the engine cannot compile (bad regex, bad selector); carries the YAML position. */
export class RuleCompileError extends Error {
  constructor(message: string, readonly pos: SourcePos | undefined, readonly ruleId: string) {
    super(message);
    this.name = 'RuleCompileError';
  }
}

/** Reads a field of the event: `message`, `logGroup`, `logStream`, or a `$.` selector (MISSING when absent). */
export function compileField(field: FieldRef): { read: (view: EventView) => unknown; readAll?: (view: EventView) => unknown[]; needsJson: boolean } {
  if (field === 'message') return { read: (v) => v.event.message, needsJson: false };
  if (field === 'logGroup') return { read: (v) => v.event.logGroup, needsJson: false };
  if (field === 'logStream') return { read: (v) => v.event.logStream, needsJson: false };
  const select = compileSelector(field);
  const key = select.topKey;
  return {
    needsJson: true,
    // `$.key`: one field, read without parsing the whole message unless it was parsed already.
    read: key !== undefined ? (v) => v.topValue(key) : (v) => {
      const json = v.json();
      return json === NOT_JSON ? MISSING : select.first(json);
    },
    // A wildcard (`$.items[*].code`) can reach several values: a leaf holds when any of them passes.
    readAll: select.wildcard ? (v) => {
      const json = v.json();
      return json === NOT_JSON ? [] : select.all(json);
    } : undefined,
  };
}

/** Loose scalar equality: same type and value, or a number and its decimal text (`500` = `"500"`). */
export function scalarEquals(actual: unknown, expected: string | number | boolean | null): boolean {
  if (actual === expected) return true;
  if (typeof expected === 'number' && typeof actual === 'string') return actual.trim() !== '' && Number(actual) === expected;
  if (typeof expected === 'string' && (typeof actual === 'number' || typeof actual === 'boolean')) return String(actual) === expected;
  return false;
}

function asText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function leafTest(test: LeafOperator): (v: unknown) => boolean {
  switch (test.op) {
    case 'equals': {
      const want = test.value;
      return (v) => scalarEquals(v, want);
    }
    case 'notEquals': {
      const want = test.value;
      return (v) => !scalarEquals(v, want);
    }
    case 'in': {
      const set = test.value;
      return (v) => set.some((w) => scalarEquals(v, w));
    }
    case 'contains': {
      const s = test.value;
      return (v) => asText(v)?.includes(s) ?? false;
    }
    case 'startsWith': {
      const s = test.value;
      return (v) => asText(v)?.startsWith(s) ?? false;
    }
    case 'endsWith': {
      const s = test.value;
      return (v) => asText(v)?.endsWith(s) ?? false;
    }
    case 'regex': {
      // V8's linear-time engine: no value can make a rule's regex run long (filter/js-regex.ts).
      const re = compileJsRegex(test.value);
      return (v) => {
        const t = asText(v);
        return t !== undefined && re.test(t);
      };
    }
    case 'gt': {
      const n = test.value;
      return (v) => (asNumber(v) ?? NaN) > n;
    }
    case 'gte': {
      const n = test.value;
      return (v) => (asNumber(v) ?? NaN) >= n;
    }
    case 'lt': {
      const n = test.value;
      return (v) => (asNumber(v) ?? NaN) < n;
    }
    case 'lte': {
      const n = test.value;
      return (v) => (asNumber(v) ?? NaN) <= n;
    }
    case 'exists':
      return () => true; // handled by the caller: it needs to see MISSING
  }
}

/** Compiles a match tree; throws RuleCompileError (with the node's position) for a bad regex or selector. */
export function compileMatch(node: MatchNode, ruleId: string): { test: Predicate; needsJson: boolean } {
  switch (node.kind) {
    case 'all': {
      const kids = node.children.map((c) => compileMatch(c, ruleId));
      const tests = kids.map((k) => k.test);
      return { needsJson: kids.some((k) => k.needsJson), test: (v) => tests.every((t) => t(v)) };
    }
    case 'any': {
      const kids = node.children.map((c) => compileMatch(c, ruleId));
      const tests = kids.map((k) => k.test);
      return { needsJson: kids.some((k) => k.needsJson), test: (v) => tests.some((t) => t(v)) };
    }
    case 'not': {
      const kid = compileMatch(node.child, ruleId);
      const t = kid.test;
      return { needsJson: kid.needsJson, test: (v) => !t(v) };
    }
    case 'pattern': {
      let compiled;
      try {
        compiled = compileFilterPattern(node.pattern);
      } catch (err) {
        throw new RuleCompileError(`pattern: ${(err as Error).message}`, node.pos, ruleId);
      }
      return { needsJson: compiled.kind === 'json', test: patternTest(compiled) };
    }
    case 'field': {
      let field;
      let check;
      try {
        field = compileField(node.field);
        check = leafTest(node.test);
      } catch (err) {
        const what = err instanceof SelectorError ? `field "${node.field}"` : node.test.op;
        throw new RuleCompileError(`${what}: ${(err as Error).message}`, node.pos, ruleId);
      }
      const read = field.read;
      const readAll = field.readAll;
      if (node.test.op === 'exists') {
        const want = node.test.value;
        // A non-JSON message makes a `$.` leaf false, even `exists: false` (no field of it exists or is absent).
        if (field.needsJson) {
          return {
            needsJson: true,
            test: (v) => v.json() !== NOT_JSON && (read(v) !== MISSING) === want,
          };
        }
        return { needsJson: false, test: () => want };
      }
      if (readAll !== undefined) return { needsJson: true, test: (v) => readAll(v).some(check) };
      return {
        needsJson: field.needsJson,
        test: (v) => {
          const value = read(v);
          return value !== MISSING && check(value);
        },
      };
    }
  }
}
