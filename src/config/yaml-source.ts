/**
 * A YAML file and the positions of its nodes, so that every check (schema,
 * semantics, filter patterns) can point at the exact key or value it concerns.
 *
 * Two parsers, for speed: `js-yaml` (about 9× faster here) reads the value and,
 * through its listener, the start of every mapping and list; the `yaml`
 * package's document tree (exact positions of every key and scalar, and the
 * better syntax errors) is built only when a problem must be positioned.
 * Both use the YAML 1.2 core schema, so they read the same values.
 */
import jsYaml from 'js-yaml';
import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument, visit, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import type { Problem } from '../problems.js';
import type { SourcePos } from '../model/config.js';

export type YamlPath = readonly (string | number)[];

/**
 * Nesting deeper than any config needs would only serve to overflow later
 * recursive walks (and, a few hundred levels down, the parser's own stack).
 */
export const MAX_DEPTH = 64;

const DEPTH_MESSAGE = `nested more than ${MAX_DEPTH} levels deep`;

/** Thrown from the parser's listener as soon as the nesting passes MAX_DEPTH (before the parser's recursion can overflow). */
class TooDeep {
  constructor(readonly offset: number) {}
}

/**
 * Values (mappings, lists and scalars) a file may hold once aliases are
 * expanded. Aliases are shared references: walking an alias-heavy DAG
 * ("billion laughs") must stay bounded. Scalars count too, because every
 * value costs memory in the positioned tree and possibly a problem: a 4 MiB
 * `[1,1,1,…]` holds two million (2.7 GB, 28 s), while the thousand rules of
 * `bench/validate.mjs` hold 44,000 in 780 KB (a 4 MiB file of such rules,
 * about 240,000).
 */
export const MAX_VALUES = 500_000;

export class YamlSource {
  private tree: { doc: Document.Parsed; lines: LineCounter } | undefined;
  private lineStarts: number[] | undefined;

  private constructor(
    readonly file: string,
    readonly displayName: string,
    private readonly text: string,
    private readonly value: unknown,
    private readonly objectStarts: WeakMap<object, number>,
  ) {}

  /** Parses `text`; problems are syntax errors (a source is returned even then, with no value). */
  static parse(file: string, displayName: string, text: string): { source: YamlSource; problems: Problem[] } {
    const starts = new WeakMap<object, number>();
    const open: number[] = [];
    let value: unknown;
    try {
      value = jsYaml.load(text, {
        filename: displayName,
        schema: jsYaml.CORE_SCHEMA,
        listener(event, state) {
          if (event === 'open') {
            open.push(state.position);
            // open[d] is where the node at depth d (the root is 0) starts. A node at depth MAX_DEPTH + 2
            // means its parent, a mapping or list, is nested MAX_DEPTH + 1 deep: the node checkShape reports.
            if (open.length > MAX_DEPTH + 2) throw new TooDeep(open[MAX_DEPTH + 1]!);
          } else {
            const at = open.pop();
            const result: unknown = state.result;
            if (at !== undefined && result !== null && typeof result === 'object' && !(at >= (starts.get(result) ?? Infinity))) starts.set(result, at);
          }
        },
      });
    } catch (err) {
      const source = new YamlSource(file, displayName, text, undefined, starts);
      // Not the `yaml` package's view of a file this deep: its tree would overflow too.
      if (err instanceof TooDeep) return { source, problems: [source.problemAtOffset(err.offset, `YAML: ${DEPTH_MESSAGE}`, 'yaml')] };
      return { source, problems: source.syntaxProblems(err as jsYaml.YAMLException) };
    }
    const source = new YamlSource(file, displayName, text, value, starts);
    const shape = checkShape(value);
    return { source, problems: shape ? [source.problemAtOffset(shape.offset(starts), `YAML: ${shape.message}`, 'yaml')] : [] };
  }

  /** The plain JS value; `undefined` for an empty file or one with syntax errors. */
  toJS(): unknown {
    return this.value ?? undefined;
  }

