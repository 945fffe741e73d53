/**
 * The request/response operations of the AWS JSON 1.1 API (everything but
 * StartLiveTail's streaming): validation as CloudWatch Logs does it, then the
 * store. Each takes the parsed body and returns the response body.
 */
import { compileFilterPattern, FilterPatternError, type CompiledFilterPattern } from '../filter/index.js';
import { formatLogGroupArn, isArnLike, LOG_GROUP_NAME, parseLogGroupArn } from '../aws/index.js';
import { AwsError, groupNotFound, invalidParameter, streamNotFound } from './errors.js';
import { optInteger, optString, optStringList, reqString, type Input } from './input.js';

export type OperationInput = Input;
import type { LogGroup, LogStore, NewEvent, StoredEvent } from './store.js';

export interface OperationContext {
  readonly store: LogStore;
  /** The region the request was signed for (else the emulator's default). */
  readonly region: string;
  readonly accountId: string;
  readonly partition: string;
  /** Clock reading for this request (ingestion and creation times, age checks). */
  readonly now: number;
  /** Upper bound of events per FilterLogEvents page (AWS: 10,000 and 1 MB). */
  readonly maxFilterPageSize: number;
  /** Stored events a FilterLogEvents call looks at (matching or not) before it returns a page and a token. */
  readonly maxFilterScan: number;
  /** FilterLogEvents sees an event only this long after its ingestion (0: at once). */
  readonly ingestionDelayMs?: number | undefined;
}

const DAY = 86_400_000;
const MAX_BATCH_BYTES = 1_048_576;
const EVENT_OVERHEAD_BYTES = 26;

export function groupArn(ctx: OperationContext, name: string): string {
  return formatLogGroupArn({ partition: ctx.partition, region: ctx.region, account: ctx.accountId, name });
}

function validGroupName(name: string): string {
  if (!LOG_GROUP_NAME.test(name)) throw invalidParameter(`1 validation error detected: Value '${name}' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+`);
  return name;
}

function validStreamName(name: string): string {
  if (name.length > 512 || /[:*]/.test(name)) throw invalidParameter(`1 validation error detected: Value '${name}' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*`);
  return name;
}

/** A log group by name or ARN (an ARN of another account or region is not found here). */
export function resolveGroup(ctx: OperationContext, identifier: string): LogGroup {
  if (isArnLike(identifier)) {
    if (identifier.endsWith('*')) throw invalidParameter(`Log group ARN must not end with '*': ${identifier}`);
    const arn = parseLogGroupArn(identifier);
    if (!arn) throw invalidParameter(`Invalid log group ARN: ${identifier}`);
    if (arn.account !== ctx.accountId || arn.region !== ctx.region) throw groupNotFound();
    return ctx.store.group(ctx.region, arn.name) ?? throwError(groupNotFound());
  }
  return ctx.store.group(ctx.region, identifier) ?? throwError(groupNotFound());
}

export function compilePattern(source: string | undefined, field: string): CompiledFilterPattern | undefined {
  if (source === undefined || source.trim() === '') return undefined;
  try {
    return compileFilterPattern(source);
  } catch (err) {
    if (err instanceof FilterPatternError) throw invalidParameter(`Invalid ${field} at column ${err.column}: ${err.message}`);
    throw err;
  }
}

export function createLogGroup(ctx: OperationContext, input: Input): object {
  const name = validGroupName(reqString(input, 'logGroupName', 512));
  if (!ctx.store.createGroup(ctx.region, name, ctx.now)) throw new AwsError('ResourceAlreadyExistsException', 'The specified log group already exists');
  return {};
}

export function createLogStream(ctx: OperationContext, input: Input): object {
  const group = ctx.store.group(ctx.region, reqString(input, 'logGroupName', 512)) ?? throwError(groupNotFound());
  const name = validStreamName(reqString(input, 'logStreamName', 512));
  if (!ctx.store.createStream(group, name, ctx.now)) throw new AwsError('ResourceAlreadyExistsException', 'The specified log stream already exists');
  return {};
}

