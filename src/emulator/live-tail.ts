/**
 * One Live Tail session on the server side: a `sessionStart` frame, then a
 * `sessionUpdate` every interval with the matching events ingested since the
 * last one (at most `maxEventsPerUpdate`, a uniform sample beyond that with
 * `sampled: true`), until the client goes away, the session times out, or a
 * fault ends it. The session is over the moment its response ends or its
 * connection closes.
 */
import type { ServerResponse } from 'node:http';
import { parseJsonMessage, type CompiledFilterPattern } from '../filter/index.js';
import { errorFrame, eventFrame, exceptionFrame, unknownEventFrame, withBadCrc } from './frames.js';
import type { LogGroup, StoredEvent } from './store.js';

/** The service buffers up to 10 updates (5000 events) for a slow client, then drops the oldest. */
const MAX_QUEUED_UPDATES = 10;

/** Field names exactly as the SDK's `LiveTailSessionLogEvent`. */
export interface LiveTailResult {
  readonly logStreamName: string;
  readonly logGroupIdentifier: string;
  readonly message: string;
  readonly timestamp: number;
  readonly ingestionTime: number;
}

/** What the session listens to, resolved and validated by the caller. */
export interface LiveTailTarget {
  readonly region: string;
  /** Log group name → the identifier the client gave for it (echoed in results). */
  readonly groups: ReadonlyMap<string, string>;
  readonly logStreamNames?: readonly string[] | undefined;
  readonly logStreamNamePrefixes?: readonly string[] | undefined;
  readonly pattern?: CompiledFilterPattern | undefined;
}

/** The StartLiveTail input as received (echoed in `sessionStart`). */
export interface LiveTailRequest {
  readonly logGroupIdentifiers: readonly string[];
  readonly logStreamNames?: readonly string[] | undefined;
  readonly logStreamNamePrefixes?: readonly string[] | undefined;
  readonly logEventFilterPattern?: string | undefined;
}

/** `broken`: a fault ended it with an error frame, a truncated or corrupt frame, or a reset mid-frame. */
export type SessionEndReason = 'closed' | 'dropped' | 'timeout' | 'streaming-exception' | 'ended' | 'server-stopped' | 'broken';

/** How a broken update frame reaches the client. */
export type BrokenFrame = 'truncated-frame' | 'bad-crc' | 'reset-mid-frame';

export interface LiveTailSessionInfo {
  readonly sessionId: string;
  readonly requestId: string;
  readonly region: string;
  readonly request: LiveTailRequest;
  readonly startedAt: number;
  readonly updatesSent: number;
  readonly eventsSent: number;
  /** Updates dropped because the client read too slowly (more than 10 waiting). */
  readonly updatesDropped: number;
  readonly stalled: boolean;
}

export interface LiveTailSessionOptions {
  readonly sessionId: string;
  readonly requestId: string;
  readonly request: LiveTailRequest;
  readonly target: LiveTailTarget;
  readonly res: ServerResponse;
  /** 0: no timer, updates only on `flush()`. */
  readonly updateIntervalMs: number;
  readonly timeoutMs: number;
  readonly maxEventsPerUpdate: number;
  readonly clock: () => number;
  readonly random: () => number;
  readonly onFrameWritten?: ((events: readonly LiveTailResult[], at: number, sessionId: string) => void) | undefined;
  /** The `logGroupIdentifier` of a result: default the identifier the request gave (the ARN). */
  readonly resultIdentifier?: ((groupName: string, requested: string) => string) | undefined;
  readonly onEnd: (session: LiveTailSession, reason: SessionEndReason) => void;
}

/** Each event's message parsed once, however many sessions with JSON patterns look at it. */
const jsonCache = new WeakMap<StoredEvent, unknown>();
function parsedJson(e: StoredEvent): unknown {
  if (!jsonCache.has(e)) jsonCache.set(e, parseJsonMessage(e.message));
  return jsonCache.get(e);
}

