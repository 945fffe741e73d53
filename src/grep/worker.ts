/**
 * A worker thread of `tailwatch grep`'s parallel scan (parallel.ts, scanParallel):
 * scans the segments the main thread names and posts their output. Its own
 * file so that grep's start-up does not load worker_threads.
 */
import { openSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { SegmentScan, type ScanSpec } from './parallel.js';

export interface WorkerSpec {
  readonly file: string;
  readonly segment: number;
  readonly spec: ScanSpec;
}

if (parentPort !== null) {
  const port = parentPort;
  const { file, segment, spec } = workerData as WorkerSpec;
  const segments = new SegmentScan(openSync(file, 'r'), segment, spec);
  port.on('message', (k: number) => {
    try {
      const { count, end, data } = segments.scan(k);
      // A fresh buffer from concat owns its memory: transfer it instead of copying.
      const transfer = data !== undefined && data.byteOffset === 0 && data.buffer.byteLength === data.length ? [data.buffer] : [];
      port.postMessage({ k, count, end, data }, transfer);
    } catch (err) {
      port.postMessage({ k, count: 0, end: 0, data: undefined, error: (err as Error).message, code: (err as NodeJS.ErrnoException).code });
    }
  });
}
