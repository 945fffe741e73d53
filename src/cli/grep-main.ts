/**
 * Start-up fast path of `tailwatch grep`: an argument list of only operands
 * and grep's `-c`/`-v` flags (what commander would parse without any choice:
 * see plainGrepArgs) runs without loading commander, the command table or
 * the package version. Anything else (help, `--config`, `--`, unknown
 * options, a pattern starting with `-`) goes through main.ts and commander.
 *
 * bin/tailwatch.js require()s this module from dist/cli/grep.bundle.cjs:
 * it and everything it imports in one CommonJS file (scripts/bundle-grep.mjs).
 * Half of a grep of a 200 MB file is Node's start-up, and Node 20's ESM
 * loader starts itself, then resolves, reads and compiles each of the ~20
 * modules on this path one by one (bench/README.md has what that costs).
 */
import type { CliIO } from './command.js';
import { grepCommand } from './grep.js';
import { processIO, runCommand } from './run-command.js';

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

/** The exit code of a plain `tailwatch grep …`; undefined when argv is not one (then main() takes it). */
export async function plainGrep(argv: readonly string[], io: CliIO = processIO()): Promise<number | undefined> {
  const grep = plainGrepArgs(argv);
  return grep === undefined ? undefined : runCommand(grepCommand, grep.args, grep.opts, io);
}
