/**
 * Hostile files under the config and rule paths: FIFOs, devices, symlink
 * loops and huge files are one-line errors, never a hang, a stack trace or
 * gigabytes of memory. The CLI runs as a child process (`npm run build`
 * first): a FIFO or /dev/zero read in-process would block a libuv thread.
 */
import { execFileSync } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../kit/cli.js';
import { makeProject } from '../kit/project.js';
import { spawnCli } from '../kit/spawn-cli.js';

const CONFIG = 'destinations: { out: { type: console } }\ndefaults: { notify: [out] }\n';
const RULE = 'rules:\n  - id: r1\n    source: { logGroups: [/g] }\n';
const MiB = 1024 * 1024;

function mkfifo(file: string): void {
  execFileSync('mkfifo', [file]);
}

describe('paths that are not regular files are I/O errors (exit 2, one line)', () => {
  it('a FIFO given as a path does not hang validate', async () => {
    const dir = makeProject({ 'tailwatch.yaml': CONFIG, 'rules/ok.yaml': RULE });
    mkfifo(path.join(dir, 'pipe.yaml'));
    const r = await spawnCli(['validate', 'pipe.yaml'], { cwd: dir, timeoutMs: 15_000 });
    expect(r.stderr).toBe('tailwatch validate: pipe.yaml: not a regular file (a FIFO)\n');
    expect(r.code).toBe(2);
  });

  it('-c /dev/zero and a FIFO config', async () => {
    const dir = makeProject({ 'rules/ok.yaml': RULE });
    const zero = await spawnCli(['validate', '-c', '/dev/zero'], { cwd: dir, timeoutMs: 15_000 });
    expect(zero.stderr).toBe('tailwatch validate: /dev/zero: not a regular file (a character device)\n');
    expect(zero.code).toBe(2);
    mkfifo(path.join(dir, 'tailwatch.yaml'));
    const fifo = await spawnCli(['validate'], { cwd: dir, timeoutMs: 15_000 });
    expect(fifo.stderr).toBe('tailwatch validate: tailwatch.yaml: not a regular file (a FIFO)\n');
    expect(fifo.code).toBe(2);
  });

  it('a symlink loop given as the config or a path', async () => {
    const dir = makeProject({ 'tailwatch.yaml': CONFIG, 'rules/ok.yaml': RULE });
    symlinkSync('loop.yaml', path.join(dir, 'loop.yaml'));
    const asPath = await spawnCli(['validate', 'loop.yaml'], { cwd: dir });
    expect(asPath.stderr).toBe('tailwatch validate: loop.yaml: symlink loop (too many levels of symbolic links)\n');
    expect(asPath.code).toBe(2);
    const asConfig = await spawnCli(['validate', '-c', 'loop.yaml'], { cwd: dir });
    expect(asConfig.stderr).toBe('tailwatch validate: loop.yaml: symlink loop (too many levels of symbolic links)\n');
    expect(asConfig.code).toBe(2);
  });

  it('a missing path says so in one line', async () => {
    const dir = makeProject({ 'tailwatch.yaml': CONFIG, 'rules/ok.yaml': RULE });
    const r = await spawnCli(['validate', 'rules/nope.yaml'], { cwd: dir });
    expect(r.stderr).toBe('tailwatch validate: rules/nope.yaml: no such file or folder\n');
    expect(r.code).toBe(2);
  });
});

describe('files larger than 4 MiB are refused before they are parsed', () => {
  const huge = `rules: "${'a'.repeat(50 * MiB)}"\n`;

  it('a 50 MiB rule file in a rules folder is a problem at its path (exit 1), quickly', async () => {
    const dir = makeProject({ 'tailwatch.yaml': CONFIG, 'rules/ok.yaml': RULE });
    writeFileSync(path.join(dir, 'rules/huge.yaml'), huge);
    const r = await spawnCli(['validate'], { cwd: dir, timeoutMs: 15_000 });
    expect(r.stdout).toBe('rules/huge.yaml: file is 50 MiB, larger than the 4 MiB limit\n');
    expect(r.code).toBe(1);
    const json = await spawnCli(['validate', '--format', 'json'], { cwd: dir, timeoutMs: 15_000 });
    expect(JSON.parse(json.stdout)).toEqual([{ file: 'rules/huge.yaml', line: null, col: null, message: 'file is 50 MiB, larger than the 4 MiB limit', ruleId: null, severity: 'error' }]);
  });

  it('a huge file named on the command line, or a huge config, is an I/O error (exit 2)', async () => {
    const dir = makeProject({ 'tailwatch.yaml': CONFIG, 'rules/ok.yaml': RULE });
    writeFileSync(path.join(dir, 'huge.yaml'), huge);
    const named = await spawnCli(['validate', 'huge.yaml'], { cwd: dir, timeoutMs: 15_000 });
    expect(named.stderr).toBe('tailwatch validate: huge.yaml: file is 50 MiB, larger than the 4 MiB limit\n');
    expect(named.code).toBe(2);
    const config = await spawnCli(['validate', '-c', 'huge.yaml'], { cwd: dir, timeoutMs: 15_000 });
    expect(config.stderr).toBe('tailwatch validate: huge.yaml: file is 50 MiB, larger than the 4 MiB limit\n');
    expect(config.code).toBe(2);
  });

  it('a file of exactly 4 MiB loads; one byte more does not', async () => {
    const padded = (size: number) => RULE + '#'.padEnd(size - RULE.length - 1, 'x') + '\n';
    const dir = makeProject({ 'tailwatch.yaml': CONFIG, 'rules/big.yaml': padded(4 * MiB) });
    const ok = await spawnCli(['validate'], { cwd: dir, timeoutMs: 15_000 });
    expect(ok.stderr).toBe('ok: 1 rule(s) in 1 file(s)\n');
    expect(ok.code).toBe(0);
    writeFileSync(path.join(dir, 'rules/big.yaml'), padded(4 * MiB + 1));
    const over = await spawnCli(['validate'], { cwd: dir, timeoutMs: 15_000 });
    expect(over.stdout).toBe('rules/big.yaml: file is 4.1 MiB, larger than the 4 MiB limit\n');
    expect(over.code).toBe(1);
  });
});

