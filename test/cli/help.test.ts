/** Every command's --help ends with examples and its exit codes. */
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands.js';
import { HELP } from '../../src/cli/help.js';
import { runCli } from '../kit/cli.js';

describe('--help', () => {
  it.each(COMMANDS.map((c) => c.name))('%s shows examples and its exit codes', async (name) => {
    expect(HELP[name], `src/cli/help.ts has no entry for ${name}`).toBeDefined();
    const r = await runCli([name, '--help']);
    expect(r.code).toBe(0);
    const [, after] = r.stdout.split('\nExamples:\n');
    expect(after, r.stdout).toBeDefined();
    const [examples, codes] = after!.split('\nExit codes:\n');
    const commands = examples!.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
    expect(commands.length).toBeGreaterThan(0);
    for (const c of commands) expect(c, name).toMatch(/\btailwatch\b/);
    expect(commands.some((c) => c.includes(`tailwatch ${name}`))).toBe(true);
    expect(codes).toMatch(/^ {2}0 {2}\S/m);
    for (const line of codes!.trimEnd().split('\n')) expect(line).toMatch(/^ {2}[012] {2}\S/);
  });

  it('of the program says the exit codes and how to start', async () => {
    const r = await runCli(['--help']);
    expect(r.stdout).toContain('Exit codes: 0 success, 1 the checked thing failed, 2 usage or I/O error');
    expect(r.stdout).toContain('tailwatch completion bash|zsh');
  });
});
