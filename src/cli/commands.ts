/** The command table of SPEC §2, in help order. Each command lives in its own file. */
import type { CommandDef } from './command.js';
import { emulateCommand } from './emulate.js';
import { grepCommand } from './grep.js';
import { notYet } from './not-yet.js';
import { replayCommand } from './replay.js';
import { testCommand } from './test.js';
import { validateCommand } from './validate.js';

export const COMMANDS: readonly CommandDef[] = [
  notYet('run', 'run the daemon'),
  validateCommand,
  testCommand,
  replayCommand,
  grepCommand,
  notYet('plan', 'print the Live Tail sessions run would open', (c) => c.option('--format <format>', 'text | json', 'text')),
  notYet('tail', "print the events that pass one rule's filter and conditions", (c) => c.requiredOption('--rule <id>', 'rule id')),
  notYet('notify-test', 'send a sample alert to one destination', (c) => c.argument('<destination>')),
  emulateCommand,
];
