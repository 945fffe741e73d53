/**
 * Where `tailwatch grep` puts the lines it selects: `Output` buffers writes to
 * a stream (stdout), `Collector` gathers a worker's segment in memory.
 */

/** Output gathered before it is written: `flushIfFull` writes from this many bytes on (records.ts: its text likewise). */
export const FLUSH = 1 << 16;
const STAGING = 4 * FLUSH;

/** Where a LineScanner queues selected bytes. */
export interface Sink {
  /** Queues buf[start, end) (the whole buffer by default). */
  push(buf: Buffer, start?: number, end?: number): void;
}

/** Collects a segment's output in memory (worker side). */
export class Collector implements Sink {
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
export class Output implements Sink {
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
