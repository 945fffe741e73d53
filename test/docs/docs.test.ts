/**
 * The user reference in docs/: every key of the JSON schemas (config, rules,
 * alert payload) and every metric is documented, config.example.yaml holds
 * every config key, and every YAML example in docs/ is a valid tailwatch file:
 *
 * - a block whose first line is `# file: PATH` is written to PATH in a
 *   project of its own doc; that project must validate, and its rule tests
 *   (the worked examples) must pass;
 * - any other block is a config (validated with `tailwatch validate -c`), a
 *   rule file (top-level `rules:` list; validated as a rule file) or a rule
 *   test file (`rule_files:`; its format is checked);
 * - a block whose first line says `(not a tailwatch file)` is skipped.
 *
 * Also: the alert JSON examples validate against schema/alert.schema.json, the
 * signature snippets verify real signatures, and nothing a user reads cites
 * the internal spec ("SPEC §") or the rule key `source.region`, which does
 * not exist.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { parseTestFile } from '../../src/ruletest/format.js';
import { signature } from '../../src/notify/webhook/index.js';
import { runCli } from '../kit/cli.js';
import { makeProject } from '../kit/project.js';
import { hasTool } from '../kit/tools.js';

const root = path.resolve(import.meta.dirname, '../..');
const read = (rel: string): string => readFileSync(path.join(root, rel), 'utf8');
const docNames = readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).sort();
const docs = new Map(docNames.map((f) => [f, read(`docs/${f}`)]));

interface Block {
  readonly doc: string;
  readonly lang: string;
  readonly text: string;
  /** 1-based line of the block's first line in its doc. */
  readonly line: number;
}

function blocks(doc: string): Block[] {
  const text = docs.get(doc)!;
  const out: Block[] = [];
  for (const m of text.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)) {
    out.push({ doc, lang: m[1]!, text: m[2]!, line: text.slice(0, m.index).split('\n').length + 1 });
  }
  return out;
}

const allBlocks = docNames.flatMap(blocks);
const yamlBlocks = allBlocks.filter((b) => (b.lang === 'yaml' || b.lang === 'yml') && !/^#.*\(not a tailwatch file\)/.test(b.text));
const where = (b: Block): string => `docs/${b.doc}:${b.line}`;

type Kind = 'config' | 'rules' | 'test';
function kindOf(b: Block): Kind {
  const value = YAML.parse(b.text) as Record<string, unknown> | null;
  if (value && 'rule_files' in value) return 'test';
  if (value && Array.isArray(value['rules'])) return 'rules';
  return 'config';
}

/** A value for each `${NAME}` a config example uses: a URL for URL-like names, a word otherwise. */
function envFor(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)) {
    const name = m[1]!;
    env[name] = /URL|WEBHOOK|ENDPOINT/.test(name) ? `https://example.com/${name.toLowerCase()}` : /REGION/.test(name) ? 'eu-west-1' : 'placeholder';
  }
  return env;
}

// ---- schema key paths ----------------------------------------------------------------------

type Schema = { properties?: Record<string, Schema>; items?: Schema; $ref?: string; additionalProperties?: Schema | boolean; allOf?: { then?: Schema }[]; definitions?: Record<string, Schema> };
const configSchema = JSON.parse(read('schema/config.schema.json')) as Schema;
const rulesSchema = JSON.parse(read('schema/rules.schema.json')) as Schema;
const alertSchema = JSON.parse(read('schema/alert.schema.json')) as Schema;

function resolve(s: Schema, home: Schema): { node: Schema; home: Schema } {
  if (!s.$ref) return { node: s, home };
  const [file, pointer] = s.$ref.split('#');
  const base = file ? (file.startsWith('rules') ? rulesSchema : configSchema) : home;
  const node = pointer!.split('/').filter(Boolean).reduce((n, k) => (n as Record<string, Schema>)[k]!, base as unknown as Schema);
  return resolve(node, base);
}

