/**
 * Opening grep's named inputs, and what it says when one cannot be read.
 */
import { closeSync, createReadStream, fstatSync, openSync } from 'node:fs';
import type { Output } from './output.js';
import { CHUNK, type LineScanner } from './scanner.js';

/** Why an input could not be read, as GNU grep says it. */
export function describeError(err: unknown): string {
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
export async function scanPath(scanner: LineScanner, file: string, out: Output): Promise<void> {
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
