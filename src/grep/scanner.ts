/**
 * The scan engine of `tailwatch grep`: a LineScanner decides the lines of
 * buffers (a regular file read in reused chunks, a stream's chunks, or a
 * worker's segment) and queues the selected ones, byte for byte, on a Sink.
 *
 * Streaming: regular files are read in 256 KiB chunks into one reused buffer
 * (stdin and pipes in a stream's chunks) and only the unfinished last line of
 * a chunk is carried over, so memory stays at a chunk plus the longest line.
 * When every match must contain a literal (plain terms), the chunk is
 * searched for its bytes natively and only lines around hits are decoded.
 * JSON patterns whose selectors start with a key are projected onto those
 * keys (json-line.ts) instead of parsed.
 */
import { readSync } from 'node:fs';
import { NOT_JSON, type CompiledFilterPattern } from '../filter/index.js';
import { JsonLineProjector } from './json-line.js';
import { Output, type Sink } from './output.js';

/** The chunk size of streams grep opens itself (a FIFO, the rest of a file that grew). */
export const CHUNK = 1 << 20;
/**
 * Reads of regular files: small enough that a chunk just copied from the page
 * cache is still in the CPU cache when it is searched (measured on 213 MB:
 * read + search 55 ms at 256 KiB, 64 ms at 1 MiB, 75 ms at 4 MiB).
 */
export const FILE_READ = 256 << 10;
/** After this many chunks a file scan lets the event loop run (a closed stdout is noticed). */
const YIELD_EVERY = 64;
export const NEWLINE = 10;

const LF = Buffer.from('\n');

export class LineScanner {
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