/** Every leaf key path: `a.b`, `a[].b` for array items, `a.<name>.b` for maps. */
function keyPaths(s: Schema, from: Schema, prefix: string, out: string[] = []): string[] {
  // The match tree is recursive: `match` is one key here; its node keys are checked by name.
  if (s.$ref?.endsWith('/matchNode')) {
    out.push(prefix);
    return out;
  }
  const { node, home } = resolve(s, from);
  const props: Record<string, Schema> = { ...node.properties };
  for (const branch of node.allOf ?? []) Object.assign(props, branch.then?.properties ?? {});
  if (node.items && !node.properties) {
    const item = resolve(node.items, home);
    if (item.node.properties) return keyPaths(item.node, item.home, `${prefix}[]`, out);
  }
  if (Object.keys(props).length === 0 && typeof node.additionalProperties === 'object' && node.additionalProperties.$ref) {
    return keyPaths(node.additionalProperties, home, `${prefix}.<name>`, out);
  }
  if (Object.keys(props).length === 0) {
    out.push(prefix);
    return out;
  }
  for (const [k, v] of Object.entries(props)) {
    if (typeof v !== 'object') continue; // `type: true` in a destination branch: declared by the `if`
    keyPaths(v, home, prefix ? `${prefix}.${k}` : k, out);
  }
  return out;
}

const configKeys = keyPaths(configSchema, configSchema, '');
const ruleKeys = keyPaths(rulesSchema.definitions!['rule']!, rulesSchema, '');
const matchKeys = Object.keys(rulesSchema.definitions!['matchNode']!.properties!);
const defaultsKeys = Object.keys(rulesSchema.definitions!['ruleDefaults']!.properties!);
const alertKeys = keyPaths(alertSchema, alertSchema, '');

const documented = (doc: string, key: string): boolean => docs.get(doc)!.includes(`\`${key}\``) || docs.get(doc)!.includes(`\`${key}:`);

describe('docs/ documents every key', () => {
  it('the key lists are complete (the schema walk found what it should)', () => {
    expect(configKeys).toEqual(expect.arrayContaining(['aws.profile', 'aws.filterLogEventsPerSecond', 'sessions.grace', 'sessions.completion.delay', 'sessions.completion.maxLag', 'delivery.maxQueued', 'destinations.<name>.body', 'silences[].match.rule', 'heartbeat.cron', 'defaults.resolvedTitle']));
    expect(ruleKeys).toEqual(expect.arrayContaining(['id', 'source.logGroups', 'window.maxGroups', 'match', 'resolvedMessage']));
    expect(alertKeys).toEqual(expect.arrayContaining(['reason', 'sampled', 'rule.labels', 'events[].message', 'links.console']));
  });

  it.each(configKeys)('config key %s is in docs/config.md', (key) => {
    expect(documented('config.md', key), `\`${key}\` in docs/config.md`).toBe(true);
  });

  it.each([...ruleKeys, ...matchKeys, ...defaultsKeys, 'defaults', 'rules'])('rule key %s is in docs/rules.md', (key) => {
    expect(documented('rules.md', key), `\`${key}\` in docs/rules.md`).toBe(true);
  });

  it.each(alertKeys)('alert field %s is in docs/alerts.md', (key) => {
    expect(documented('alerts.md', key), `\`${key}\` in docs/alerts.md`).toBe(true);
  });

  it('every metric of src/daemon/metrics.ts is in docs/operations.md', () => {
    const names = [...read('src/daemon/metrics.ts').matchAll(/'(tailwatch_[a-z_]+)'/g)].map((m) => m[1]!).filter((n) => !n.startsWith('tailwatch_nodejs_active'));
    expect(names.length).toBeGreaterThan(25);
    const missing = [...new Set(names)].filter((n) => !docs.get('operations.md')!.includes(`\`${n}\``));
    expect(missing).toEqual([]);
  });

  it('every template variable is in docs/rules.md', () => {
    const known = /const KNOWN_LIST =\s*'([^']*)' \+\s*'([^']*)'/.exec(read('src/model/template-grammar.ts'))!;
    const vars = `${known[1]}${known[2]}`.split(', ').map((v) => v.replace('<name>', 'NAME').replace('<path>', 'PATH'));
    expect(vars.length).toBeGreaterThan(14);
    for (const v of vars) expect(docs.get('rules.md'), v).toContain(`{{${v}}}`);
  });
});

