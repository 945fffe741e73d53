/** Commands whose capability lands later say so in one line and exit 2. */
import { EXIT_USAGE, type CommandDef } from './command.js';

export function notYet(name: string, summary: string, configure: CommandDef['configure'] = () => {}): CommandDef {
  return {
    name,
    summary,
    configure,
    async run({ io }) {
      io.stderr.write(`tailwatch ${name}: not available in this version yet\n`);
      return EXIT_USAGE;
    },
  };
}
