/**
 * What `npm pack` ships: besides the code and the schemas, what a user starts
 * from — config.example.yaml, the example rules with their tests, docs/ and
 * the systemd unit — and the LICENSE package.json names. And the native
 * module's install script is allowed (npm 11.16+ warns, npm 12 skips otherwise).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { license: string; allowScripts?: Record<string, boolean>; dependencies: Record<string, string> };

describe('the npm package', () => {
  it('carries the example config, rules and tests, docs, the unit, schemas, bin, dist and the license', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const files = (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    for (const f of [
      'LICENSE',
      'README.md',
      'config.example.yaml',
      'rules/payments.yaml',
      'rules/payments.test.yaml',
      'rules/platform.yaml',
      'rules/platform.test.yaml',
      'docs/rules.md',
      'docs/config.md',
      'docs/alerts.md',
      'docs/operations.md',
      'docs/rule-tests.md',
      'deploy/systemd/tailwatch.service',
      'schema/config.schema.json',
      'bin/tailwatch.js',
      'dist/cli/main.js',
      'dist/cli/init.js',
    ]) {
      expect(files, f).toContain(f);
    }
    // nothing of the development tree
    expect(files.filter((f) => /^(src|test|bench|scripts|demo|\.ci)\//.test(f))).toEqual([]);
  });

  it('names a license whose text is in LICENSE', () => {
    expect(pkg.license).toBe('Apache-2.0');
    const text = readFileSync(path.join(root, 'LICENSE'), 'utf8');
    expect(text).toContain('Apache License\n                           Version 2.0, January 2004');
    expect(text).toContain('END OF TERMS AND CONDITIONS');
  });

  it('allows better-sqlite3’s install script (its native build)', () => {
    expect(pkg.dependencies['better-sqlite3']).toBeDefined();
    expect(pkg.allowScripts).toEqual({ 'better-sqlite3': true });
  });
});