export function putLogEvents(ctx: OperationContext, input: Input): object {
  const group = ctx.store.group(ctx.region, reqString(input, 'logGroupName', 512)) ?? throwError(groupNotFound());
  const stream = group.streams.get(reqString(input, 'logStreamName', 512)) ?? throwError(streamNotFound());
  const raw = input['logEvents'];
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > 10_000) throw invalidParameter('logEvents must have between 1 and 10000 items.');
  const events: NewEvent[] = raw.map((e: unknown, i) => {
    const ev = (e ?? {}) as Record<string, unknown>;
    if (typeof ev['timestamp'] !== 'number' || !Number.isInteger(ev['timestamp'])) throw invalidParameter(`logEvents.${i + 1}.timestamp must be an integer.`);
    if (typeof ev['message'] !== 'string' || ev['message'].length === 0) throw invalidParameter(`logEvents.${i + 1}.message must be a non-empty string.`);
    return { timestamp: ev['timestamp'], message: ev['message'] };
  });
  let bytes = 0;
  for (const [i, e] of events.entries()) {
    bytes += Buffer.byteLength(e.message) + EVENT_OVERHEAD_BYTES;
    if (i > 0 && e.timestamp < events[i - 1]!.timestamp) throw invalidParameter('Log events in a single PutLogEvents request must be in chronological order.');
  }
  if (bytes > MAX_BATCH_BYTES) throw invalidParameter(`Log event batch is ${bytes} bytes; the maximum is ${MAX_BATCH_BYTES}.`);
  if (events[events.length - 1]!.timestamp - events[0]!.timestamp > DAY) {
    throw invalidParameter('The batch of log events in a single PutLogEvents request cannot span more than 24 hours.');
  }
  // Like the service: events older than 14 days or more than 2 hours ahead are rejected, the rest stored.
  const tooOldEnd = lastIndex(events, (e) => e.timestamp < ctx.now - 14 * DAY);
  const tooNewStart = events.findIndex((e) => e.timestamp > ctx.now + 2 * 3_600_000);
  const accepted = events.slice(tooOldEnd + 1, tooNewStart === -1 ? events.length : tooNewStart);
  ctx.store.ingest(ctx.region, group, stream, accepted, ctx.now);
  const rejected: Record<string, number> = {};
  if (tooOldEnd >= 0) rejected['tooOldLogEventEndIndex'] = tooOldEnd;
  if (tooNewStart >= 0) rejected['tooNewLogEventStartIndex'] = tooNewStart;
  return Object.keys(rejected).length > 0 ? { rejectedLogEventsInfo: rejected } : {};
}

export function describeLogGroups(ctx: OperationContext, input: Input): object {
  const prefix = optString(input, 'logGroupNamePrefix', 512);
  const pattern = optString(input, 'logGroupNamePattern', 512);
  if (prefix !== undefined && pattern !== undefined) throw invalidParameter('logGroupNamePrefix and logGroupNamePattern are mutually exclusive.');
  const limit = optInteger(input, 'limit', { min: 1, max: 50 }) ?? 50;
  const after = decodeToken<string>(optString(input, 'nextToken', 4096), (v): v is string => typeof v === 'string');
  const names = [...ctx.store.groups(ctx.region).keys()]
    .filter((n) => (prefix === undefined || n.startsWith(prefix)) && (pattern === undefined || n.toLowerCase().includes(pattern.toLowerCase())))
    .filter((n) => after === undefined || n > after)
    .sort();
  const page = names.slice(0, limit);
  const logGroups = page.map((name) => {
    const g = ctx.store.group(ctx.region, name)!;
    const arn = groupArn(ctx, name);
    return { logGroupName: name, creationTime: g.creationTime, metricFilterCount: 0, arn: `${arn}:*`, storedBytes: g.storedBytes, logGroupClass: 'STANDARD', logGroupArn: arn };
  });
  return names.length > limit ? { logGroups, nextToken: encodeToken(page[page.length - 1]) } : { logGroups };
}

