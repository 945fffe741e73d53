/**
 * The command table, in help order. Each command lives in its own
 * file and is imported only when it runs (all of them only for help): a
 * short `grep` or `validate` should not pay for loading the daemon, the SDK
 * and SQLite.
 */
import type { CommandDef } from './command.js';

export interface CommandEntry {
  readonly name: string;
  load(): Promise<CommandDef>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'run', load: async () => (await import('./run.js')).runCommand },
  { name: 'validate', load: async () => (await import('./validate.js')).validateCommand },
  { name: 'test', load: async () => (await import('./test.js')).testCommand },
  { name: 'replay', load: async () => (await import('./replay.js')).replayCommand },
  { name: 'grep', load: async () => (await import('./grep.js')).grepCommand },
  { name: 'plan', load: async () => (await import('./plan.js')).planCommand },
  { name: 'doctor', load: async () => (await import('./doctor.js')).doctorCommand },
  { name: 'iam-policy', load: async () => (await import('./iam-policy.js')).iamPolicyCommand },
  { name: 'tail', load: async () => (await import('./tail.js')).tailCommand },
  { name: 'notify-test', load: async () => (await import('./notify-test.js')).notifyTestCommand },
  { name: 'emulate', load: async () => (await import('./emulate.js')).emulateCommand },
  { name: 'put', load: async () => (await import('./put.js')).putCommand },
  { name: 'init', load: async () => (await import('./init.js')).initCommand },
  { name: 'completion', load: async () => (await import('./completion.js')).completionCommand },
];
