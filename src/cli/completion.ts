/**
 * `tailwatch completion bash|zsh`: prints a shell completion script made from
 * the command table itself (every command, its options, the values of the
 * options that take a fixed set, files elsewhere), so it never falls behind
 * the commands. `source <(tailwatch completion bash)` in ~/.bashrc; for zsh,
 * `tailwatch completion zsh > "${fpath[1]}/_tailwatch"`.
 */
import { EXIT_OK, EXIT_USAGE, type CommandDef } from './command.js';

/** Option values offered instead of file names. */
const VALUES: Readonly<Record<string, readonly string[]>> = {
  '--format': ['text', 'json'],
  '--log-format': ['json', 'pretty'],
  '--log-level': ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'],
  '--destination': ['console', 'slack', 'webhook', 'alertmanager'],
};

export const SHELLS = ['bash', 'zsh'] as const;

export interface OptionSpec {
  readonly flags: readonly string[];
  readonly description: string;
  readonly takesValue: boolean;
}

export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  readonly options: readonly OptionSpec[];
}

/** Every command with its options, as commander registers them (main.ts adds -c/--config the same way). */
export async function commandSpecs(): Promise<CommandSpec[]> {
  const { Command } = await import('commander');
  const { COMMANDS } = await import('./commands.js');
  const specs: CommandSpec[] = [];
  for (const entry of COMMANDS) {
    const def = await entry.load();
    const cmd = new Command(def.name);
    cmd.option(def.longConfigOnly ? '--config <path>' : '-c, --config <path>', 'config file');
    def.configure(cmd);
    const options = cmd.options.map((o) => ({
      flags: [o.short, o.long].filter((f): f is string => typeof f === 'string'),
      description: o.description,
      takesValue: o.required || o.optional,
    }));
    options.push({ flags: ['-h', '--help'], description: 'display help for command', takesValue: false });
    specs.push({ name: def.name, summary: def.summary, options });
  }
  return specs;
}

export function bashScript(specs: readonly CommandSpec[]): string {
  const valued = [...new Set(specs.flatMap((s) => s.options.filter((o) => o.takesValue).flatMap((o) => o.flags)))];
  const fixed = Object.entries(VALUES).filter(([flag]) => valued.includes(flag));
  const files = valued.filter((f) => !(f in VALUES));
  return `# tailwatch completion for bash: source <(tailwatch completion bash)   (e.g. in ~/.bashrc)
_tailwatch() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=( $(compgen -W "${specs.map((s) => s.name).join(' ')} help --help --version" -- "$cur") )
    return
  fi
  case "$prev" in
${fixed.map(([flag, values]) => `    ${flag}) COMPREPLY=( $(compgen -W "${values.join(' ')}" -- "$cur") ); return ;;`).join('\n')}
    ${files.join('|')}) COMPREPLY=(); return ;;
  esac
  local opts=""
  case "\${COMP_WORDS[1]}" in
${specs.map((s) => `    ${s.name}) opts="${s.options.flatMap((o) => o.flags).join(' ')}" ;;`).join('\n')}
  esac
  if [[ "\${COMP_WORDS[1]}" == completion && $COMP_CWORD -eq 2 && "$cur" != -* ]]; then
    COMPREPLY=( $(compgen -W "${SHELLS.join(' ')}" -- "$cur") )
  elif [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
  else
    COMPREPLY=()   # file names (complete -o default)
  fi
}
complete -o default -F _tailwatch tailwatch
`;
}

/** Text for zsh's _arguments and _describe: no brackets, colons or single quotes. */
function zshText(s: string): string {
  return s.replace(/https?:\/\/\S+/g, 'URL').replace(/[[\]]/g, (c) => (c === '[' ? '(' : ')')).replace(/:/g, ' -').replace(/'/g, '’').replace(/\s+/g, ' ');
}

export function zshScript(specs: readonly CommandSpec[]): string {
  const optionSpec = (o: OptionSpec): string => {
    const values = o.flags.map((f) => VALUES[f]).find((v) => v !== undefined);
    const arg = !o.takesValue ? '' : values ? `:value:(${values.join(' ')})` : ':file:_files';
    const desc = `[${zshText(o.description)}]`;
    if (o.flags.length === 1) return `'${o.flags[0]}${desc}${arg}'`;
    return `'(${o.flags.join(' ')})'{${o.flags.join(',')}}'${desc}${arg}'`;
  };
  const cases = specs.map((s) => {
    const rest = s.name === 'completion' ? `'1:shell:(${SHELLS.join(' ')})'` : "'*:file:_files'";
    return `    ${s.name})\n      _arguments -s \\\n        ${[...s.options.map(optionSpec), rest].join(' \\\n        ')} ;;`;
  });
  return `#compdef tailwatch
# tailwatch completion for zsh: tailwatch completion zsh > "\${fpath[1]}/_tailwatch", then a new shell
# (or, with compinit loaded: source <(tailwatch completion zsh))
_tailwatch() {
  local -a commands
  commands=(
${specs.map((s) => `    '${s.name}:${zshText(s.summary)}'`).join('\n')}
  )
  if (( CURRENT == 2 )); then
    _describe -t commands 'tailwatch command' commands
    return
  fi
  local command=$words[2]
  shift words
  (( CURRENT-- ))
  case $command in
${cases.join('\n')}
  esac
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _tailwatch "$@"
else
  compdef _tailwatch tailwatch
fi
`;
}

export const completionCommand: CommandDef = {
  name: 'completion',
  summary: 'print a shell completion script (bash or zsh)',
  configure: (c) => c.argument('<shell>', SHELLS.join(' | ')),
  async run({ args, io }) {
    const shell = args[0] ?? '';
    if (!(SHELLS as readonly string[]).includes(shell)) {
      io.stderr.write(`tailwatch completion: the shell must be ${SHELLS.join(' or ')}, got "${shell}"\n`);
      return EXIT_USAGE;
    }
    const specs = await commandSpecs();
    io.stdout.write(shell === 'bash' ? bashScript(specs) : zshScript(specs));
    return EXIT_OK;
  },
};
