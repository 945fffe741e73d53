// replayFile's line splitting (lines searched inside each 1 MiB read chunk,
// only the line spanning chunks joined) against the plain definition: the
// whole file decoded at once, split at '\n', each line handled on its own.
// Lines of every size cross chunk boundaries, with multi-byte UTF-8, CRLF,
// blank and whitespace-only lines, a missing final newline, and bad lines
// (the first bad line's error must be the same, with the same line number).
// Events of one millisecond reach the engine in eventKey order (SameTimeOrder),
// by both definitions.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEventLine, replayFile } from '../../src/cli/replay.js';
import { SameTimeOrder, type Engine, type LogEvent } from '../../src/engine/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'tw-replay-lines-'));

/** What replayFile hands the engine, by the plain definition (or the error it stops with). */
function reference(content: string | Buffer): { events: LogEvent[]; error: string | undefined } {
  const text = typeof content === 'string' ? content : content.toString('utf8');
  const events: LogEvent[] = [];
  const order = new SameTimeOrder();
  const parts = text.split('\n');
  if (parts[parts.length - 1] === '') parts.pop();
  for (let i = 0; i < parts.length; i++) {
    let line = parts[i]!;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.trim() === '') continue;
    try {
      events.push(...order.push(parseEventLine(line, 'f.jsonl', i + 1)));
    } catch (err) {
      return { events, error: (err as Error).message };
    }
  }
  events.push(...order.flush());
  return { events, error: undefined };
}

async function actual(text: string | Buffer): Promise<{ events: LogEvent[]; error: string | undefined }> {
  const file = path.join(dir, 'events.jsonl');
  writeFileSync(file, text);
  const events: LogEvent[] = [];
  const engine = { ingest: (e: LogEvent) => (events.push(e), []), clock: Number.NEGATIVE_INFINITY, advanceTo: () => [] } as unknown as Engine;
  try {
    const stats = await replayFile(engine, file, 'f.jsonl', () => undefined);
    expect(stats.events).toBe(events.length);
    return { events, error: undefined };
  } catch (err) {
    return { events, error: (err as Error).message };
  }
}

const chars = fc.constantFrom('a', ' ', 'é', '€', '😀', '\\"', '\\n', '\\u00e9', '\t', 'x');
const message = fc.oneof(
  { weight: 6, arbitrary: fc.array(chars, { maxLength: 40 }).map((a) => a.join('')) },
  // a message from a few bytes to 2.5 MiB, so lines span one, two or three chunks
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1, max: 2_600_000 }), chars).map(([n, c]) => c.repeat(Math.ceil(n / c.length))) },
);
const line = fc.oneof(
  { weight: 10, arbitrary: fc.tuple(fc.nat(), message).map(([ts, m]) => `{"timestamp":${ts},"logGroup":"/g","logStream":"s","message":"${m}"}`) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '\t ', '\r', '{"timestamp":1,"message":"crlf"}\r', '{"timestamp":"x","message":"bad"}', '{"timestamp":1,', '[1]') },
);

describe('replayFile line splitting', () => {
  it('hands the engine exactly the events of the plain split, across chunk boundaries', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 30 }), fc.boolean(), async (ls, finalNewline) => {
        const text = ls.join('\n') + (finalNewline ? '\n' : '');
        expect(await actual(text)).toEqual(reference(text));
      }),
      { numRuns: 60 },
    );
  });

  it('joins a line split exactly at a chunk boundary and inside a multi-byte character', async () => {
    for (const pad of [1 << 20, (1 << 20) - 1, (1 << 20) - 2, (1 << 20) + 1]) {
      const head = `{"timestamp":1,"message":"`;
      const first = head + 'a'.repeat(Math.max(0, pad - head.length - 3)) + '"}';
      const text = `${first}\n{"timestamp":2,"message":"€😀"}\n\n{"timestamp":3,"message":"z"}`;
      writeFileSync(path.join(dir, 'probe.jsonl'), text);
      expect(readFileSync(path.join(dir, 'probe.jsonl'), 'utf8')).toBe(text);
      expect(await actual(text)).toEqual(reference(text));
    }
  });

  it('decodes invalid UTF-8 as the whole file decoded at once would, wherever a chunk ends', async () => {
    const bad = [[0xff], [0xe2, 0x82], [0xf0, 0x9f], [0xf0, 0x9f, 0x98], [0xc3], [0xed, 0xa0, 0x80], [0x80, 0x80]];
    for (const bytes of bad) {
      for (const shift of [-3, -2, -1, 0, 1, 2]) {
        const head = Buffer.from('{"timestamp":1,"message":"');
        const fill = Buffer.alloc(Math.max(0, (1 << 20) + shift - head.length), 0x61);
        const content = Buffer.concat([head, fill, Buffer.from(bytes), Buffer.from('é"}\n{"timestamp":2,"message":"'), Buffer.from(bytes), Buffer.from('"}\n'), Buffer.from(bytes)]);
        expect(await actual(content)).toEqual(reference(content));
      }
    }
  });

  it('splits many short lines of every length the same way (several decoded runs a chunk)', async () => {
    const lines: string[] = [];
    let seed = 7;
    for (let i = 0; i < 40_000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const m = 'x'.repeat(seed % 300) + (i % 11 === 0 ? 'é€' : '') + (i % 13 === 0 ? '\\"q\\"' : '');
      lines.push(i % 17 === 0 ? '' : `{"timestamp":${i},"logGroup":"/g","logStream":"s","message":"${m}"}${i % 19 === 0 ? '\r' : ''}`);
    }
    const text = lines.join('\n');
    expect(await actual(text)).toEqual(reference(text));
  });
});
