/**
 * `tailwatch grep --jsonl`: lines are recorded events, matched on their
 * `message`.
 */
import { createReadStream } from 'node:fs';
import path from 'node:path';
import type { CompiledFilterPattern } from '../filter/index.js';
import { GREP_NONE, GREP_SELECTED, GREP_TROUBLE, type GrepIO } from './io.js';
import { describeError } from './input.js';
import { FLUSH } from './output.js';

/**
 * `--jsonl`: each line is a recorded event; the pattern is tested on its `message` and the selected
 * records are printed whole (so `grep --jsonl … | replay --input -` works). A line that is not a
 * record is reported (`FILE:LINE: …`, exit 2 at the end) and skipped; blank lines are skipped.
 */
export async function grepRecords(pattern: CompiledFilterPattern, files: readonly string[], invert: boolean, countOnly: boolean, io: GrepIO): Promise<number> {
  const { createInterface } = await import('node:readline');
  const inputs = files.length === 0 ? ['-'] : files;
  let selected = 0;
  let failed = false;
  let out = '';
  const flush = async (force: boolean): Promise<void> => {
    if (out === '' || (!force && out.length < FLUSH)) return;
    const chunk = out;
    out = '';
    if (!io.stdout.write(chunk)) await new Promise<void>((resolve) => io.stdout.once('drain', resolve));
  };
  for (const file of inputs) {
    const name = file === '-' ? '(standard input)' : file;
    const prefix = inputs.length > 1 ? `${name}:` : '';
    let count = 0;
    try {
      const stream: NodeJS.ReadableStream = file === '-' ? io.stdin : createReadStream(path.resolve(io.cwd, file));
      const opened = new Promise<void>((resolve, reject) => {
        stream.once('error', reject);
        if (file === '-') resolve();
        else stream.once('open', () => resolve());
      });
      await opened;
      let lineNo = 0;
      for await (const raw of createInterface({ input: stream, crlfDelay: Infinity })) {
        lineNo++;
        const line = raw as string;
        if (line.trim() === '') continue;
        let message: unknown;
        try {
          message = (JSON.parse(line) as { message?: unknown } | null)?.message;
        } catch {
          message = undefined;
        }
        if (typeof message !== 'string') {
          failed = true;
          io.stderr.write(`tailwatch grep: ${name}:${lineNo}: not a recorded event (a JSON object with a string "message")\n`);
          continue;
        }
        if (pattern.matches(message) === invert) continue;
        count++;
        if (!countOnly) {
          out += `${prefix}${line}\n`;
          await flush(false);
        }
      }
    } catch (err) {
      failed = true;
      io.stderr.write(`tailwatch grep: ${file}: ${describeError(err)}\n`);
    }
    if (countOnly) out += `${prefix}${count}\n`;
    selected += count;
  }
  await flush(true);
  if (failed) return GREP_TROUBLE;
  return selected > 0 ? GREP_SELECTED : GREP_NONE;
}