export function filterLogEvents(ctx: OperationContext, input: Input): object {
  const byName = optString(input, 'logGroupName', 512);
  const byIdentifier = optString(input, 'logGroupIdentifier', 2048);
  if ((byName === undefined) === (byIdentifier === undefined)) throw invalidParameter('Exactly one of logGroupName and logGroupIdentifier must be specified.');
  const group = byName !== undefined ? ctx.store.group(ctx.region, byName) ?? throwError(groupNotFound()) : resolveGroup(ctx, byIdentifier!);
  const streamNames = optStringList(input, 'logStreamNames', { min: 1, max: 100 });
  const streamPrefix = optString(input, 'logStreamNamePrefix', 512);
  if (streamNames && streamPrefix !== undefined) throw invalidParameter('logStreamNames and logStreamNamePrefix are mutually exclusive.');
  const startTime = optInteger(input, 'startTime', { min: 0, max: Number.MAX_SAFE_INTEGER });
  const endTime = optInteger(input, 'endTime', { min: 0, max: Number.MAX_SAFE_INTEGER });
  const pattern = compilePattern(optString(input, 'filterPattern', 1024), 'filterPattern');
  const limit = Math.min(optInteger(input, 'limit', { min: 1, max: 10_000 }) ?? 10_000, ctx.maxFilterPageSize);
  const after = decodeToken<[number, number]>(optString(input, 'nextToken', 4096), isCursor);

  const streams = [...group.streams.values()].filter((s) => (streamNames ? streamNames.includes(s.name) : streamPrefix === undefined || s.name.startsWith(streamPrefix)));
  if (streamNames && streams.length < new Set(streamNames).size) throw streamNotFound();
  const candidates: StoredEvent[] = [];
  // Not searchable yet: ingested less than the ingestion delay ago.
  const visibleUntil = ctx.now - (ctx.ingestionDelayMs ?? 0);
  for (const s of streams) {
    for (const e of s.events) {
      if (e.ingestionTime > visibleUntil) continue;
      if (startTime !== undefined && e.timestamp < startTime) continue;
      if (endTime !== undefined && e.timestamp > endTime) continue;
      if (after && compareKey(e, after) <= 0) continue;
      candidates.push(e);
    }
  }
  candidates.sort((a, b) => a.timestamp - b.timestamp || a.seq - b.seq);
  const events: object[] = [];
  let bytes = 0;
  let last: StoredEvent | undefined;
  let more = false;
  let scanned = 0;
  for (const e of candidates) {
    // Like the service, a call scans a bounded stretch of the log: a page may be partial, or
    // empty, and still carry a nextToken.
    if (events.length >= limit || bytes >= MAX_BATCH_BYTES || scanned >= ctx.maxFilterScan) {
      more = true;
      break;
    }
    scanned++;
    last = e;
    if (pattern && !pattern.matches(e.message)) continue;
    bytes += Buffer.byteLength(e.message) + EVENT_OVERHEAD_BYTES;
    events.push({ logStreamName: e.logStreamName, timestamp: e.timestamp, message: e.message, ingestionTime: e.ingestionTime, eventId: e.eventId });
  }
  // The service has answered an empty searchedLogStreams since May 2020 (the API reference says
  // so): completeness is the nextToken's absence, nothing else.
  const searchedLogStreams: never[] = [];
  return more && last ? { events, searchedLogStreams, nextToken: encodeToken([last.timestamp, last.seq]) } : { events, searchedLogStreams };
}

function compareKey(e: StoredEvent, key: readonly [number, number]): number {
  return e.timestamp - key[0] || e.seq - key[1];
}

function isCursor(v: unknown): v is [number, number] {
  return Array.isArray(v) && v.length === 2 && v.every((n) => typeof n === 'number');
}

function encodeToken(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function decodeToken<T>(token: string | undefined, valid: (v: unknown) => v is T): T | undefined {
  if (token === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (valid(v)) return v;
  } catch {
    // fall through
  }
  throw invalidParameter('The specified nextToken is invalid.');
}

function lastIndex<T>(items: readonly T[], test: (t: T) => boolean): number {
  let last = -1;
  for (const [i, t] of items.entries()) if (test(t)) last = i;
  return last;
}

function throwError(err: Error): never {
  throw err;
}
