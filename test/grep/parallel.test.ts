// The parallel scan of `tailwatch grep` (large files, JSON patterns: segments
// of whole lines scanned by worker threads, written in file order) against the
// single-threaded scan. In-process (vitest runs the TypeScript source) grep
// never starts workers, so runCli is the single-threaded reference:
//  - segments: for any file and any segment size, the segments' outputs and
//    counts put together are exactly the single-threaded output and count;
//  - workers: bin/tailwatch.js (dist/, where workers run) on a file above the
//    threshold prints byte for byte what the in-process scan prints.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SegmentScan } from '../../src/grep/parallel.js';
import { runCli } from '../kit/cli.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'tailwatch-grep-par-'));

const PATTERNS = ['{ $.status >= 500 }', '{ $.a = "x" || $.b.c = 1 }', '{ $.a NOT EXISTS }'];

const lineArb = fc.oneof(
  fc.constantFrom('{"status":503}', '{"status":200,"a":"x"}', '{"b":{"c":1}}', '{"a":"é€"}', '{"status":500}\r', '', ' ', 'not json', '{"status":', '[1]', '{"a":"x\\"y"}', '{"status":"500"}'),
  fc.dictionary(fc.constantFrom('a', 'b', 'status', 'z'), fc.jsonValue({ maxDepth: 2 })).map((o) => JSON.stringify(o)),
);
const fileArb = fc.tuple(fc.array(lineArb, { maxLength: 25 }), fc.constantFrom('\n', ''), fc.option(fc.uint8Array({ minLength: 1, maxLength: 3 }), { nil: undefined })).map(([lines, last, junk]) =>
  Buffer.concat([Buffer.from(lines.join('\n') + last), junk ? Buffer.concat([Buffer.from('\n{"a":"'), Buffer.from(junk), Buffer.from('"}')]) : Buffer.alloc(0)]),
);

function segmented(file: string, size: number, pattern: string, flags: { invert: boolean; countOnly: boolean; prefix: string }, segment: number, piece: number): { out: string; count: number } {
  const fd = openSync(file, 'r');
  const segments = new SegmentScan(fd, segment, { source: pattern, ...flags }, piece);
  const parts: Buffer[] = [];
  let count = 0;
  let end = 0;
  try {
    for (let k = 0; k < Math.ceil(size / segment); k++) {
      const r = segments.scan(k);
      expect(r.end).toBeGreaterThanOrEqual(end);
      end = r.end;
      count += r.count;
      if (r.data) parts.push(r.data);
    }
  } finally {
    closeSync(fd);
  }
  expect(end).toBe(size);
  return { out: Buffer.concat(parts).toString('utf8'), count };
}

describe('tailwatch grep in parallel segments', () => {
  it('puts segments of any size, scanned in pieces of any size, together into exactly the single-threaded output and count', async () => {
    const file = path.join(dir, 'seg.log');
    await fc.assert(
      fc.asyncProperty(fileArb, fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 60 }), fc.constantFrom(...PATTERNS), fc.boolean(), fc.boolean(), async (bytes, segment, piece, pattern, invert, two) => {
        writeFileSync(file, bytes);
        const flags = [...(invert ? ['-v'] : [])];
        const files = two ? [file, file] : [file];
        const plain = await runCli(['grep', ...flags, pattern, ...files]);
        const count = await runCli(['grep', '-c', ...flags, pattern, file]);
        const prefix = two ? `${file}:` : '';
        const seg = segmented(file, bytes.length, pattern, { invert, countOnly: false, prefix }, segment, piece);
        expect(two ? seg.out + seg.out : seg.out).toBe(plain.stdout);
        expect(`${seg.count}\n`).toBe(count.stdout);
        expect(segmented(file, bytes.length, pattern, { invert, countOnly: true, prefix: '' }, segment, piece)).toEqual({ out: '', count: seg.count });
      }),
      { numRuns: 300 },
    );
  });

  it('prints from worker threads byte for byte what the single-threaded scan prints (a 40 MB file)', async () => {
    const parts: string[] = [];
    for (let i = 0; i < 260_000; i++) {
      parts.push(
        i % 97 === 0
          ? `{"status":5${i % 10}0,"a":"x","pad":"${'é'.repeat(i % 13)}"}\r`
          : i % 89 === 0
            ? 'plain text line'
            : `{"status":${200 + (i % 7)},"a":"${i % 5 === 0 ? 'x' : 'y'}","b":{"c":${i % 3}},"pad":"${'p'.repeat(100 + (i % 50))}"}`,
      );
    }
    parts.push('x'.repeat(5 << 20)); // a line longer than a segment
    parts.push('{"status":503,"a":"last line without a newline"}');
    const file = path.join(dir, 'big.log');
    writeFileSync(file, parts.join('\n'));
    for (const args of [['{ $.status >= 500 }'], ['-v', '{ $.status >= 500 }'], ['-c', '{ $.a = "x" || $.b.c = 1 }']]) {
      const child = spawnSync(process.execPath, [path.join(ROOT, 'bin/tailwatch.js'), 'grep', ...args, file], { maxBuffer: 1 << 30, timeout: 60_000 });
      const reference = await runCli(['grep', ...args, file]);
      expect(child.status).toBe(reference.code);
      expect(child.stderr.toString()).toBe('');
      expect(child.stdout.toString('utf8') === reference.stdout).toBe(true);
    }
  }, 120_000);
});
