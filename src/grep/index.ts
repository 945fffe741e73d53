/**
 * `tailwatch grep` as one function: the console's "Test pattern" on local
 * files (with `jsonl`, on the `message` of recorded events). One event
 * message a line (a trailing `\r` is not part of the message), stdin by
 * default or for `-`. Output and exit codes as GNU grep: matching lines
 * (prefixed `FILE:` when several files are given), counts, exit 0 when a line
 * was selected, 1 when none, 2 on an invalid pattern (`pattern:1:COL:
 * message`) or an unreadable file. See README.md for how it scans.
 */
import path from 'node:path';
import { compileFilterPattern, FilterPatternError, type CompiledFilterPattern } from '../filter/index.js';
import { describeError, scanPath } from './input.js';
import { GREP_NONE, GREP_SELECTED, GREP_TROUBLE, type GrepIO, type GrepRequest } from './io.js';
import { Output } from './output.js';
import { parallelPlan, scanParallel } from './parallel.js';
import { grepRecords } from './records.js';
import { LineScanner } from './scanner.js';

export { GREP_NONE, GREP_SELECTED, GREP_TROUBLE, type GrepIO, type GrepRequest };

/** Runs one grep; the exit code. Errors other than the input's are thrown. */
export async function grep(request: GrepRequest, io: GrepIO): Promise<number> {
  const { pattern: source, files, invert, count } = request;
  let pattern: CompiledFilterPattern;
  try {
    pattern = compileFilterPattern(source);
  } catch (err) {
    if (!(err instanceof FilterPatternError)) throw err;
    io.stderr.write(`pattern:1:${err.column}: ${err.message}\n`);
    return GREP_TROUBLE;
  }
  if (request.jsonl) return grepRecords(pattern, files, invert, count, io);
  const out = new Output(io.stdout);
  const inputs = files.length === 0 ? ['-'] : files;
  const scanner = new LineScanner(pattern, invert, count, out);
  let selected = 0;
  let failed = false;
  for (const file of inputs) {
    const prefix = inputs.length > 1 ? `${file === '-' ? '(standard input)' : file}:` : '';
    scanner.start(prefix);
    try {
      const parallel = file === '-' ? undefined : parallelPlan(pattern, path.resolve(io.cwd, file));
      if (parallel !== undefined) await scanParallel(parallel, { source, invert, countOnly: count, prefix }, scanner, out);
      else if (file === '-') await scanner.scan(io.stdin);
      else await scanPath(scanner, path.resolve(io.cwd, file), out);
      if (count) out.push(Buffer.from(`${prefix}${scanner.count}\n`));
    } catch (err) {
      if (out.closed) break;
      failed = true;
      io.stderr.write(`tailwatch grep: ${file}: ${describeError(err)}\n`);
    }
    selected += scanner.count;
    await out.flushIfFull(true);
    if (out.closed) break;
  }
  if (failed) return GREP_TROUBLE;
  return selected > 0 ? GREP_SELECTED : GREP_NONE;
}
