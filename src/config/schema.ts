/**
 * JSON Schema validation (ajv, all errors) of config and rule files, with
 * each error mapped back to the YAML node it concerns.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { Problem } from '../problems.js';
import type { YamlPath, YamlSource } from './yaml-source.js';

// ajv-formats ships CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const schemaDir = new URL('../../schema/', import.meta.url);

function readSchema(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(name, schemaDir), 'utf8')) as Record<string, unknown>;
}

let compiled: { config: ValidateFunction; rules: ValidateFunction } | undefined;

function validators(): { config: ValidateFunction; rules: ValidateFunction } {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true, code: { process: appendErrorsInPlace } });
    addFormats(ajv);
    ajv.addSchema(readSchema('rules.schema.json'), 'rules.schema.json');
    ajv.addSchema(readSchema('config.schema.json'), 'config.schema.json');
    compiled = { config: ajv.getSchema('config.schema.json')!, rules: ajv.getSchema('rules.schema.json')! };
  }
  return compiled;
}

/**
 * ajv's generated code merges the errors of each `$ref` call into the caller's
 * with `vErrors = vErrors.concat(callee.errors)`: a copy of every error so far
 * at every call, quadratic in the number of errors (a 400 KB rule file with
 * 80,000 of them took 20 s). Appending in place is linear. The caller already
 * owns the array it appends to (ajv itself pushes its own errors into it).
 */
const CONCAT_ERRORS = /vErrors = vErrors === null \? ([\w$.]+) : vErrors\.concat\(\1\);/g;

function appendErrorsInPlace(code: string): string {
  return code.replace(CONCAT_ERRORS, 'if (vErrors === null) vErrors = $1; else for (const twError of $1) vErrors.push(twError);');
}

/**
 * Schema problems listed per file. Past this many, one more line says how many
 * were left out: each costs a position and an output line, and a 4 MiB file
 * can hold two million (`rules: [1,1,1,…]`).
 */
export const MAX_SCHEMA_PROBLEMS = 1000;

/** Validates `value` (the file's plain JS form) and returns positioned problems. */
export function schemaProblems(kind: 'config' | 'rules', value: unknown, source: YamlSource): Problem[] {
  return schemaIssues(kind, value, source).problems;
}

/**
 * Like `schemaProblems`, with the path of every node that has a problem,
 * listed or not (rule files skip the rules that have one).
 */
export function schemaIssues(kind: 'config' | 'rules', value: unknown, source: YamlSource): { problems: Problem[]; paths: YamlPath[] } {
  const validate = validators()[kind];
  if (validate(value)) return { problems: [], paths: [] };
  const seen = new Set<string>();
  const problems: Problem[] = [];
  const paths: YamlPath[] = [];
  let unlisted: Mapped | undefined;
  for (const err of validate.errors ?? []) {
    const mapped = describe(err, value);
    if (!mapped) continue;
    const key = `${mapped.path.join('/')}|${mapped.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    paths.push(mapped.path);
    if (paths.length > MAX_SCHEMA_PROBLEMS) unlisted ??= mapped;
    else problems.push(source.problem(mapped.path, mapped.message, 'schema', { at: mapped.at, ruleId: ruleIdAt(value, mapped.path) }));
  }
  if (unlisted) {
    const more = paths.length - MAX_SCHEMA_PROBLEMS;
    problems.push(source.problem(unlisted.path, `${more} more schema problem(s) from here on are not listed (only the first ${MAX_SCHEMA_PROBLEMS} of a file are)`, 'schema', { at: unlisted.at }));
  }
  return { problems, paths };
}

interface Mapped {
  path: YamlPath;
  at: 'key' | 'value';
  message: string;
}

function describe(err: ErrorObject, root: unknown): Mapped | undefined {
  const path = pointerToPath(err.instancePath);
  const where = displayPath(path);
  const params = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'if':
    case 'anyOf':
    case 'oneOf':
      return undefined; // the sub-errors say what is wrong
    case 'additionalProperties': {
      const key = String(params['additionalProperty']);
      const known = Object.keys((err.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const hint = closest(key, known);
      return {
        path: [...path, key],
        at: 'key',
        message: `${where ? where + ': ' : ''}unknown key "${key}"${hint ? ` (did you mean "${hint}"?)` : known.length ? ` (expected one of: ${known.join(', ')})` : ''}`,
      };
    }
    case 'required':
      return { path, at: 'key', message: `${where || 'file'}: missing required key "${String(params['missingProperty'])}"` };
    case 'enum':
      return { path, at: 'value', message: `${where}: must be one of ${(params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'pattern':
      if (String(params['pattern']).includes('ms|d|h|m|s')) {
        return { path, at: 'value', message: `${where}: invalid duration (use e.g. 500ms, 30s, 5m, 2h55m, 1d)` };
      }
      if (path[path.length - 1] === 'id') {
        return { path, at: 'value', message: `${where}: rule id must match [a-z0-9][a-z0-9._-]*` };
      }
      return { path, at: 'value', message: `${where}: ${err.message ?? 'invalid value'}` };
    case 'propertyNames':
      return undefined; // reported with the offending name below
    case 'format':
      return { path, at: 'value', message: `${where}: must be a ${String(params['format'])} like 2026-12-01T06:00:00Z` };
    case 'type': {
      const got = typeName(valueAt(root, path));
      return { path, at: 'value', message: `${where || 'file'}: must be ${String(params['type']).replace(',', ' or ')}, not ${got}` };
    }
    default:
      return { path, at: 'value', message: `${where || 'file'}: ${err.message ?? 'invalid'}` };
  }
}

function pointerToPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** `rules[0].source.logGroups[2]` */
export function displayPath(path: YamlPath): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${seg}` : seg;
  return out;
}

function valueAt(root: unknown, path: YamlPath): unknown {
  let v = root;
  for (const seg of path) v = v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[seg] : undefined;
  return v;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return typeof v === 'string' ? 'a string' : typeof v === 'number' ? (Number.isInteger(v) ? 'an integer' : 'a number') : `a ${typeof v}`;
}

/** For rule files: the id of the rule a path falls in, for `--format json`. */
function ruleIdAt(root: unknown, path: YamlPath): string | undefined {
  if (path[0] !== 'rules' || typeof path[1] !== 'number') return undefined;
  const id = (valueAt(root, ['rules', path[1]]) as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' ? id : undefined;
}

/** The known key closest to a misspelt one, when it is close enough to be a typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDist = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDist) {
      best = c;
      bestDist = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return 99;
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
