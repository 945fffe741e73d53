/**
 * `tailwatch grep [-c] [-v] PATTERN [FILE…]` (SPEC §2): the console's "Test
 * pattern" on local files. One event message a line (a trailing `\r` is not
 * part of the message), stdin by default or for `-`. Output and exit codes as
 * GNU grep: matching lines (prefixed `FILE:` when several files are given),
 * `-c` counts, exit 0 when a line was selected, 1 when none, 2 on an invalid
 * pattern (`pattern:1:COL: message`) or an unreadable file.
 *
 * Streaming: files are read in 1 MiB chunks and only the unfinished last line
 * of a chunk is carried over, so memory stays at a chunk plus the longest
 * line. When every match must contain a literal (plain terms), the chunk is
 * searched for its bytes natively and only lines around hits are decoded.
 */
import { createReadStream } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { compileFilterPattern, FilterPatternError, JsonLineProjector, NOT_JSON, type CompiledFilterPattern } from '../filter/index.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CliIO, type CommandDef } from './command.js';

const CHUNK = 1 << 20;
const FLUSH = 1 << 16;
const NEWLINE = 10;

export const grepCommand: CommandDef = {
  name: 'grep',
  summary: 'filter log lines with a CloudWatch filter pattern',
  longConfigOnly: true,
  configure(cmd: Command) {
    cmd
      .argument('<pattern>', 'CloudWatch filter pattern')
      .argument('[files...]', 'files of one event message a line (default: stdin; - is stdin)')
      .option('-c, --count', 'print the number of matching lines')
      .option('-v, --invert-match', 'select non-matching lines');
  },
  async run({ args, opts, io }) {
    const [source = '', ...files] = args;
    let pattern: CompiledFilterPattern;
    try {
      pattern = compileFilterPattern(source);
    } catch (err) {
      if (!(err instanceof FilterPatternError)) throw err;
      io.stderr.write(`pattern:1:${err.column}: ${err.message}\n`);
      return EXIT_USAGE;
    }
    const out = new Output(io.stdout);
    const inputs = files.length === 0 ? ['-'] : files;
    const scanner = new LineScanner(pattern, opts['invertMatch'] === true, opts['count'] === true, out);
    let selected = 0;
    let failed = false;
    for (const file of inputs) {
      const prefix = inputs.length > 1 ? `${file === '-' ? '(standard input)' : file}:` : '';
      scanner.start(prefix);
      try {
        await scanner.scan(file === '-' ? io.stdin : createReadStream(path.resolve(io.cwd, file), { highWaterMark: CHUNK }));
        if (opts['count'] === true) out.push(Buffer.from(`${prefix}${scanner.count}\n`));
      } catch (err) {
        if (out.closed) break;
        failed = true;
        io.stderr.write(`tailwatch grep: ${file}: ${describeError(err)}\n`);
      }
      selected += scanner.count;
      await out.flushIfFull(true);
      if (out.closed) break;
    }
    if (failed) return EXIT_USAGE;
    return selected > 0 ? EXIT_OK : EXIT_FAILED;
  },
};

function describeError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOENT':
      return 'No such file or directory';
    case 'EISDIR':
      return 'Is a directory';
    case 'EACCES':
      return 'Permission denied';
    default:
      return e.message ?? String(err);
  }
}

/** Buffered writes to stdout that wait for `drain` and stop quietly when the reader goes away (EPIPE). */
class Output {
  private parts: Buffer[] = [];
  private size = 0;
  closed = false;

  constructor(private readonly stream: NodeJS.WritableStream) {
    stream.on('error', () => {
      this.closed = true;
    });
  }

  push(part: Buffer): void {
    this.parts.push(part);
    this.size += part.length;
  }

  async flushIfFull(force = false): Promise<void> {
    if (this.size === 0 || (!force && this.size < FLUSH) || this.closed) return;
    const data = Buffer.concat(this.parts, this.size);
    this.parts = [];
    this.size = 0;
    if (!this.stream.write(data)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.stream.off('drain', done);
          this.stream.off('error', done);
          this.stream.off('close', done);
          resolve();
        };
        this.stream.on('drain', done);
        this.stream.on('error', done);
        this.stream.on('close', done);
      });
    }
  }
}

const LF = Buffer.from('\n');

class LineScanner {
  count = 0;
  private prefix: Buffer | undefined;
  /** Bytes every matching line contains; undefined when lines must all be decoded. */
  private readonly literal: Buffer | undefined;
  /** Containing `literal` is the whole test (one plain term): hits need no decoding. */
  private readonly literalDecides: boolean;
  /** JSON patterns whose selectors all start with a key: the fast path that reads only those keys. */
  private readonly projector: JsonLineProjector | undefined;
  /** Selected bytes of the current buffer not yet queued for output: consecutive lines go out as one slice. */
  private runStart = 0;
  private runEnd = 0;

