/** Shell completion for bash and zsh, made from the command table. */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands.js';
import { runCli } from '../kit/cli.js';
import { makeProject } from '../kit/project.js';
import { hasTool } from '../kit/tools.js';

describe('tailwatch completion', () => {
  it('exits 2 on an unknown shell', async () => {
    const r = await runCli(['completion', 'fish']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('tailwatch completion: the shell must be bash or zsh, got "fish"\n');
  });

  it.runIf(hasTool('bash', 'apt-get install bash'))('bash: commands, options of the command typed, fixed values, shells', async () => {
    const r = await runCli(['completion', 'bash']);
    expect(r.code).toBe(0);
    const dir = makeProject({ 'tailwatch.bash': r.stdout });
    const complete = (...words: string[]): string => {
      const script = `source "${path.join(dir, 'tailwatch.bash')}"; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _tailwatch; echo "\${COMPREPLY[*]}"`;
      return execFileSync('bash', ['-c', script], { encoding: 'utf8' }).trim();
    };
    expect(complete('tailwatch', '')).toContain('validate');
    expect(complete('tailwatch', 'in')).toBe('init');
    expect(complete('tailwatch', 'validate', '--f')).toBe('--format');
    expect(complete('tailwatch', 'validate', '--format', '')).toBe('text json');
    expect(complete('tailwatch', 'grep', '--j')).toBe('--jsonl');
    expect(complete('tailwatch', 'test', '--a')).toBe('--allow-empty');
    expect(complete('tailwatch', 'run', '--log-format', 'p')).toBe('pretty');
    expect(complete('tailwatch', 'init', '--destination', '')).toBe('console slack webhook alertmanager');
    expect(complete('tailwatch', 'completion', '')).toBe('bash zsh');
    // a value that is a file name: left to the shell's file completion
    expect(complete('tailwatch', 'replay', '--input', '')).toBe('');
  });

  it.runIf(hasTool('zsh', 'apt-get install zsh'))('zsh: the script loads and registers _tailwatch for tailwatch', async () => {
    const r = await runCli(['completion', 'zsh']);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('#compdef tailwatch\n')).toBe(true);
    for (const c of COMMANDS) expect(r.stdout).toContain(`    ${c.name})\n`);
    const dir = makeProject({ '_tailwatch': r.stdout });
    execFileSync('zsh', ['-n', path.join(dir, '_tailwatch')]);
    writeFileSync(path.join(dir, 'check.zsh'), `autoload -U compinit; compinit -u -d "${dir}/zcompdump"; source "${dir}/_tailwatch"; print -- $_comps[tailwatch]; whence -w _tailwatch\n`);
    const out = execFileSync('zsh', ['-f', path.join(dir, 'check.zsh')], { encoding: 'utf8' });
    expect(out).toBe('_tailwatch\n_tailwatch: function\n');
  });
});
