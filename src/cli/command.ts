/**
 * The seam between the command-line parser and each command: a command is a
 * name, its options, and a `run` that returns the exit code (0 success,
 * 1 the checked thing failed, 2 usage or I/O error; help.ts says what each
 * means per command).
 */
import type { Command } from 'commander';

export interface CliIO {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream;
  readonly stdin: NodeJS.ReadableStream;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface CommandRun {
  /** Positional arguments. */
  readonly args: readonly string[];
  /** Parsed options (commander's camelCase names). */
  readonly opts: Readonly<Record<string, unknown>>;
  /** `-c/--config`, else `$TAILWATCH_CONFIG`, else `./tailwatch.yaml` — absolute. */
  readonly configPath: string;
  /** True when the user named the config explicitly (flag or environment). */
  readonly configExplicit: boolean;
  readonly io: CliIO;
}

export interface CommandDef {
  readonly name: string;
  readonly summary: string;
  /** Adds arguments and options; `-c/--config` is added for every command. */
  configure(cmd: Command): void;
  run(run: CommandRun): Promise<number>;
  /** Commands whose `-c` means something else (grep's count) take `--config` only. */
  readonly longConfigOnly?: boolean;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