  constructor(
    private readonly pattern: CompiledFilterPattern,
    private readonly invert: boolean,
    private readonly countOnly: boolean,
    private readonly out: Output,
  ) {
    const longest = [...pattern.requiredSubstrings].sort((a, b) => b.length - a.length)[0];
    // U+FFFD stands for invalid bytes after decoding; it cannot be searched for as bytes.
    this.literal = !invert && longest && !longest.includes('\uFFFD') ? Buffer.from(longest, 'utf8') : undefined;
    // A UTF-8 decoder never swallows the bytes of a valid character, so a byte hit is a hit in the decoded line.
    this.literalDecides = this.literal !== undefined && pattern.onlySubstrings && pattern.requiredSubstrings.length === 1;
    this.projector = pattern.jsonTopKeys ? new JsonLineProjector(pattern.jsonTopKeys) : undefined;
  }

  start(prefix: string): void {
    this.count = 0;
    this.prefix = prefix ? Buffer.from(prefix) : undefined;
  }

  async scan(stream: NodeJS.ReadableStream): Promise<void> {
    let pending: Buffer[] = [];
    let pendingSize = 0;
    for await (const raw of stream) {
      const chunk = typeof raw === 'string' ? Buffer.from(raw) : (raw as Buffer);
      const firstNl = chunk.indexOf(NEWLINE);
      if (firstNl < 0) {
        pending.push(chunk);
        pendingSize += chunk.length;
        continue;
      }
      let start = 0;
      if (pendingSize > 0) {
        // Only the line that spans chunks is copied together; the rest is read in place.
        const joined = Buffer.concat([...pending, chunk.subarray(0, firstNl + 1)], pendingSize + firstNl + 1);
        this.lines(joined, joined.length);
        pending = [];
        pendingSize = 0;
        start = firstNl + 1;
      }
      const end = chunk.lastIndexOf(NEWLINE) + 1;
      if (end > start) this.lines(start === 0 ? chunk : chunk.subarray(start), end - start);
      if (end < chunk.length) {
        pending.push(chunk.subarray(end));
        pendingSize = chunk.length - end;
      }
      await this.out.flushIfFull();
      if (this.out.closed) return;
    }
    if (pendingSize > 0) {
      const buf = Buffer.concat(pending, pendingSize);
      this.lines(buf, buf.length);
    }
  }

  /** Handles the lines in buf[0, end): each ends with `\n`, except possibly the last. */
  private lines(buf: Buffer, end: number): void {
    this.runStart = this.runEnd = 0;
    this.projector?.reset(buf.toString('latin1', 0, end), buf);
    this.scanLines(buf, end);
    this.flushRun(buf);
  }

  private scanLines(buf: Buffer, end: number): void {
    if (this.literal) {
      let pos = 0;
      while (pos < end) {
        const hit = buf.indexOf(this.literal, pos);
        if (hit < 0 || hit >= end) return;
        const start = hit === 0 ? 0 : Math.max(pos, buf.lastIndexOf(NEWLINE, hit - 1) + 1);
        let lineEnd = buf.indexOf(NEWLINE, hit);
        if (lineEnd < 0 || lineEnd > end) lineEnd = end;
        if (this.literalDecides) this.select(buf, start, lineEnd);
        else this.line(buf, start, lineEnd);
        pos = lineEnd + 1;
      }
      return;
    }
    let start = 0;
    while (start < end) {
      let lineEnd = buf.indexOf(NEWLINE, start);
      if (lineEnd < 0 || lineEnd > end) lineEnd = end;
      this.line(buf, start, lineEnd);
      start = lineEnd + 1;
    }
  }

  private line(buf: Buffer, start: number, end: number): void {
    const messageEnd = end > start && buf[end - 1] === 13 ? end - 1 : end;
    if (this.matches(buf, start, messageEnd) !== this.invert) this.select(buf, start, end);
  }

  /** Counts and queues the line buf[start, end) (`end` at its `\n` or the buffer's end). */
  private select(buf: Buffer, start: number, end: number): void {
    this.count++;
    if (this.countOnly) return;
    if (this.prefix) {
      this.out.push(this.prefix);
      this.out.push(buf.subarray(start, end));
      this.out.push(LF);
      return;
    }
    if (end >= buf.length || buf[end] !== NEWLINE) {
      this.flushRun(buf);
      this.out.push(buf.subarray(start, end));
      this.out.push(LF);
      return;
    }
    if (start !== this.runEnd || this.runEnd === this.runStart) {
      this.flushRun(buf);
      this.runStart = start;
    }
    this.runEnd = end + 1;
  }

  private flushRun(buf: Buffer): void {
    if (this.runEnd > this.runStart) this.out.push(buf.subarray(this.runStart, this.runEnd));
    this.runStart = this.runEnd = 0;
  }

  private matches(buf: Buffer, start: number, end: number): boolean {
    if (this.pattern.kind === 'json') {
      // Only a line starting with { or [ (after blanks) can be JSON: skip decoding the rest.
      let i = start;
      while (i < end && (buf[i] === 32 || buf[i] === 9)) i++;
      if (i === end || (buf[i] !== 123 && buf[i] !== 91)) return false;
      if (this.projector) {
        // Most lines are settled from only the keys the pattern reads; a line
        // that seems to match is confirmed the ordinary way.
        const projected = this.projector.project(start, end);
        if (projected !== undefined && (projected === NOT_JSON || !this.pattern.matches('', projected))) return false;
      }
    }
    return this.pattern.matches(buf.toString('utf8', start, end));
  }
}
