import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Emulator, parseRecordedEvents, startFeed } from '../../src/emulator/index.js';
import { jsonErrorOffset } from '../../src/emulator/json-position.js';
import { UserError } from '../../src/problems.js';

function problemOf(text: string): string {
  try {
    parseRecordedEvents(text, 'events.jsonl');
  } catch (err) {
    if (err instanceof UserError) return err.message;
    throw err;
  }
  throw new Error('expected a UserError');
}

describe('recorded events (SPEC §4)', () => {
  it('reads epoch and ISO timestamps, optional group/stream/ingestionTime, skipping blank lines and CRs', () => {
    const text = [
      '{"timestamp": 1764331200000, "logGroup": "/ecs/payments", "logStream": "api-1", "message": "a"}\r',
      '',
      '   ',
      '{"timestamp": "2025-11-28T12:00:01Z", "message": "b", "ingestionTime": 1764331201500}',
    ].join('\n');
    expect(parseRecordedEvents(text, 'f')).toEqual([
      { timestamp: 1764331200000, logGroup: '/ecs/payments', logStream: 'api-1', message: 'a', ingestionTime: undefined },
      { timestamp: 1764331201000, logGroup: undefined, logStream: undefined, message: 'b', ingestionTime: 1764331201500 },
    ]);
  });

  it('reports the first bad line as file:line:col', () => {
    expect(problemOf('{"timestamp": 1, "message": "ok"}\n\n{"timestamp": 2, "message": "x",}')).toMatch(/^events\.jsonl:3:33: not valid JSON/);
    expect(problemOf('{"timestamp": 1, "message": "ok"}\n{"timestamp": "yesterday", "message": "x"}')).toBe('events.jsonl:2:1: "timestamp" must be epoch milliseconds or an ISO 8601 date-time');
    expect(problemOf('{"timestamp": 1}')).toBe('events.jsonl:1:1: "message" must be a string');
    expect(problemOf('[1, 2]')).toBe('events.jsonl:1:1: a recorded event must be a JSON object');
    expect(problemOf('{"timestamp": 1, "message": "m", "logGroup": 7}')).toBe('events.jsonl:1:1: "logGroup" must be a non-empty string');
  });
});

describe('jsonErrorOffset', () => {
  it('finds no error in valid JSON and an error exactly where JSON.parse fails', () => {
    fc.assert(fc.property(fc.json(), (text) => jsonErrorOffset(text) === -1));
    const valid = (t: string): boolean => {
      try {
        JSON.parse(t);
        return true;
      } catch {
        return false;
      }
    };
    fc.assert(
      fc.property(fc.json(), fc.nat(), fc.constantFrom('', '}', ']', ',', ':', '"', '\\', 'x', '1', ' '), (text, at, junk) => {
        const i = at % (text.length + 1);
        const mutated = text.slice(0, i) + junk + text.slice(i + (junk === '' ? 1 : 0));
        const offset = jsonErrorOffset(mutated);
        return valid(mutated) ? offset === -1 : offset >= 0 && offset <= mutated.length;
      }),
      { numRuns: 2000 },
    );
  });

  it('points at the offending character and survives hostile nesting', () => {
    expect(jsonErrorOffset('{"a": 1,, "b": 2}')).toBe(8);
    expect(jsonErrorOffset('{"a": tru}')).toBe(6);
    expect(jsonErrorOffset('"unterminated')).toBe(13);
    expect(jsonErrorOffset('['.repeat(200_000))).toBe(200_000);
  });
});

describe('the recorded-event feed', () => {
  const recorded = [
    { timestamp: 1_000_000, logGroup: '/g', logStream: 's', message: 'first' },
    { timestamp: 1_000_040, message: 'no group' },
    { timestamp: 1_000_020, logGroup: '/g', logStream: 's', message: 'out of order in the file' },
  ];
  const NOW = Date.UTC(2026, 10, 28, 12);

  function stored(emulator: Emulator, group: string): [string, number][] {
    return [...(emulator.store.group('us-east-1', group)?.streams.values() ?? [])].flatMap((s) => s.events.map((e): [string, number] => [e.message, e.timestamp]));
  }

  it('ingests in event time with timestamps re-based to the start, gaps kept, defaults for missing group and stream', async () => {
    const emulator = new Emulator({ clock: () => NOW });
    const feed = startFeed(emulator, recorded, { speed: 100, clock: () => NOW });
    expect(feed.total).toBe(3);
    await feed.finished;
    expect(feed.done).toBe(3);
    expect(stored(emulator, '/g')).toEqual([
      ['first', NOW],
      ['out of order in the file', NOW + 20],
    ]);
    expect(emulator.store.group('us-east-1', '/tailwatch/recorded')?.streams.get('recorded')?.events.map((e) => [e.message, e.timestamp])).toEqual([['no group', NOW + 40]]);
  });

  it('keeps the recorded timestamps when asked', async () => {
    const emulator = new Emulator({ clock: () => NOW });
    await startFeed(emulator, recorded, { speed: 100, rebase: false }).finished;
    expect(stored(emulator, '/g')).toEqual([
      ['first', 1_000_000],
      ['out of order in the file', 1_000_020],
    ]);
  });

  it('stops feeding when stopped', async () => {
    const emulator = new Emulator({ clock: () => NOW });
    const feed = startFeed(emulator, [...recorded, { timestamp: 1_000_000 + 3_600_000, message: 'an hour later' }]);
    await new Promise((r) => setImmediate(r));
    feed.stop();
    await feed.finished;
    expect(feed.done).toBe(1);
  });
});
