/**
 * Recorded events (what `replay`, rule tests and the emulator read): JSON lines
 * `{"timestamp": <epoch ms> | "<ISO 8601>", "logGroup"?, "logStream"?, "message", "ingestionTime"?}`.
 * Blank lines are skipped; the first bad line is reported as `file:line:col`.
 */
import { UserError } from '../problems.js';
import { jsonErrorOffset } from './json-position.js';

export interface RecordedEvent {
  readonly timestamp: number;
  readonly logGroup?: string | undefined;
  readonly logStream?: string | undefined;
  readonly message: string;
  readonly ingestionTime?: number | undefined;
}

export function parseRecordedEvents(text: string, file: string): RecordedEvent[] {
  const events: RecordedEvent[] = [];
  let lineNo = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    lineNo++;
    const line = text.slice(start, end).replace(/\r$/, '');
    start = end + 1;
    if (line.trim() === '') continue;
    events.push(parseLine(line, file, lineNo));
  }
  return events;
}

function parseLine(line: string, file: string, line1: number): RecordedEvent {
  const fail = (message: string, col = 1): never => {
    throw new UserError({ file, line: line1, col, message, severity: 'error', code: 'recorded-event' });
  };
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    const offset = jsonErrorOffset(line);
    fail(`not valid JSON${err instanceof SyntaxError ? `: ${err.message}` : ''}`, offset >= 0 ? offset + 1 : 1);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('a recorded event must be a JSON object');
  const o = value as Record<string, unknown>;
  const ts = o['timestamp'];
  let timestamp: number;
  if (typeof ts === 'number' && Number.isFinite(ts)) timestamp = Math.trunc(ts);
  else if (typeof ts === 'string' && !Number.isNaN(Date.parse(ts))) timestamp = Date.parse(ts);
  else return fail('"timestamp" must be epoch milliseconds or an ISO 8601 date-time');
  if (typeof o['message'] !== 'string') return fail('"message" must be a string');
  for (const k of ['logGroup', 'logStream'] as const) {
    if (o[k] !== undefined && (typeof o[k] !== 'string' || o[k] === '')) fail(`"${k}" must be a non-empty string`);
  }
  if (o['ingestionTime'] !== undefined && typeof o['ingestionTime'] !== 'number') fail('"ingestionTime" must be epoch milliseconds');
  return {
    timestamp,
    message: o['message'],
    logGroup: o['logGroup'] as string | undefined,
    logStream: o['logStream'] as string | undefined,
    ingestionTime: o['ingestionTime'] as number | undefined,
  };
}
