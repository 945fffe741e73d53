/**
 * Start-up fast path of `tailwatch grep`: an argument list of only operands
 * and grep's own flags (GREP_FLAGS in grep.ts, the definition commander is
 * configured from: what commander would parse without any choice, see
 * plainGrepArgs) runs without loading commander, the command table or the
 * package version. Anything else (help, `--config`, `--`, unknown options, a
 * pattern starting with `-`) goes through main.ts and commander.
 *
 * bin/tailwatch.js require()s this module from dist/cli/grep.bundle.cjs:
 * it and everything it imports in one CommonJS file (scripts/bundle-grep.mjs).
 * Half of a grep of a 200 MB file is Node's start-up, and Node 20's ESM
 * loader starts itself, then resolves, reads and compiles each of the ~20
 * modules on this path one by one. Going through commander instead (main.ts)
 * doubles grep's start-up: 31 → 64 ms, median of 20 (bench/grep-startup.mjs,
 * bench/README.md); requiring commander alone costs 6–9 ms.
 */
import type { CliIO } from './command.js';
import { GREP_FLAGS, flagKey, grepCommand } from './grep.js';
import { processIO, runCommand } from './run-command.js';

/** `--count` → `count`, by commander's option names. */
const BY_LONG = new Map(GREP_FLAGS.map((f) => [`--${f.long}`, flagKey(f)]));
/** `c` → `count`: letters that may be combined (`-cv`), as commander splits them. */
const BY_SHORT = new Map(GREP_FLAGS.flatMap((f) => (f.short ? [[f.short, flagKey(f)] as const] : [])));

/**
 * `grep` followed by operands and grep's flags (`-c`, `--count`, `-cv`, …,
 * in any order, as commander takes options between operands), with at least
 * the pattern: the arguments and options commander would hand the command.
 * Undefined for anything else.
 */
export function plainGrepArgs(argv: readonly string[]): { args: string[]; opts: Record<string, unknown> } | undefined {
  if (argv[0] !== 'grep') return undefined;
  const args: string[] = [];
  const opts: Record<string, unknown> = {};
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    // commander: an argument is an option when it is longer than one character and starts with '-'
    if (a.length <= 1 || a[0] !== '-') args.push(a);
    else if (a[1] === '-') {
      const key = BY_LONG.get(a);
      if (key === undefined) return undefined;
      opts[key] = true;
    } else {
      for (const letter of a.slice(1)) {
        const key = BY_SHORT.get(letter);
        if (key === undefined) return undefined;
        opts[key] = true;
      }
    }
  }
  return args.length > 0 ? { args, opts } : undefined;
}

/** The exit code of a plain `tailwatch grep …`; undefined when argv is not one (then main() takes it). */
export async function plainGrep(argv: readonly string[], io: CliIO = processIO()): Promise<number | undefined> {
  const grep = plainGrepArgs(argv);
  return grep === undefined ? undefined : runCommand(grepCommand, grep.args, grep.opts, io);
}
