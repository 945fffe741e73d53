/**
 * `tailwatch grep [-c] [-v] [--jsonl] PATTERN [FILE…]`: the console's "Test
 * pattern" on local files (with `--jsonl`, on the `message` of recorded events). One event message a line (a trailing `\r` is not
 * part of the message), stdin by default or for `-`. Output and exit codes as
 * GNU grep: matching lines (prefixed `FILE:` when several files are given),
 * `-c` counts, exit 0 when a line was selected, 1 when none, 2 on an invalid
 * pattern (`pattern:1:COL: message`) or an unreadable file.
 *
 * Streaming: regular files are read in 256 KiB chunks into one reused buffer
 * (stdin and pipes in a stream's chunks) and only the unfinished last line of
 * a chunk is carried over, so memory stays at a chunk plus the longest line.
 * When every match must contain a literal (plain terms), the chunk is
 * searched for its bytes natively and only lines around hits are decoded.
 *
 * Large regular files with a pattern that needs each line looked at (JSON
 * patterns) are split into segments of whole lines scanned by worker
 * threads (see scanParallel); the output is written in file order and is
 * byte for byte the output of the single-threaded scan.
 */
import { closeSync, createReadStream, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { compileFilterPattern, FilterPatternError, JsonLineProjector, NOT_JSON, type CompiledFilterPattern } from '../filter/index.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CliIO, type CommandDef } from './command.js';
import type { Worker } from 'node:worker_threads';
import type { WorkerSpec } from './grep-worker.js';

const CHUNK = 1 << 20;
/**
 * Reads of regular files: small enough that a chunk just copied from the page
 * cache is still in the CPU cache when it is searched (measured on 213 MB:
 * read + search 55 ms at 256 KiB, 64 ms at 1 MiB, 75 ms at 4 MiB).
 */
const FILE_READ = 256 << 10;
/** After this many chunks a file scan lets the event loop run (a closed stdout is noticed). */
const YIELD_EVERY = 64;
const FLUSH = 1 << 16;
const STAGING = 4 * FLUSH;
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
      .option('-v, --invert-match', 'select non-matching lines')
      .option('--jsonl', 'lines are recorded events ({"timestamp","message",…}, as replay and emulate read): match each record’s message, print the records');
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
    if (opts['jsonl'] === true) return grepRecords(pattern, files, opts['invertMatch'] === true, opts['count'] === true, io);
    const out = new Output(io.stdout);
    const inputs = files.length === 0 ? ['-'] : files;
    const scanner = new LineScanner(pattern, opts['invertMatch'] === true, opts['count'] === true, out);
    let selected = 0;
    let failed = false;
    for (const file of inputs) {
      const prefix = inputs.length > 1 ? `${file === '-' ? '(standard input)' : file}:` : '';
      scanner.start(prefix);
      try {
        const parallel = file === '-' ? undefined : parallelPlan(pattern, path.resolve(io.cwd, file));
        if (parallel !== undefined) await scanParallel(parallel, { source, invert: opts['invertMatch'] === true, countOnly: opts['count'] === true, prefix }, scanner, out);
        else if (file === '-') await scanner.scan(io.stdin);
        else await scanPath(scanner, path.resolve(io.cwd, file), out);
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

/**
 * `--jsonl`: each line is a recorded event; the pattern is tested on its `message` and the selected
 * records are printed whole (so `grep --jsonl … | replay --input -` works). A line that is not a
 * record is reported (`FILE:LINE: …`, exit 2 at the end) and skipped; blank lines are skipped.
 */
async function grepRecords(pattern: CompiledFilterPattern, files: readonly string[], invert: boolean, countOnly: boolean, io: CliIO): Promise<number> {
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
  if (failed) return EXIT_USAGE;
  return selected > 0 ? EXIT_OK : EXIT_FAILED;
}

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

/**
 * Scans one named file: a regular file with synchronous reads into one
 * reused buffer (no stream, no promise per chunk: this is most of grep's time
 * on a fast term), anything else (a FIFO, /dev/stdin) as a stream.
 */
async function scanPath(scanner: LineScanner, file: string, out: Output): Promise<void> {
  const fd = openSync(file, 'r');
  let owned = true;
  try {
    if (!fstatSync(fd).isFile()) {
      owned = false; // the stream closes it
      await scanner.scan(createReadStream('', { fd, highWaterMark: CHUNK }));
      return;
    }
    await scanner.scanFile(fd, out);
  } finally {
    if (owned) closeSync(fd);
  }
}

/** Where a LineScanner queues selected bytes. */
interface Sink {
  /** Queues buf[start, end) (the whole buffer by default). */
  push(buf: Buffer, start?: number, end?: number): void;
}

/** Collects a segment's output in memory (worker side). */
class Collector implements Sink {
  parts: Buffer[] = [];
  size = 0;
  push(buf: Buffer, start = 0, end = buf.length): void {
    this.parts.push(start === 0 && end === buf.length ? buf : buf.subarray(start, end));
    this.size += end - start;
  }
}

/**
 * Buffered writes to stdout that wait for `drain` and stop quietly when the
 * reader goes away (EPIPE). Queued bytes are copied into a buffer of its own
 * right away: the scanner reuses its read buffer for the next chunk.
 */
class Output implements Sink {
  private staging = Buffer.allocUnsafe(STAGING);
  private size = 0;
  private full = false;
  closed = false;

  constructor(private readonly stream: NodeJS.WritableStream) {
    stream.on('error', () => {
      this.closed = true;
    });
  }

  // Ranges rather than subarrays: a Buffer view costs more than copying a short line.
  push(buf: Buffer, start = 0, end = buf.length): void {
    const length = end - start;
    if (this.size + length > this.staging.length) {
      this.write();
      if (length > this.staging.length) {
        if (!this.closed) this.full = !this.stream.write(Buffer.from(buf.subarray(start, end))) || this.full;
        return;
      }
    }
    buf.copy(this.staging, this.size, start, end);
    this.size += length;
  }

  private write(): void {
    if (this.size === 0 || this.closed) return;
    this.full = !this.stream.write(this.staging.subarray(0, this.size)) || this.full;
    // The stream may keep the buffer it is handed: start a new one, unless it is free again.
    // process.stdout writes a file, and on Linux a pipe or terminal, synchronously; what it could
    // not write at once it queues, and then writableLength > 0. (Other streams, a PassThrough
    // say, hand the buffer itself on.) Reusing the buffer spares fresh pages: −15 % CPU for
    // `grep INFO` on the bench file (170 MB of output).
    if (this.stream !== process.stdout || process.stdout.writableLength !== 0) this.staging = Buffer.allocUnsafe(STAGING);
    this.size = 0;
  }

  /** Writes what is queued when there is enough of it (or `force`), and waits while the stream is full. */
  async flushIfFull(force = false): Promise<void> {
    if (this.closed) return;
    if (force || this.size >= FLUSH) this.write();
    if (!this.full) return;
    this.full = false;
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
  /**
   * Term patterns without a file prefix gather the selected runs at the front
   * of the buffer being scanned (a native copyWithin over bytes already
   * scanned) and queue them as one range per buffer: one copy a chunk instead
   * of one per line, which cost more than the search itself on a selective term.
   */
  private compactRuns = false;
  private compacted = 0;
  /** Where the native search starts in `literal`: at its rarest byte in the first chunk, see searchFrom. */
  private searchAt = -1;
  private needle: Buffer | undefined;

  constructor(
    private readonly pattern: CompiledFilterPattern,
    private readonly invert: boolean,
    private readonly countOnly: boolean,
    private readonly out: Sink,
  ) {
    const longest = [...pattern.requiredSubstrings].sort((a, b) => b.length - a.length)[0];
    // U+FFFD stands for invalid bytes after decoding; it cannot be searched for as bytes.
    this.literal = !invert && longest && !longest.includes('\uFFFD') ? Buffer.from(longest, 'utf8') : undefined;
    // A UTF-8 decoder never swallows the bytes of a valid character, so a byte hit is a hit in the decoded line.
    this.literalDecides = this.literal !== undefined && pattern.onlySubstrings && pattern.requiredSubstrings.length === 1;
    this.projector = pattern.jsonKeyPaths ? new JsonLineProjector(pattern.jsonKeyPaths, pattern.jsonAnyOf) : undefined;
  }

  start(prefix: string): void {
    this.count = 0;
    this.prefix = prefix ? Buffer.from(prefix) : undefined;
    this.compactRuns = this.prefix === undefined && this.projector === undefined;
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
      if (this.out instanceof Output) {
        await this.out.flushIfFull();
        if (this.out.closed) return;
      }
    }
    if (pendingSize > 0) {
      const buf = Buffer.concat(pending, pendingSize);
      this.lines(buf, buf.length);
    }
  }

  /**
   * Reads the regular file `fd` to its end: each read fills the buffer after
   * the unfinished line carried over from the last one (the buffer doubles
   * when one line outgrows it), whole lines are scanned in place, and what
   * they selected is copied out before the buffer is read into again.
   */
  async scanFile(fd: number, out: Output): Promise<void> {
    let buf = Buffer.allocUnsafe(FILE_READ);
    let carried = 0;
    for (let chunks = 1; ; chunks++) {
      if (carried === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, carried);
        buf = bigger;
      }
      const n = readSync(fd, buf, carried, buf.length - carried, null);
      if (n === 0) break;
      const filled = carried + n;
      const end = buf.lastIndexOf(NEWLINE, filled - 1) + 1;
      if (end > 0) this.lines(buf.subarray(0, end), end);
      carried = filled - end;
      if (carried > 0 && end > 0) buf.copyWithin(0, end, filled);
      if (chunks % YIELD_EVERY === 0) {
        await out.flushIfFull();
        await new Promise((resolve) => setImmediate(resolve));
        if (out.closed) return;
      }
    }
    if (carried > 0) this.lines(buf.subarray(0, carried), carried);
  }

  /** Handles the lines in buf[0, end): each ends with `\n`, except possibly the last. */
  lines(buf: Buffer, end: number): void {
    this.runStart = this.runEnd = 0;
    this.compacted = 0;
    this.projector?.reset(buf.toString('latin1', 0, end), buf);
    this.scanLines(buf, end);
    this.flushRun(buf);
    this.flushCompacted(buf);
  }

  /**
   * Node's native search stops at every occurrence of the needle's first byte
   * (memchr), and "ERROR" starts with a byte that JSON logs are full of
   * ("GET", "DEBUG"). So the needle searched for is the literal from its
   * rarest byte in the first chunk on ("RROR": 20 ms instead of 37 ms on the
   * bench file), and each hit is checked for the bytes before it.
   */
  private searchFrom(buf: Buffer, end: number): void {
    const literal = this.literal!;
    const freq = new Uint32Array(256);
    const sample = Math.min(end, 1 << 14);
    for (let i = 0; i < sample; i++) freq[buf[i]!]!++;
    let at = 0;
    for (let k = 1; k < literal.length - 1; k++) if (freq[literal[k]!]! < freq[literal[at]!]!) at = k;
    this.searchAt = at;
    this.needle = literal.subarray(at);
  }

  /** The first occurrence of `literal` in buf[pos, end) (-1: none), through the rarer needle. */
  private findLiteral(buf: Buffer, pos: number, end: number): number {
    const literal = this.literal!;
    const at = this.searchAt;
    let from = pos + at;
    for (;;) {
      const h = buf.indexOf(this.needle!, from);
      if (h < 0 || h + this.needle!.length > end) return -1;
      let k = 0;
      while (k < at && buf[h - at + k] === literal[k]) k++;
      if (k === at) return h - at;
      from = h + 1;
    }
  }

  private scanLines(buf: Buffer, end: number): void {
    if (this.literal) {
      if (this.searchAt < 0) this.searchFrom(buf, end);
      let pos = 0;
      while (pos < end) {
        const hit = this.findLiteral(buf, pos, end);
        if (hit < 0) return;
        // Back to the line's start by hand: lines are short, and a native call costs more than ~100 steps.
        // Each byte is stepped over at most once (never back past pos).
        let start = hit;
        while (start > pos && buf[start - 1] !== NEWLINE) start--;
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
      this.out.push(buf, start, end);
      this.out.push(LF);
      return;
    }
    if (end >= buf.length || buf[end] !== NEWLINE) {
      this.flushRun(buf);
      this.flushCompacted(buf);
      this.out.push(buf, start, end);
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
    if (this.runEnd > this.runStart) {
      if (!this.compactRuns) this.out.push(buf, this.runStart, this.runEnd);
      else {
        // Only bytes already scanned are overwritten: compacted ≤ runStart.
        if (this.compacted !== this.runStart) buf.copyWithin(this.compacted, this.runStart, this.runEnd);
        this.compacted += this.runEnd - this.runStart;
      }
    }
    this.runStart = this.runEnd = 0;
  }

  private flushCompacted(buf: Buffer): void {
    if (this.compacted > 0) this.out.push(buf, 0, this.compacted);
    this.compacted = 0;
  }

  private matches(buf: Buffer, start: number, end: number): boolean {
    if (this.pattern.kind === 'json') {
      // Only a line starting with { or [ (after blanks) can be JSON: skip decoding the rest.
      let i = start;
      while (i < end && (buf[i] === 32 || buf[i] === 9)) i++;
      if (i === end || (buf[i] !== 123 && buf[i] !== 91)) return false;
      if (this.projector) {
        // Most lines are settled from only the keys the pattern reads; a line
        // that seems to match is validated, or else confirmed the ordinary way.
        if (!this.projector.mayMatch(start, end)) return false;
        const projected = this.projector.project(start, end);
        if (projected !== undefined) {
          if (projected === NOT_JSON || !this.pattern.matches('', projected)) return false;
          // A line the projector validates as JSON needs no confirming: its projection is exact.
          if (this.projector.validated(start, end)) return true;
        }
      }
    }
    return this.pattern.matches(buf.toString('utf8', start, end));
  }
}

// ---- parallel scan of large files -----------------------------------------

/** Files at least this large are split across worker threads. */
const PARALLEL_MIN_BYTES = 32 << 20;
/** Bytes of a segment: the lines that start in [k·SEGMENT, (k+1)·SEGMENT). */
const SEGMENT = 4 << 20;
const WORKERS = 2;
/** Segments handed out ahead of the one being written (bounds memory). */
const AHEAD = 2 * WORKERS;
/** The workers' module: next to this one, also when this one is bundled (dist/cli/grep.bundle.cjs). */
const WORKER = new URL('./grep-worker.js', import.meta.url);

interface ParallelPlan {
  readonly file: string;
  readonly size: number;
}

export interface ScanSpec {
  readonly source: string;
  readonly invert: boolean;
  readonly countOnly: boolean;
  readonly prefix: string;
}

/**
 * Whether to split `file` across workers: a JSON pattern (each line needs
 * JavaScript; term patterns are bound by the native byte search and start-up),
 * a regular file large enough to repay starting workers, and the worker's
 * module compiled to JavaScript next to this one (dist/cli/grep-worker.js;
 * not so when the tests run src/). Undefined: scan it
 * the ordinary way, which also reports any error opening it.
 */
function parallelPlan(pattern: CompiledFilterPattern, file: string): ParallelPlan | undefined {
  if (pattern.kind !== 'json' || !existsSync(WORKER)) return undefined;
  try {
    const fd = openSync(file, 'r');
    try {
      const st = fstatSync(fd);
      return st.isFile() && st.size >= PARALLEL_MIN_BYTES ? { file, size: st.size } : undefined;
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
}

/** The offset of the first line starting at or after `pos` (a line starts at 0 or after a `\n`); EOF when none. */
function lineStartAt(fd: number, pos: number): number {
  if (pos === 0) return 0;
  const buf = Buffer.allocUnsafe(1 << 16);
  let at = pos - 1;
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, at);
    if (n === 0) return at;
    const nl = buf.subarray(0, n).indexOf(NEWLINE);
    if (nl >= 0) return at + nl + 1;
    at += n;
  }
}

/** Fills `buf` from file offset `start`; shorter at the end of the file. */
function readAt(fd: number, start: number, buf: Buffer): Buffer {
  let got = 0;
  while (got < buf.length) {
    const n = readSync(fd, buf, got, buf.length - got, start + got);
    if (n === 0) break;
    got += n;
  }
  return got === buf.length ? buf : buf.subarray(0, got);
}

/**
 * A worker's scans of segments (grep-worker.ts). Segment k of the file is the
 * lines starting in [k·segment, (k+1)·segment), scanned as the ordinary scan
 * would (same LineScanner, whole lines only, so each line is decided on the
 * same bytes); `end` is where the next segment's lines start, and `data` a
 * copy of what it selected. One read buffer serves every segment, and a
 * segment is scanned in pieces of whole lines: with a fresh 4 MiB buffer and
 * a 4 MiB decoded string a segment (garbage V8 frees only in bulk), two
 * workers peaked at 250 MB of RSS on a 2 GB file; 120–165 MB now, with their
 * 8 MB young generation (scanParallel), up to 10 GB.
 */
export class SegmentScan {
  private readonly collector = new Collector();
  private readonly scanner: LineScanner;
  private buf = Buffer.allocUnsafe(0);

  constructor(
    private readonly fd: number,
    private readonly segment: number,
    spec: ScanSpec,
    /** Bytes of a piece scanned at once (whole lines; a longer line is one piece). */
    private readonly piece = FILE_READ,
  ) {
    this.scanner = new LineScanner(compileFilterPattern(spec.source), spec.invert, spec.countOnly, this.collector);
    this.scanner.start(spec.prefix);
  }

  scan(k: number): { count: number; end: number; data: Buffer<ArrayBuffer> | undefined } {
    const start = lineStartAt(this.fd, k * this.segment);
    const until = lineStartAt(this.fd, (k + 1) * this.segment);
    if (until <= start) return { count: 0, end: start, data: undefined };
    if (this.buf.length < until - start) this.buf = Buffer.allocUnsafe(until - start);
    const buf = readAt(this.fd, start, this.buf.subarray(0, until - start));
    this.scanner.count = 0;
    this.collector.parts = [];
    this.collector.size = 0;
    // In pieces of whole lines, as the ordinary scan reads them: each piece is decoded for the
    // projector as one string.
    for (let from = 0; from < buf.length; ) {
      let to = from + this.piece;
      if (to >= buf.length) to = buf.length;
      else {
        const nl = buf.lastIndexOf(NEWLINE, to - 1);
        to = nl >= from ? nl + 1 : buf.indexOf(NEWLINE, to) + 1 || buf.length;
      }
      this.scanner.lines(buf.subarray(from, to), to - from);
      from = to;
    }
    // The parts are views of the read buffer, which the next segment overwrites: copy them out.
    const data = this.collector.size > 0 ? Buffer.concat(this.collector.parts, this.collector.size) : undefined;
    // `until` can lie past the end of the file; what was read is where the next lines start.
    return { count: this.scanner.count, end: start + buf.length, data };
  }
}

interface SegmentResult {
  readonly k: number;
  readonly count: number;
  readonly end: number;
  readonly data: Uint8Array | undefined;
  readonly error?: string;
}

/**
 * Scans segments 0…N−1 (N = ⌈size/SEGMENT⌉, the size when planned) in worker
 * threads, writes their output in file order, then scans whatever follows the
 * last segment (a file that grew) the ordinary way, so the result is the
 * single-threaded scan's.
 */
async function scanParallel(plan: ParallelPlan, spec: ScanSpec, scanner: LineScanner, out: Output): Promise<void> {
  // Loaded here, not at the top: term patterns never need it, and it is ~2.5 ms of start-up.
  const { Worker: WorkerThread } = await import('node:worker_threads');
  const segments = Math.ceil(plan.size / SEGMENT);
  const results = new Map<number, SegmentResult>();
  let written = 0;
  const workers: Worker[] = [];
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  let next = 0;
  const idle: Worker[] = [];
  const assign = (w: Worker, written: number) => {
    if (next < segments && next < written + AHEAD) w.postMessage(next++);
    else idle.push(w);
  };
  for (let i = 0; i < Math.min(WORKERS, segments); i++) {
    const workerData: WorkerSpec = { file: plan.file, segment: SEGMENT, spec };
    // A worker's garbage is per line and dies young; V8's default young generation (up to
    // 3 × 16 MB an isolate) let two workers add ~100 MB of RSS. At 8 MB: 512 MB file, peak RSS
    // 153–175 → 117–121 MB, time the same within the noise.
    const w = new WorkerThread(WORKER, { workerData, resourceLimits: { maxYoungGenerationSizeMb: 8 } });
    w.on('message', (r: SegmentResult) => {
      results.set(r.k, r);
      assign(w, written);
      wake?.();
    });
    w.on('error', (err) => {
      failure ??= err;
      wake?.();
    });
    w.on('exit', (code) => {
      if (written < segments) failure ??= new Error(`a grep worker stopped (exit code ${code})`);
      wake?.();
    });
    workers.push(w);
  }
  let total = 0;
  let end = 0;
  try {
    for (const w of workers) assign(w, 0);
    while (written < segments) {
      const r = results.get(written);
      if (r === undefined) {
        if (failure) throw failure;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      results.delete(written);
      if (r.error !== undefined) throw Object.assign(new Error(r.error), { code: (r as { code?: string }).code });
      written++;
      total += r.count;
      end = r.end;
      if (r.data !== undefined && r.data.length > 0) out.push(Buffer.from(r.data.buffer, r.data.byteOffset, r.data.length));
      await out.flushIfFull();
      if (out.closed) return;
      while (idle.length > 0 && next < segments && next < written + AHEAD) idle.pop()!.postMessage(next++);
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  // Lines after the last segment (the file grew since it was planned).
  await scanner.scan(createReadStream(plan.file, { highWaterMark: CHUNK, start: end }));
  scanner.count += total;
}
