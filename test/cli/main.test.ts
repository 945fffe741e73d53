import { describe, expect, it } from 'vitest';
import { runCli } from '../kit/cli.js';

describe('the command line', () => {
  it('prints help for every command and exits 0', async () => {
    for (const name of ['run', 'validate', 'test', 'replay', 'grep', 'plan', 'tail', 'notify-test', 'emulate', 'put', 'init', 'completion']) {
      const r = await runCli([name, '--help']);
      expect(r.code, name).toBe(0);
      expect(r.stdout, name).toContain(`Usage: tailwatch ${name}`);
      expect(r.stdout, name).toContain('--config <path>');
    }
  });

  it('exits 2 on an unknown command or option', async () => {
    expect((await runCli(['bogus'])).code).toBe(2);
    expect((await runCli(['validate', '--bogus'])).code).toBe(2);
  });
});
