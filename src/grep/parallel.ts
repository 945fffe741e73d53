/**
 * Large regular files with a pattern that needs each line looked at (JSON
 * patterns) are split into segments of whole lines scanned by worker
 * threads (worker.ts); the output is written in file order and is byte for
 * byte the output of the single-threaded scan.
 */
import { closeSync, createReadStream, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { compileFilterPattern, type CompiledFilterPattern } from '../filter/index.js';
import { Collector, type Output } from './output.js';
import { CHUNK, FILE_READ, LineScanner, NEWLINE } from './scanner.js';
import type { WorkerSpec } from './worker.js';

/** Files at least this large are split across worker threads. */
const PARALLEL_MIN_BYTES = 32 << 20;
/** Bytes of a segment: the lines that start in [k·SEGMENT, (k+1)·SEGMENT). */
const SEGMENT = 4 << 20;
const WORKERS = 2;
/** Segments handed out ahead of the one being written (bounds memory). */
const AHEAD = 2 * WORKERS;
/**
 * The workers' module, dist/grep/worker.js. Named from the parent folder so
 * that it resolves from any folder of dist/: from this module (dist/grep/)
 * and from the bundle it is part of (dist/cli/grep.bundle.cjs).
 */
const WORKER = new URL('../grep/worker.js', import.meta.url);

export interface ParallelPlan {
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
 * module compiled to JavaScript (dist/grep/worker.js; not so when the tests
 * run src/). Undefined: scan it the ordinary way, which also reports any
 * error opening it.
 */
export function parallelPlan(pattern: CompiledFilterPattern, file: string): ParallelPlan | undefined {
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
 * A worker's scans of segments (worker.ts). Segment k of the file is the
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
export async function scanParallel(plan: ParallelPlan, spec: ScanSpec, scanner: LineScanner, out: Output): Promise<void> {
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
