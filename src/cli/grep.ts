/**
 * `tailwatch grep [-c] [-v] [--jsonl] PATTERN [FILE…]`: the command around
 * src/grep/ (grep()).
 */
import type { Command } from 'commander';
import { grep } from '../grep/index.js';
import type { CommandDef } from './command.js';

export const grepCommand: CommandDef = {
  name: 'grep',
  summary: 'filter log lines with a CloudWatch filter pattern',
  longConfigOnly: true,
  configure(cmd: Command) {
    cmd
      .argument('<pattern>', 'CloudWatch filter pattern')
      .argument('[files...]', 'files of one event message a line (default: stdin; - is stdin)')
      .option('-c, --count', 'print the number of matching lines')
      .option('-v, --invert-match', 'select non-matching lines')
      .option('--jsonl', 'lines are recorded events ({"timestamp","message",…}, as replay and emulate read): match each record’s message, print the records');
  },
  async run({ args, opts, io }) {
    const [pattern = '', ...files] = args;
    return grep({ pattern, files, count: opts['count'] === true, invert: opts['invertMatch'] === true, jsonl: opts['jsonl'] === true }, io);
  },
};
