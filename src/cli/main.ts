/**
 * `tailwatch` command line: registers every command with commander (each
 * one's help ends with examples and its exit codes), resolves the shared
 * `-c/--config`, maps errors to exit codes. A plain `tailwatch grep …` is run
 * by grep-main.ts without commander.
 */
import type { Command } from 'commander';
import { EXIT_USAGE, type CliIO } from './command.js';
import { COMMANDS } from './commands.js';
import { HELP, PROGRAM_HELP, helpText } from './help.js';
import { processIO, runCommand } from './run-command.js';

export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  if (argv[0] === 'grep') {
    const code = await (await import('./grep-main.js')).plainGrep(argv, io);
    if (code !== undefined) return code;
  }
  const { Command, CommanderError } = await import('commander');
  let exitCode = 0;
  const program = new Command('tailwatch')
    .description('Alerting daemon for AWS CloudWatch Logs Live Tail')
    .version(await packageVersion(), '-V, --version')
    .showHelpAfterError()
    .addHelpText('after', PROGRAM_HELP)
    .configureOutput({ writeOut: (s) => void io.stdout.write(s), writeErr: (s) => void io.stderr.write(s) })
    .exitOverride();

  // Only the command being run is loaded; help (or a typo) loads them all.
  const named = COMMANDS.find((c) => c.name === argv.find((a) => !a.startsWith('-')));
  const defs = await Promise.all((named ? [named] : COMMANDS).map((c) => c.load()));
  for (const def of defs) {
    const cmd = program.command(def.name).description(def.summary).exitOverride();
    const help = HELP[def.name];
    if (help) cmd.addHelpText('after', helpText(help));
    cmd.option(def.longConfigOnly ? '--config <path>' : '-c, --config <path>', 'config file (default $TAILWATCH_CONFIG, else ./tailwatch.yaml)');
    def.configure(cmd);
    cmd.action(async (...params: unknown[]) => {
      const self = params[params.length - 1] as Command;
      exitCode = await runCommand(def, self.args, self.opts(), io);
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

async function packageVersion(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const url = new URL('../../package.json', import.meta.url);
  return (JSON.parse(await readFile(url, 'utf8')) as { version: string }).version;
}