describe('symlinked rule files and folders are followed', () => {
  const rule = (id: string) => `rules:\n  - id: ${id}\n    source: { logGroups: [/g] }\n`;

  it('a Kubernetes ConfigMap mount (rules/x.yaml -> ..data/x.yaml, ..data -> ..<timestamp>/)', async () => {
    const dir = makeProject({ 'tailwatch.yaml': CONFIG + 'rules: { paths: [rules] }\n', 'rules/..2026_12_01_10_00_00.123456789/payments.yaml': rule('payments-5xx'), 'rules/..2026_12_01_10_00_00.123456789/checkout.yml': rule('checkout-slow') });
    symlinkSync('..2026_12_01_10_00_00.123456789', path.join(dir, 'rules/..data'));
    symlinkSync('..data/payments.yaml', path.join(dir, 'rules/payments.yaml'));
    symlinkSync('..data/checkout.yml', path.join(dir, 'rules/checkout.yml'));
    const r = await runCli(['validate'], { cwd: dir });
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('ok: 2 rule(s) in 2 file(s)\n');
    expect(r.code).toBe(0);
  });

  it('GNU stow (file links out of the folder) and a symlinked subfolder', async () => {
    const dir = makeProject({ 'tailwatch.yaml': CONFIG, 'stow/team-a/rules/team-a.yaml': rule('team-a'), 'shared/one.yaml': rule('shared-one'), 'shared/deeper/two.yaml': rule('shared-two'), 'rules/own.yaml': rule('own') });
    symlinkSync('../stow/team-a/rules/team-a.yaml', path.join(dir, 'rules/team-a.yaml'));
    symlinkSync('../shared', path.join(dir, 'rules/shared'));
    const r = await runCli(['validate', '--format', 'json'], { cwd: dir });
    expect(JSON.parse(r.stdout)).toEqual([]);
    expect(r.code).toBe(0);
    const text = await runCli(['validate'], { cwd: dir });
    expect(text.stderr).toBe('ok: 4 rule(s) in 4 file(s)\n');
  });

  it('loads a file reached by two paths once (no duplicate ids), also when named twice', async () => {
    const dir = makeProject({ 'tailwatch.yaml': CONFIG, 'rules/a.yaml': rule('a'), 'elsewhere/b.yaml': rule('b') });
    symlinkSync('a.yaml', path.join(dir, 'rules/alias.yaml'));
    symlinkSync('../elsewhere', path.join(dir, 'rules/one'));
    symlinkSync('../elsewhere', path.join(dir, 'rules/two'));
    const r = await runCli(['validate'], { cwd: dir });
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('ok: 2 rule(s) in 2 file(s)\n');
    const twice = await runCli(['validate', 'rules', 'rules/a.yaml', 'elsewhere/b.yaml'], { cwd: dir });
    expect(twice.stderr).toBe('ok: 2 rule(s) in 2 file(s)\n');
  });

  it('a symlink loop or a dangling link under the rule paths is an error with its path', async () => {
    const dir = makeProject({ 'tailwatch.yaml': CONFIG, 'rules/ok.yaml': rule('ok'), 'rules/sub/x.yaml': rule('x') });
    symlinkSync('..', path.join(dir, 'rules/sub/back'));
    symlinkSync('self.yaml', path.join(dir, 'rules/self.yaml'));
    symlinkSync('nowhere.yaml', path.join(dir, 'rules/gone.yaml'));
    symlinkSync('/nonexistent/team-b', path.join(dir, 'rules/team-b'));
    const r = await runCli(['validate'], { cwd: dir });
    expect(r.stdout).toBe(
      [
        'rules/gone.yaml: dangling symlink (its target does not exist)',
        'rules/self.yaml: symlink loop (too many levels of symbolic links)',
        'rules/sub/back: symlink loop (links to rules, a folder that contains it)',
        'rules/team-b: dangling symlink (its target does not exist)',
        '',
      ].join('\n'),
    );
    expect(r.stderr).toBe('4 error(s), 0 warning(s) in 2 rule file(s)\n');
    expect(r.code).toBe(1);
  });

  it('a rules path in the config that is a dangling link is an error at that path', async () => {
    const dir = makeProject({ 'tailwatch.yaml': CONFIG + 'rules: { paths: [rules] }\n' });
    symlinkSync('releases/42', path.join(dir, 'rules'));
    const r = await runCli(['validate'], { cwd: dir });
    expect(r.stdout).toBe('tailwatch.yaml:3:18: rules.paths[0]: dangling symlink (its target does not exist)\n');
    expect(r.code).toBe(1);
  });

  it('a FIFO or a device under the rule paths is an error with its path, never opened', async () => {
    const dir = makeProject({ 'tailwatch.yaml': CONFIG, 'rules/ok.yaml': rule('ok') });
    mkfifo(path.join(dir, 'rules/pipe.yaml'));
    symlinkSync('/dev/zero', path.join(dir, 'rules/zero.yaml'));
    const r = await spawnCli(['validate'], { cwd: dir, timeoutMs: 15_000 });
    expect(r.stdout).toBe('rules/pipe.yaml: not a regular file (a FIFO)\nrules/zero.yaml: not a regular file (a character device)\n');
    expect(r.code).toBe(1);
  });
});