export class LiveTailSession {
  readonly sessionId: string;
  readonly startedAt: number;
  private readonly o: LiveTailSessionOptions;
  /** Reservoir of matching events since the last update (kept in ingestion order at flush). */
  private pending: StoredEvent[] = [];
  private matchedSinceUpdate = 0;
  private updatesSent = 0;
  private eventsSent = 0;
  private stalled = false;
  private ended = false;
  /** Updates waiting for the socket to drain (a slow client); at most MAX_QUEUED_UPDATES, oldest dropped. */
  private queued: { frame: Buffer; results: LiveTailResult[] }[] = [];
  private updatesDropped = 0;
  private interval: NodeJS.Timeout | undefined;
  private timeout: NodeJS.Timeout | undefined;

  constructor(options: LiveTailSessionOptions) {
    this.o = options;
    this.sessionId = options.sessionId;
    this.startedAt = options.clock();
  }

  get isEnded(): boolean {
    return this.ended;
  }

  get region(): string {
    return this.o.target.region;
  }

  /** Sends the response head and `sessionStart`, starts the update and timeout timers. */
  start(): void {
    const { res, request } = this.o;
    res.once('close', () => this.finish(res.writableFinished ? 'ended' : 'closed'));
    res.writeHead(200, {
      'content-type': 'application/vnd.amazon.eventstream',
      'x-amzn-requestid': this.o.requestId,
    });
    res.flushHeaders();
    const start: Record<string, unknown> = {
      requestId: this.o.requestId,
      sessionId: this.sessionId,
      logGroupIdentifiers: request.logGroupIdentifiers,
    };
    if (request.logStreamNames) start['logStreamNames'] = request.logStreamNames;
    if (request.logStreamNamePrefixes) start['logStreamNamePrefixes'] = request.logStreamNamePrefixes;
    if (request.logEventFilterPattern !== undefined) start['logEventFilterPattern'] = request.logEventFilterPattern;
    res.write(eventFrame('sessionStart', start));
    res.on('drain', () => this.writeQueued());
    if (this.o.updateIntervalMs > 0) this.interval = setInterval(() => this.flush(), this.o.updateIntervalMs);
    this.timeout = setTimeout(() => this.fail('SessionTimeoutException', `Session timed out after ${this.o.timeoutMs} ms.`), this.o.timeoutMs);
  }

  /** Called for every ingested batch; keeps the events this session matches. */
  offer(region: string, group: LogGroup, events: readonly StoredEvent[]): void {
    if (this.ended || region !== this.o.target.region || !this.o.target.groups.has(group.name)) return;
    const { logStreamNames, logStreamNamePrefixes, pattern } = this.o.target;
    const cap = this.o.maxEventsPerUpdate;
    for (const e of events) {
      if (logStreamNames && !logStreamNames.includes(e.logStreamName)) continue;
      if (logStreamNamePrefixes && !logStreamNamePrefixes.some((p) => e.logStreamName.startsWith(p))) continue;
      if (pattern && !pattern.matches(e.message, pattern.kind === 'json' ? parsedJson(e) : undefined)) continue;
      const i = this.matchedSinceUpdate++;
      if (i < cap) {
        this.pending.push(e);
      } else {
        // Reservoir sampling: every matching event of this interval is equally likely to be sent.
        const j = Math.floor(this.o.random() * (i + 1));
        if (j < cap) this.pending[j] = e;
      }
    }
  }

  /** Sends one `sessionUpdate` with what arrived since the last (unless stalled). */
  flush(): void {
    if (this.ended || this.stalled) return;
    this.queued.push(this.takeUpdate());
    if (this.queued.length > MAX_QUEUED_UPDATES) {
      // Like the service: a client that reads too slowly loses the oldest updates.
      this.queued.shift();
      this.updatesDropped++;
    }
    this.writeQueued();
  }

