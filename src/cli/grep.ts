/**
 * `tailwatch grep [-c] [-v] [--jsonl] PATTERN [FILE…]`: the command around
 * src/grep/ (grep()). Its command line is defined once, here (GREP_OPERANDS,
 * GREP_FLAGS): commander is configured from it (help, errors, completion),
 * and grep's start-up fast path (grep-main.ts) parses the same definition
 * without loading commander.
 */
import type { Command } from 'commander';
import { grep } from '../grep/index.js';
import type { CommandDef } from './command.js';

/** An option of grep's: a flag (it takes no value), with an optional one-letter form. */
export interface GrepFlag {
  readonly short?: string;
  readonly long: string;
  readonly description: string;
}

export const GREP_OPERANDS: readonly (readonly [name: string, description: string])[] = [
  ['<pattern>', 'CloudWatch filter pattern'],
  ['[files...]', 'files of one event message a line (default: stdin; - is stdin)'],
];

export const GREP_FLAGS: readonly GrepFlag[] = [
  { short: 'c', long: 'count', description: 'print the number of matching lines' },
  { short: 'v', long: 'invert-match', description: 'select non-matching lines' },
  { long: 'jsonl', description: 'lines are recorded events ({"timestamp","message",…}, as replay and emulate read): match each record’s message, print the records' },
];

/** The name commander gives a flag's value: its long name in camelCase (`invert-match` → `invertMatch`). */
export function flagKey(flag: GrepFlag): string {
  return flag.long.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export const grepCommand: CommandDef = {
  name: 'grep',
  summary: 'filter log lines with a CloudWatch filter pattern',
  longConfigOnly: true,
  configure(cmd: Command) {
    for (const [name, description] of GREP_OPERANDS) cmd.argument(name, description);
    for (const flag of GREP_FLAGS) cmd.option(flag.short ? `-${flag.short}, --${flag.long}` : `--${flag.long}`, flag.description);
  },
  async run({ args, opts, io }) {
    const [pattern = '', ...files] = args;
    return grep({ pattern, files, count: opts['count'] === true, invert: opts['invertMatch'] === true, jsonl: opts['jsonl'] === true }, io);
  },
};