describe('config.example.yaml', () => {
  const text = read('config.example.yaml');
  const example = YAML.parse(text) as unknown;
  const commented = new Set([...text.matchAll(/^\s*#\s*([A-Za-z]+):/gm)].map((m) => m[1]!));

  /** Whether the parsed example reaches `key` (`[]`: some item; `<name>`: some entry). */
  function holds(value: unknown, parts: readonly string[]): boolean {
    if (parts.length === 0) return true;
    if (value === null || typeof value !== 'object') return false;
    const [head, ...rest] = parts;
    if (head === '<name>') return Object.values(value).some((v) => holds(v, rest));
    const arr = head!.endsWith('[]');
    const v = (value as Record<string, unknown>)[arr ? head!.slice(0, -2) : head!];
    if (v === undefined) return false;
    return arr ? Array.isArray(v) && v.some((item) => holds(item, rest)) : holds(v, rest);
  }

  it.each(configKeys)('holds %s (set, or commented out as `# key:`)', (key) => {
    const parts = key.replace(/\[\]/g, '[].').split('.').filter(Boolean).map((p, i, all) => (p === '[]' ? '' : all[i + 1] === '[]' ? `${p}[]` : p)).filter(Boolean);
    const leaf = parts[parts.length - 1]!.replace('[]', '');
    expect(holds(example, parts) || commented.has(leaf), key).toBe(true);
  });

  it('validates as it is', async () => {
    const r = await runCli(['validate', '-c', 'config.example.yaml'], { cwd: root, env: {} });
    expect(r.stdout).toBe('');
    expect(r.code).toBe(0);
  });
});

describe('every YAML example in docs/ is valid', () => {
  it('found the examples', () => {
    expect(yamlBlocks.length).toBeGreaterThanOrEqual(20);
    expect(yamlBlocks.filter((b) => b.text.startsWith('# file: ')).length).toBeGreaterThanOrEqual(8);
  });

  const standalone = yamlBlocks.filter((b) => !b.text.startsWith('# file: '));
  it.each(standalone.map((b) => [where(b), b] as const))('%s', async (_, b) => {
    const kind = kindOf(b);
    if (kind === 'test') {
      const { problems } = parseTestFile(b.text, 'example.test.yaml', where(b));
      expect(problems).toEqual([]);
      return;
    }
    if (kind === 'rules') {
      const dir = makeProject({ 'example.yaml': b.text }, 'tw-docs-');
      const r = await runCli(['validate', 'example.yaml'], { cwd: dir, env: {} });
      expect(r.stdout, where(b)).toBe('');
      expect(r.code).toBe(0);
      return;
    }
    const config = YAML.parse(b.text) as { rules?: { paths?: string[] } } | null;
    const dir = makeProject({ 'tailwatch.yaml': b.text }, 'tw-docs-');
    for (const p of config?.rules?.paths ?? ['rules']) mkdirSync(path.join(dir, p), { recursive: true });
    const r = await runCli(['validate', '-c', 'tailwatch.yaml'], { cwd: dir, env: envFor(b.text) });
    // The example's rules folder is empty here, which validate warns about: every other line is a problem.
    const problems = r.stdout.split('\n').filter((l) => l !== '' && !/warning: no rule files/.test(l));
    expect(problems, where(b)).toEqual([]);
    expect(r.code, r.stderr).toBe(0);
  });

  const projects = [...new Set(yamlBlocks.filter((b) => b.text.startsWith('# file: ')).map((b) => b.doc))];
  it.each(projects)('the files of docs/%s validate and their rule tests pass', async (doc) => {
    const files: Record<string, string> = {};
    for (const b of yamlBlocks.filter((x) => x.doc === doc && x.text.startsWith('# file: '))) {
      files[/^# file: (\S+)/.exec(b.text)![1]!] = b.text;
    }
    const dir = makeProject(files, 'tw-docs-');
    const env = envFor(Object.values(files).join('\n'));
    const v = await runCli(['validate'], { cwd: dir, env });
    expect(v.stdout).toBe('');
    expect(v.code, v.stderr).toBe(0);
    const t = await runCli(['test'], { cwd: dir, env });
    expect(t.stdout).toMatch(/^\d+ passed, 0 failed$/m);
    expect(t.stdout).not.toMatch(/^0 passed/m);
    expect(t.code).toBe(0);
  });
});

describe('docs/alerts.md', () => {
  const jsonBlocks = blocks('alerts.md').filter((b) => b.lang === 'json');
  const ajv = new Ajv({ allErrors: true, strict: false });
  (addFormatsModule as unknown as (a: Ajv) => Ajv)(ajv);
  const validate = ajv.compile(alertSchema);

  it.each(jsonBlocks.map((b) => [where(b), b] as const))('the payload at %s validates against schema/alert.schema.json', (_, b) => {
    validate(JSON.parse(b.text));
    expect(validate.errors ?? []).toEqual([]);
  });

  const body = JSON.stringify({ version: 1, kind: 'firing', title: 'x ✓' });
  const good = signature('s3cret', body);

  it('the Node.js verification accepts a real signature and rejects others', async () => {
    const code = blocks('alerts.md').find((b) => b.lang === 'js')!.text;
    const dir = makeProject({ 'verify.mjs': code }, 'tw-docs-');
    const { verify } = (await import(pathToFileURL(path.join(dir, 'verify.mjs')).href)) as { verify: (s: string, b: Buffer, h: string | undefined) => boolean };
    expect(verify('s3cret', Buffer.from(body), good)).toBe(true);
    expect(verify('s3cret', Buffer.from(body + ' '), good)).toBe(false);
    expect(verify('other', Buffer.from(body), good)).toBe(false);
    expect(verify('s3cret', Buffer.from(body), undefined)).toBe(false);
  });

  it.runIf(hasTool('python3', 'apt-get install python3'))('the Python verification accepts a real signature and rejects others', () => {
    const code = blocks('alerts.md').find((b) => b.lang === 'python')!.text;
    const script = `${code}\nimport sys\nbody = sys.stdin.buffer.read()\nprint(verify("s3cret", body, sys.argv[1]), verify("other", body, sys.argv[1]), verify("s3cret", body + b" ", sys.argv[1]))\n`;
    const out = execFileSync('python3', ['-c', script, good], { input: body, encoding: 'utf8' });
    expect(out.trim()).toBe('True False False');
  });
});

describe('what users read', () => {
  const srcReadmes = (dir: string): string[] =>
    readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? srcReadmes(path.join(dir, e.name)) : e.name === 'README.md' ? [path.join(dir, e.name)] : [],
    );
  const files = ['README.md', 'config.example.yaml', ...docNames.map((d) => `docs/${d}`), ...srcReadmes('src'), ...readdirSync(path.join(root, 'schema')).map((f) => `schema/${f}`), 'deploy/systemd/tailwatch.service'];

  it.each(files)('%s cites no internal spec and no source.region', (file) => {
    const text = read(file);
    expect(text).not.toMatch(/SPEC §|ARCHITECTURE\.md|FACTS\.md/);
    expect(text).not.toContain('source.region');
  });

  it('no --help text cites the internal spec', async () => {
    const top = await runCli(['--help']);
    const names = [...top.stdout.matchAll(/^ {2}([a-z-]+)/gm)].map((m) => m[1]!).filter((n) => n !== 'help');
    expect(names).toContain('validate');
    for (const name of names) {
      const r = await runCli([name, '--help']);
      expect(r.stdout, name).not.toMatch(/SPEC|§/);
    }
    expect(top.stdout).not.toMatch(/SPEC|§/);
  });

  it('the README links every doc', () => {
    for (const d of docNames) expect(read('README.md')).toContain(`docs/${d}`);
  });
});
