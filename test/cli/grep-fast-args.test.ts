// The start-up fast path of `tailwatch grep` (grep-main.ts: plainGrepArgs) against
// commander: for every argument list the fast path takes, commander hands the
// grep command exactly the same arguments and options.
import { Command } from 'commander';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GREP_FLAGS, grepCommand } from '../../src/cli/grep.js';
import { plainGrepArgs } from '../../src/cli/grep-main.js';

function viaCommander(argv: readonly string[]): { args: string[]; opts: Record<string, unknown> } | 'error' {
  let got: { args: string[]; opts: Record<string, unknown> } | 'error' = 'error';
  const program = new Command('tailwatch').exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  const cmd = program.command('grep').exitOverride();
  cmd.option('--config <path>', 'config file');
  grepCommand.configure(cmd);
  cmd.action((...params: unknown[]) => {
    const self = params[params.length - 1] as Command;
    got = { args: [...self.args], opts: { ...self.opts() } };
  });
  try {
    program.parse([...argv], { from: 'user' });
  } catch {
    return 'error';
  }
  return got;
}

const token = fc.oneof(
  fc.constantFrom('-c', '-v', '-cv', '-vc', '--count', '--invert-match', '-', '', 'ERROR', '{ $.a = 1 }', 'f.log', 'help', '-x', '--', '--config', 'c.yaml', '-h', '--help', '-cc', '-V', '?a', '"x y"'),
  fc.string({ maxLength: 6 }),
);

describe('tailwatch grep start-up fast path', () => {
  it('takes only argument lists commander parses the same way', () => {
    fc.assert(
      fc.property(fc.array(token, { maxLength: 6 }), (rest) => {
        const argv = ['grep', ...rest];
        const fast = plainGrepArgs(argv);
        if (fast === undefined) return;
        expect(fast).toEqual(viaCommander(argv));
      }),
      { numRuns: 3000 },
    );
  });

  it('takes the common forms and leaves help, --config and odd options to commander', () => {
    expect(plainGrepArgs(['grep', '-c', 'ERROR', 'a.log', '-v'])).toEqual({ args: ['ERROR', 'a.log'], opts: { count: true, invertMatch: true } });
    expect(plainGrepArgs(['grep', 'ERROR', '-'])).toEqual({ args: ['ERROR', '-'], opts: {} });
    for (const argv of [['grep'], ['grep', '--help'], ['grep', '-h'], ['grep', '--config', 'x', 'E'], ['grep', '--', '-E'], ['grep', '-ERROR'], ['replay', 'x'], ['grep', '-c']]) {
      expect(plainGrepArgs(argv)).toBeUndefined();
    }
  });

  it('is derived from the one definition of grep\'s flags: every flag, long, short and combined, parses as commander parses it', () => {
    const shorts = GREP_FLAGS.flatMap((f) => (f.short ? [f.short] : []));
    const flagToken = fc.oneof(
      fc.constantFrom(...GREP_FLAGS.map((f) => `--${f.long}`)),
      fc.array(fc.constantFrom(...shorts, 'x'), { minLength: 1, maxLength: 4 }).map((letters) => `-${letters.join('')}`),
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(flagToken, fc.constantFrom('ERROR', 'a.log', '-', '--', '--config', '-h')), { maxLength: 6 }), (rest) => {
        const argv = ['grep', ...rest];
        const fast = plainGrepArgs(argv);
        if (fast !== undefined) expect(fast).toEqual(viaCommander(argv));
      }),
      { numRuns: 2000 },
    );
    // Every flag is taken (the fast path knows them all), with commander's option names.
    for (const f of GREP_FLAGS) expect(plainGrepArgs(['grep', `--${f.long}`, 'E'])).toEqual(viaCommander(['grep', `--${f.long}`, 'E']));
    expect(plainGrepArgs(['grep', '--jsonl', '-cv', 'E', '-'])).toEqual({ args: ['E', '-'], opts: { jsonl: true, count: true, invertMatch: true } });
  });
});
