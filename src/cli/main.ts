/**
 * `tailwatch` command line: registers every command of SPEC §2 with
 * commander, resolves the shared `-c/--config`, maps errors to exit codes.
 */
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { UserError, formatProblem } from '../problems.js';
import { EXIT_USAGE, type CliIO, type CommandDef } from './command.js';
import { COMMANDS } from './commands.js';

export function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, cwd: process.cwd(), env: process.env };
}

export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  let exitCode = 0;
  const program = new Command('tailwatch')
    .description('Alerting daemon for AWS CloudWatch Logs Live Tail')
    .version(await packageVersion(), '-V, --version')
    .showHelpAfterError()
    .configureOutput({ writeOut: (s) => void io.stdout.write(s), writeErr: (s) => void io.stderr.write(s) })
    .exitOverride();

  // Only the command being run is loaded; help (or a typo) loads them all.
  const named = COMMANDS.find((c) => c.name === argv.find((a) => !a.startsWith('-')));
  const defs = await Promise.all((named ? [named] : COMMANDS).map((c) => c.load()));
  for (const def of defs) {
    const cmd = program.command(def.name).description(def.summary).exitOverride();
    cmd.option(def.longConfigOnly ? '--config <path>' : '-c, --config <path>', 'config file (default $TAILWATCH_CONFIG, else ./tailwatch.yaml)');
    def.configure(cmd);
    cmd.action(async (...params: unknown[]) => {
      const self = params[params.length - 1] as Command;
      exitCode = await runCommand(def, self, io);
    });
  }

  try {
    if (argv.length === 0) {
      program.outputHelp();
      return EXIT_USAGE;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? 0 : EXIT_USAGE;
    }
    throw err;
  }
}

async function runCommand(def: CommandDef, cmd: Command, io: CliIO): Promise<number> {
  const opts = cmd.opts();
  const flag = typeof opts['config'] === 'string' ? opts['config'] : undefined;
  const fromEnv = io.env['TAILWATCH_CONFIG'] || undefined;
  const configPath = path.resolve(io.cwd, flag ?? fromEnv ?? 'tailwatch.yaml');
  try {
    return await def.run({ args: cmd.args, opts, configPath, configExplicit: flag !== undefined || fromEnv !== undefined, io });
  } catch (err) {
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

async function packageVersion(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const url = new URL('../../package.json', import.meta.url);
  return (JSON.parse(await readFile(url, 'utf8')) as { version: string }).version;
}
