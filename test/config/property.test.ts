/** Arbitrary text, YAML-ish or not, never crashes the loader: it yields problems or a rule set. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadAll } from '../../src/config/load.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'tw-prop-'));
const configPath = path.join(dir, 'tailwatch.yaml');
const rulePath = path.join(dir, 'rules.yaml');
writeFileSync(configPath, 'destinations: { out: { type: console } }\n');

// Fragments that steer random text towards the rule format, so the checks past the YAML parser run too.
const fragment = fc.constantFrom(
  'rules:', '  - id: r1', '  - id: r2', '    source:', '      logGroups: [/a, /b]', '      logStreams: [s]', "      filterPattern: '{ $.x = 1 }'",
  '    match:', '      all:', '        - { field: $.a, gt: 1 }', '        - not: { pattern: ERROR }', '    window: { type: threshold, count: 2, within: 1m }',
  '    window: { type: spike, within: 1m }', '    title: "{{count}} {{nope}}"', '    throttle: 5m', '    notify: [out, missing]', 'defaults: { notify: [out] }',
  '&a [1, *a]', '- *x', '{', ']', ': :', '"unterminated', '\t', '---', '%YAML 1.2',
);
const yamlish = fc.array(fc.oneof(fragment, fc.string()), { maxLength: 25 }).map((lines) => lines.join('\n'));

async function load(text: string, as: 'rules' | 'config') {
  writeFileSync(as === 'rules' ? rulePath : configPath, text);
  return loadAll({ configPath, configRequired: true, env: {}, cwd: dir, rulePaths: [rulePath] });
}

describe('the loader on arbitrary input', () => {
  it('never throws for a rule file; an error-free result holds only well-formed rules', async () => {
    await fc.assert(
      fc.asyncProperty(yamlish, async (text) => {
        const loaded = await load(text, 'rules');
        for (const p of loaded.problems) {
          expect(p.line).toBeGreaterThanOrEqual(1);
          expect(p.col).toBeGreaterThanOrEqual(1);
          expect(p.message.length).toBeGreaterThan(0);
        }
        if (!loaded.problems.some((p) => p.severity === 'error')) {
          for (const r of loaded.ruleSet.rules) expect(r.source.logGroups.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('reports a recursive alias instead of overflowing the stack', async () => {
    writeFileSync(rulePath, 'rules: []\n');
    const loaded = await load('rules: &a [1, *a]\n', 'config');
    expect(loaded.problems.map((p) => `${p.line}:${p.col}: ${p.message}`)).toEqual(['1:7: YAML: an alias refers to a node that contains it (recursive data is not supported)']);
  });

  it('never throws for a config file', async () => {
    writeFileSync(rulePath, 'rules: []\n');
    await fc.assert(
      fc.asyncProperty(yamlish, async (text) => {
        const loaded = await load(text, 'config');
        // Positioned, or about a file as a whole (line and column 0: the empty rule set here).
        for (const p of loaded.problems) if (p.line !== 0 || p.col !== 0) expect(p.line).toBeGreaterThanOrEqual(1);
        // Any problem in the config is an error or warning with a message; none is silently lost.
        expect(loaded.problems.every((p) => p.message.length > 0)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
