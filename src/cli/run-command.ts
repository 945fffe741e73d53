/**
 * Running one command with the shared `--config` resolution and the mapping
 * of errors to exit codes: used by main.ts (after commander) and by grep's
 * start-up fast path (grep-main.ts), which must not load commander.
 */
import path from 'node:path';
import { InputFileError, UserError, formatProblem } from '../problems.js';
import { EXIT_USAGE, type CliIO, type CommandDef } from './command.js';

/**
 * The process's streams. `stdin` is created on first use: Node builds the
 * stream (and loads its modules) when it is read, and `tailwatch grep X FILE`
 * never needs it (~2 ms of start-up).
 */
export function processIO(): CliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    get stdin() {
      return process.stdin;
    },
    cwd: process.cwd(),
    env: process.env,
  };
}

export async function runCommand(def: CommandDef, args: readonly string[], opts: Readonly<Record<string, unknown>>, io: CliIO): Promise<number> {
  const flag = typeof opts['config'] === 'string' ? opts['config'] : undefined;
  const fromEnv = io.env['TAILWATCH_CONFIG'] || undefined;
  const configPath = path.resolve(io.cwd, flag ?? fromEnv ?? 'tailwatch.yaml');
  try {
    return await def.run({ args, opts, configPath, configExplicit: flag !== undefined || fromEnv !== undefined, io });
  } catch (err) {
    if (err instanceof InputFileError) {
      io.stderr.write(`tailwatch ${def.name}: ${err.message}\n`);
      return EXIT_USAGE;
    }
    if (err instanceof UserError) {
      for (const p of err.problems) io.stderr.write(formatProblem(p) + '\n');
      return EXIT_USAGE;
    }
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
      io.stderr.write(`tailwatch ${def.name}: ${(err as Error).message}\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
}