describe('files with very many values or problems stay bounded (no stack overflow, no quadratic time)', () => {
  it('200,000 schema problems in a 400 KB rule file: the first 1000 listed, then how many more', async () => {
    const dir = makeProject({ 'tailwatch.yaml': CONFIG, 'rules/many.yaml': `rules: [${'1,'.repeat(199_999)}1]\n` });
    const r = await spawnCli(['validate'], { cwd: dir, timeoutMs: 60_000 });
    const lines = r.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1001);
    expect(lines[0]).toBe('rules/many.yaml:1:9: rules[0]: must be object, not an integer');
    expect(lines[1000]).toBe('rules/many.yaml:1:2009: 199000 more schema problem(s) from here on are not listed (only the first 1000 of a file are)');
    expect(r.stderr).toBe('1001 error(s), 0 warning(s) in 1 rule file(s)\n');
    expect(r.code).toBe(1);
  }, 60_000);

  it('two million values in 4 MiB are refused at once', async () => {
    const dir = makeProject({ 'tailwatch.yaml': CONFIG, 'rules/dense.yaml': `rules: [${'1,'.repeat(2 * MiB - 10)}1]\n` });
    const r = await spawnCli(['validate'], { cwd: dir, timeoutMs: 60_000 });
    expect(r.stdout).toBe('rules/dense.yaml:1:7: YAML: more than 500000 values once aliases are expanded\n');
    expect(r.code).toBe(1);
  }, 60_000);

  it('a config with 100,000 invalid destinations, and a duplicate key among them', async () => {
    const destinations = Array.from({ length: 100_000 }, (_, i) => `d${i}: 1`);
    const dir = makeProject({ 'tailwatch.yaml': `destinations: {${destinations.join(', ')}}\n`, 'rules/ok.yaml': RULE });
    const r = await spawnCli(['validate'], { cwd: dir, timeoutMs: 60_000 });
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(1001);
    expect(r.stdout).toMatch(/^tailwatch\.yaml:1:20: destinations\.d0: must be object, not an integer\n/);
    expect(r.code).toBe(1);
    writeFileSync(path.join(dir, 'tailwatch.yaml'), `destinations: {${destinations.join(', ')}, d5: 2}\n`);
    const dup = await spawnCli(['validate'], { cwd: dir, timeoutMs: 60_000 });
    expect(dup.stdout).toMatch(/^tailwatch\.yaml:1:\d+: YAML: Map keys must be unique\n$/);
    expect(dup.code).toBe(1);
  }, 60_000);

  it('80,000 small valid rules in one file load', async () => {
    const rules = Array.from({ length: 80_000 }, (_, i) => `- {id: r${i}, source: {logGroups: [/a]}}\n`);
    const dir = makeProject({ 'tailwatch.yaml': CONFIG, 'rules/small.yaml': `rules:\n${rules.join('')}` });
    const r = await spawnCli(['validate'], { cwd: dir, timeoutMs: 60_000 });
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('ok: 80000 rule(s) in 1 file(s)\n');
    expect(r.code).toBe(0);
  }, 60_000);
});