  /** Position of the node at `path`: its key when `at` is 'key' (and it has one), else its value. Falls back to the nearest ancestor. */
  pos(path: YamlPath, at: 'key' | 'value' = 'value'): SourcePos {
    const { doc, lines } = this.fullTree();
    return { file: this.displayName, ...lines.linePos(offsetOf(doc, path, at)) };
  }

  /** Start of a mapping or list of this file's value (cheap: no second parse). */
  objectPos(obj: object): SourcePos {
    const offset = this.objectStarts.get(obj);
    return offset === undefined ? { file: this.displayName, line: 1, col: 1 } : { file: this.displayName, ...this.linePos(offset) };
  }

  /** Position `delta` characters into the scalar at `path` (after its opening quote), for errors inside a string. */
  posInScalar(path: YamlPath, delta: number): SourcePos {
    const { doc, lines } = this.fullTree();
    const node = doc.getIn(path as (string | number)[], true) as Node | undefined;
    if (!node || !isScalar(node) || !node.range) return this.pos(path);
    const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE';
    // Block scalars and multi-line strings do not map column-for-column; point at their start.
    const singleLine = (node.type === 'PLAIN' || quoted) && !this.text.slice(node.range[0], node.range[1]).includes('\n');
    if (!singleLine) return { file: this.displayName, ...lines.linePos(node.range[0]) };
    const start = node.range[0] + (quoted ? 1 : 0);
    const at = node.type === 'QUOTE_DOUBLE' ? rawOffset(this.text, start, delta, '\\') : node.type === 'QUOTE_SINGLE' ? rawOffset(this.text, start, delta, "'") : start + delta;
    return { file: this.displayName, ...lines.linePos(at) };
  }

  problem(path: YamlPath, message: string, code: string, opts: { at?: 'key' | 'value'; severity?: 'error' | 'warning'; ruleId?: string | undefined } = {}): Problem {
    const p = this.pos(path, opts.at ?? 'value');
    return { file: p.file, line: p.line, col: p.col, message, code, severity: opts.severity ?? 'error', ruleId: opts.ruleId };
  }

  problemAtOffset(offset: number, message: string, code: string, severity: 'error' | 'warning' = 'error'): Problem {
    const { line, col } = this.linePos(offset);
    return { file: this.displayName, line, col, message, code, severity };
  }

  /** Syntax errors as the `yaml` package words and places them; js-yaml's own when `yaml` sees none. */
  private syntaxProblems(fast: jsYaml.YAMLException): Problem[] {
    const { doc } = this.fullTree();
    const found = doc.errors.map((e) => this.problemAtOffset(e.pos[0], `YAML: ${firstLine(e.message)}`, 'yaml'));
    if (found.length > 0) return found;
    const duplicates = duplicateKeyOffsets(doc).map((at) => this.problemAtOffset(at, 'YAML: Map keys must be unique', 'yaml'));
    if (duplicates.length > 0) return duplicates;
    const mark = fast.mark as { position?: number } | undefined;
    return [this.problemAtOffset(mark?.position ?? 0, `YAML: ${fast.reason ?? 'invalid YAML'}`, 'yaml')];
  }

  private fullTree(): { doc: Document.Parsed; lines: LineCounter } {
    if (!this.tree) {
      const lines = new LineCounter();
      // Without `uniqueKeys`: the package checks it pair by pair, quadratic in the keys of a mapping
      // (minutes for a 4 MiB one). js-yaml has already refused duplicates; duplicateKeyOffsets places them.
      const doc = parseDocument(this.text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false, strict: true });
      this.tree = { doc, lines };
    }
    return this.tree;
  }

  private linePos(offset: number): { line: number; col: number } {
    if (!this.lineStarts) {
      this.lineStarts = [0];
      for (let i = this.text.indexOf('\n'); i !== -1; i = this.text.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
    }
    const starts = this.lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: Math.max(1, offset - starts[lo]! + 1) };
  }
}