  /** The pending events as one sessionUpdate (and forgets them). */
  private takeUpdate(): { frame: Buffer; results: LiveTailResult[] } {
    const sampled = this.matchedSinceUpdate > this.pending.length;
    const events = this.pending.sort((a, b) => a.seq - b.seq);
    this.pending = [];
    this.matchedSinceUpdate = 0;
    const identifier = this.o.resultIdentifier;
    const results: LiveTailResult[] = events.map((e) => {
      const requested = this.o.target.groups.get(e.logGroupName) ?? e.logGroupName;
      return {
        logStreamName: e.logStreamName,
        logGroupIdentifier: identifier ? identifier(e.logGroupName, requested) : requested,
        message: e.message,
        timestamp: e.timestamp,
        ingestionTime: e.ingestionTime,
      };
    });
    return { frame: eventFrame('sessionUpdate', { sessionMetadata: { sampled }, sessionResults: results }), results };
  }

  private writeQueued(): void {
    const { res } = this.o;
    const hook = this.o.onFrameWritten;
    while (this.queued.length > 0 && !res.writableNeedDrain && !this.ended) {
      const { frame, results } = this.queued.shift()!;
      this.updatesSent++;
      this.eventsSent += results.length;
      res.write(frame, hook ? () => hook(results, this.o.clock(), this.sessionId) : undefined);
    }
  }

  /** Stops (or resumes) sending updates; the connection stays open. Events keep being collected. */
  setStalled(stalled: boolean): void {
    this.stalled = stalled;
  }

  /** Destroys the connection mid-stream: the SDK sees `Error("aborted")` (ECONNRESET). */
  drop(): void {
    if (this.ended) return;
    this.finish('dropped');
    this.o.res.socket?.destroy();
    this.o.res.destroy();
  }

  /** Sends an exception frame and ends the response. */
  fail(type: 'SessionTimeoutException' | 'SessionStreamingException', message: string): void {
    if (this.ended) return;
    this.finish(type === 'SessionTimeoutException' ? 'timeout' : 'streaming-exception');
    this.o.res.end(exceptionFrame(type, message));
  }

  /** Sends a `:message-type: error` frame and ends the response: the SDK throws a plain Error named `code`. */
  failWithErrorFrame(code: string, message: string): void {
    if (this.ended) return;
    this.finish('broken');
    this.o.res.end(errorFrame(code, message));
  }

  /** Sends an event of a type the SDK does not know; the session goes on. */
  sendUnknownEvent(eventType: string): void {
    if (this.ended) return;
    this.o.res.write(unknownEventFrame(eventType, { note: 'an event type this client does not know (injected by the emulator)' }));
  }

  /**
   * Sends the events waiting for the next update in a frame that never arrives whole: cut in the
   * middle and the response ended (`truncated-frame`) or the socket reset (`reset-mid-frame`), or
   * complete but with a bad CRC (`bad-crc`, then the response ends). Those events are lost to the
   * stream, as they would be with the service: only a backfill brings them back.
   */
  breakFrame(kind: BrokenFrame): void {
    if (this.ended) return;
    const { frame } = this.takeUpdate();
    const { res } = this.o;
    this.finish('broken');
    if (kind === 'bad-crc') {
      res.end(withBadCrc(frame));
      return;
    }
    const half = frame.subarray(0, Math.max(1, Math.floor(frame.length / 2)));
    if (kind === 'truncated-frame') {
      res.end(half);
      return;
    }
    // Reset once the half frame is on the wire, so the client has started decoding it.
    res.write(half, () => {
      res.socket?.resetAndDestroy();
      res.destroy();
    });
  }

  /** Ends the response cleanly: the SDK's loop just ends. */
  end(reason: SessionEndReason = 'ended'): void {
    if (this.ended) return;
    this.finish(reason);
    this.o.res.end();
  }

  info(): LiveTailSessionInfo {
    return {
      sessionId: this.sessionId,
      requestId: this.o.requestId,
      region: this.o.target.region,
      request: this.o.request,
      startedAt: this.startedAt,
      updatesSent: this.updatesSent,
      eventsSent: this.eventsSent,
      updatesDropped: this.updatesDropped,
      stalled: this.stalled,
    };
  }

  private finish(reason: SessionEndReason): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.interval);
    clearTimeout(this.timeout);
    this.pending = [];
    this.queued = [];
    this.o.onEnd(this, reason);
  }
}
