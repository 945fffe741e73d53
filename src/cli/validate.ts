/**
 * `tailwatch validate [PATH…]`: the config and every rule file (or the given
 * files/folders). Problems on stdout as `file:line:col: message`, or a JSON
 * array with `--format json`; a summary on stderr. Exit 1 on any error.
 */
import type { Command } from 'commander';
import { loadAll } from '../config/load.js';
import { formatProblem } from '../problems.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CommandDef } from './command.js';

export const validateCommand: CommandDef = {
  name: 'validate',
  summary: 'validate the config and rule files',
  configure(cmd: Command) {
    cmd.argument('[paths...]', 'rule files or folders (default: the config’s rules.paths)').option('--format <format>', 'text | json', 'text');
  },
  async run({ args, opts, io, configPath, configExplicit }) {
    const format = opts['format'];
    if (format !== 'text' && format !== 'json') {
      io.stderr.write(`tailwatch validate: --format must be text or json\n`);
      return EXIT_USAGE;
    }
    const loaded = await loadAll({ configPath, configRequired: configExplicit, env: io.env, cwd: io.cwd, rulePaths: args.length ? args : undefined });
    const errors = loaded.problems.filter((p) => p.severity === 'error').length;
    const warnings = loaded.problems.length - errors;
    if (format === 'json') {
      // A problem with a whole file or folder (unreadable, a dangling link) has no line and column: null.
      const out = loaded.problems.map((p) => ({ file: p.file, line: p.line || null, col: p.col || null, message: p.message, ruleId: p.ruleId ?? null, severity: p.severity }));
      io.stdout.write(JSON.stringify(out, null, 2) + '\n');
    } else {
      for (const p of loaded.problems) io.stdout.write(formatProblem(p) + '\n');
      const files = loaded.ruleSet.files.length;
      io.stderr.write(
        errors > 0
          ? `${errors} error(s), ${warnings} warning(s) in ${files} rule file(s)\n`
          : `ok: ${loaded.ruleSet.rules.length} rule(s) in ${files} file(s)${warnings ? `, ${warnings} warning(s)` : ''}\n`,
      );
    }
    return errors > 0 ? EXIT_FAILED : EXIT_OK;
  },
};