function offsetOf(doc: Document.Parsed, path: YamlPath, at: 'key' | 'value'): number {
  let node: unknown = doc.contents;
  let best = (doc.contents as Node | null)?.range?.[0] ?? 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = pairsByKey(node).get(String(seg));
      if (!pair) return best;
      const keyStart = (pair.key as Node | null)?.range?.[0];
      if (keyStart !== undefined) best = keyStart;
      if (last && at === 'key') return best;
      // An empty value (`key:`) has no useful range of its own: keep the key.
      if (pair.value === null) return best;
      node = pair.value;
      const valueStart = (pair.value as Node | null)?.range?.[0];
      if (valueStart !== undefined) best = valueStart;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined;
      if (!item) return best;
      if (item.range) best = item.range[0];
      node = item;
    } else {
      return best;
    }
  }
  return best;
}

const pairIndex = new WeakMap<YAMLMap, Map<string, Pair>>();

/** A mapping's pairs by key (the first of equal keys), built once: a lookup per problem stays cheap in a huge mapping. */
function pairsByKey(map: YAMLMap): Map<string, Pair> {
  let index = pairIndex.get(map);
  if (!index) {
    index = new Map();
    for (const pair of map.items) {
      const key = keyOf(pair);
      if (key !== undefined && !index.has(key)) index.set(key, pair);
    }
    pairIndex.set(map, index);
  }
  return index;
}

/** Where a key repeats one before it in the same mapping (as js-yaml sees keys: their string form). */
function duplicateKeyOffsets(doc: Document.Parsed): number[] {
  const out: number[] = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        const key = keyOf(pair);
        if (key === undefined) continue;
        if (seen.has(key)) out.push((pair.key as Node | null)?.range?.[0] ?? 0);
        else seen.add(key);
      }
    },
  });
  return out;
}

function keyOf(pair: Pair<unknown, unknown>): string | undefined {
  if (!isPair(pair)) return undefined;
  const key = pair.key;
  if (isScalar(key)) return String(key.value);
  return typeof key === 'string' ? key : undefined;
}

function firstLine(message: string): string {
  const line = message.split('\n')[0] ?? message;
  return line.replace(/ at line \d+, column \d+:?$/, '');
}

function checkShape(root: unknown): { message: string; offset: (starts: WeakMap<object, number>) => number } | undefined {
  const ancestors = new Set<object>();
  let visited = 0;
  const tooMany = `more than ${MAX_VALUES} values once aliases are expanded`;
  const walk = (v: unknown, depth: number): { message: string; node: object } | undefined => {
    if (v === null || typeof v !== 'object') return undefined;
    if (++visited > MAX_VALUES) return { message: tooMany, node: v };
    if (depth > MAX_DEPTH) return { message: DEPTH_MESSAGE, node: v };
    if (ancestors.has(v)) return { message: 'an alias refers to a node that contains it (recursive data is not supported)', node: v };
    ancestors.add(v);
    for (const item of Array.isArray(v) ? v : Object.values(v)) {
      // A scalar counts here (it has no position of its own): past the limit, the mapping or list that holds it is reported.
      if (item === null || typeof item !== 'object') {
        if (++visited > MAX_VALUES) return { message: tooMany, node: v };
        continue;
      }
      const problem = walk(item, depth + 1);
      if (problem) return problem;
    }
    ancestors.delete(v);
    return undefined;
  };
  const found = walk(root, 0);
  return found && { message: found.message, offset: (starts) => starts.get(found.node) ?? 0 };
}

/**
 * Where the `delta`-th character of a quoted scalar's value is in the file:
 * an escape (`\\1` in double quotes is `\1`, `''` in single quotes is `'`) is
 * one character of the value and more of the file. `escape` is what starts one.
 */
function rawOffset(text: string, start: number, delta: number, escape: '\\' | "'"): number {
  let at = start;
  for (let n = 0; n < delta && at < text.length; n++) {
    if (text[at] !== escape) at++;
    else if (escape === "'") at += 2;
    else {
      const lengths: Record<string, number> = { x: 4, u: 6, U: 10 };
      at += lengths[text[at + 1] ?? ''] ?? 2;
    }
  }
  return at;
}
