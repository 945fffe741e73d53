/**
 * The events of a gap, with FilterLogEvents: same groups, stream names or
 * prefixes (one call per prefix: the API takes one) and pattern as the
 * session, paged with nextToken, returned in timestamp order.
 */
import { FilterLogEventsCommand, type CloudWatchLogsClient, type FilterLogEventsCommandInput } from '@aws-sdk/client-cloudwatch-logs';
import type { LogEvent } from '../model/event.js';
import { groupNameOf, type SessionParams } from './spec.js';

export interface BackfillRange {
  readonly startTime: number;
  readonly endTime: number;
}

export interface BackfillResult {
  readonly events: LogEvent[];
  /** True when `maxEvents` stopped it early. */
  readonly truncated: boolean;
}

export interface FetchOptions {
  readonly signal?: AbortSignal | undefined;
  readonly maxEvents?: number | undefined;
  /** Awaited before every FilterLogEvents call (the account's budget); false stops the fetch. */
  readonly beforeCall?: (() => Promise<boolean>) | undefined;
}

/** Thrown when `beforeCall` refused a call (the session is stopping). */
export class FetchCancelled extends Error {}

export async function fetchGap(client: CloudWatchLogsClient, params: SessionParams, range: BackfillRange, opts: FetchOptions = {}): Promise<BackfillResult> {
  const max = opts.maxEvents ?? 100_000;
  const events: LogEvent[] = [];
  const queries: FilterLogEventsCommandInput[] = [];
  for (const id of params.logGroupIdentifiers) {
    const base: FilterLogEventsCommandInput = { logGroupIdentifier: id, startTime: range.startTime, endTime: range.endTime };
    if (params.logEventFilterPattern !== undefined) base.filterPattern = params.logEventFilterPattern;
    if (params.logStreamNames?.length) queries.push({ ...base, logStreamNames: [...params.logStreamNames] });
    else if (params.logStreamNamePrefixes?.length) for (const p of params.logStreamNamePrefixes) queries.push({ ...base, logStreamNamePrefix: p });
    else queries.push(base);
  }
  let truncated = false;
  // Overlapping prefixes (`api-`, `api-1`) return an event twice: eventId tells them apart.
  const ids = new Set<string>();
  outer: for (const q of queries) {
    const group = groupNameOf(q.logGroupIdentifier!);
    let nextToken: string | undefined;
    do {
      if (opts.beforeCall && !(await opts.beforeCall())) throw new FetchCancelled('FilterLogEvents cancelled');
      const res = await client.send(new FilterLogEventsCommand({ ...q, nextToken }), opts.signal ? { abortSignal: opts.signal } : {});
      for (const e of res.events ?? []) {
        if (e.eventId !== undefined) {
          if (ids.has(e.eventId)) continue;
          ids.add(e.eventId);
        }
        if (events.length >= max) {
          truncated = true;
          break outer;
        }
        events.push({ timestamp: e.timestamp ?? 0, logGroup: group, logStream: e.logStreamName ?? '', message: e.message ?? '', ingestionTime: e.ingestionTime });
      }
      nextToken = res.nextToken;
    } while (nextToken);
  }
  // Stable: each query's own order (timestamp, ingestion) is kept among equal timestamps.
  events.sort((a, b) => a.timestamp - b.timestamp);
  return { events, truncated };
}
