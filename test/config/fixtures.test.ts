/**
 * One broken fixture per error kind. Each fixture states the problems it must
 * produce in `# expect: LINE:COL: message` comments; the test loads it as a
 * user would (relative to the repository root) and compares exactly.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAll } from '../../src/config/load.js';
import { formatProblem } from '../../src/problems.js';

const root = path.resolve(import.meta.dirname, '../..');
const dir = 'test/fixtures/config';
const fixtures = readdirSync(path.join(root, dir)).filter((f) => f.endsWith('.bad.yaml') || f.endsWith('.bad.config.yaml'));

function expected(file: string): string[] {
  return readFileSync(path.join(root, file), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('# expect: '))
    .map((l) => `${file}:${l.slice('# expect: '.length)}`);
}

const env = { TW_TEST_NOT_A_URL: 'not a url' };

describe('every broken fixture reports exactly its problems, positioned', () => {
  it.each(fixtures)('%s', async (name) => {
    const file = `${dir}/${name}`;
    const isConfig = name.endsWith('.config.yaml');
    const loaded = await loadAll({
      configPath: path.join(root, isConfig ? file : `${dir}/base.config.yaml`),
      configRequired: true,
      env,
      cwd: root,
      rulePaths: isConfig ? undefined : [file],
    });
    const got = loaded.problems.map(formatProblem);
    const want = expected(file);
    expect(want.length).toBeGreaterThan(0);
    if (name === 'bad-filter-pattern.bad.yaml') {
      // The message text belongs to the filter engine; the position and prefix are ours.
      expect(got).toHaveLength(1);
      expect(got[0]).toMatch(/^test\/fixtures\/config\/bad-filter-pattern\.bad\.yaml:4:\d+: rules\[0\]\.source\.filterPattern: invalid filter pattern: /);
      return;
    }
    expect(got).toEqual(want);
  });
});
