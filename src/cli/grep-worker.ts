/**
 * A worker thread of `tailwatch grep`'s parallel scan (grep.ts, scanParallel):
 * scans the segments the main thread names and posts their output. Its own
 * file so that grep's start-up does not load worker_threads.
 */
import { openSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { scanSegment, SegmentCollector, segmentScanner, type ScanSpec } from './grep.js';

export interface WorkerSpec {
  readonly file: string;
  readonly segment: number;
  readonly spec: ScanSpec;
}

if (parentPort !== null) {
  const port = parentPort;
  const { file, segment, spec } = workerData as WorkerSpec;
  const fd = openSync(file, 'r');
  const collector = new SegmentCollector();
  const scanner = segmentScanner(spec, collector);
  port.on('message', (k: number) => {
    try {
      collector.parts = [];
      collector.size = 0;
      const { count, end } = scanSegment(fd, k, segment, scanner);
      const data = collector.size > 0 ? Buffer.concat(collector.parts, collector.size) : undefined;
      // A fresh buffer from concat owns its memory: transfer it instead of copying.
      const transfer = data !== undefined && data.byteOffset === 0 && data.buffer.byteLength === data.length ? [data.buffer] : [];
      port.postMessage({ k, count, end, data }, transfer);
    } catch (err) {
      port.postMessage({ k, count: 0, end: 0, data: undefined, error: (err as Error).message, code: (err as NodeJS.ErrnoException).code });
    }
  });
}
