/**
 * `tailwatch` command line: registers every command of SPEC §2 with
 * commander, resolves the shared `-c/--config`, maps errors to exit codes.
 *
 * Start-up fast path: `tailwatch grep` with only plain arguments and its
 * `-c`/`-v` flags (what commander would parse without any choice: see
 * plainGrepArgs) runs without loading commander or the package version.
 * Anything else (help, `--config`, `--`, unknown options, a pattern starting
 * with `-`) goes through commander as before.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { UserError, formatProblem } from '../problems.js';
import { EXIT_USAGE, type CliIO, type CommandDef } from './command.js';
import { COMMANDS } from './commands.js';

export function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, cwd: process.cwd(), env: process.env };
}

/** grep's flags the fast path takes, by commander's option names. */
const GREP_FLAGS: Readonly<Record<string, 'count' | 'invertMatch'>> = { c: 'count', v: 'invertMatch' };

/**
 * `grep` followed by operands and `-c`, `-v`, `--count`, `--invert-match`,
 * `-cv`, `-vc` (in any order, as commander takes options between operands),
 * with at least the pattern: the arguments and options commander would hand
 * the command. Undefined for anything else.
 */
export function plainGrepArgs(argv: readonly string[]): { args: string[]; opts: Record<string, unknown> } | undefined {
  if (argv[0] !== 'grep') return undefined;
  const args: string[] = [];
  const opts: Record<string, unknown> = {};
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    // commander: an argument is an option when it is longer than one character and starts with '-'
    if (a.length <= 1 || a[0] !== '-') args.push(a);
    else if (a === '--count') opts['count'] = true;
    else if (a === '--invert-match') opts['invertMatch'] = true;
    else if (/^-[cv]{1,2}$/.test(a)) for (const f of a.slice(1)) opts[GREP_FLAGS[f]!] = true;
    else return undefined;
  }
  return args.length > 0 ? { args, opts } : undefined;
}

export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  const grep = plainGrepArgs(argv);
  if (grep !== undefined) {
    const def = await COMMANDS.find((c) => c.name === 'grep')!.load();
    return runCommand(def, grep.args, grep.opts, io);
  }
  const { Command, CommanderError } = await import('commander');
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

async function runCommand(def: CommandDef, args: readonly string[], opts: Readonly<Record<string, unknown>>, io: CliIO): Promise<number> {
  const flag = typeof opts['config'] === 'string' ? opts['config'] : undefined;
  const fromEnv = io.env['TAILWATCH_CONFIG'] || undefined;
  const configPath = path.resolve(io.cwd, flag ?? fromEnv ?? 'tailwatch.yaml');
  try {
    return await def.run({ args, opts, configPath, configExplicit: flag !== undefined || fromEnv !== undefined, io });
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
