/**
 * The emulator's log data: per region, log groups holding log streams holding
 * events in ingestion order. Every ingested batch is announced to the
 * listeners (the Live Tail sessions). No I/O, no clock of its own: callers
 * pass the ingestion time.
 */
export interface StoredEvent {
  /** Unique, increasing in ingestion order (FilterLogEvents' `eventId`). */
  readonly eventId: string;
  readonly seq: number;
  readonly logGroupName: string;
  readonly logStreamName: string;
  readonly timestamp: number;
  readonly message: string;
  readonly ingestionTime: number;
}

export interface LogStream {
  readonly name: string;
  readonly creationTime: number;
  readonly events: StoredEvent[];
}

export interface LogGroup {
  readonly name: string;
  readonly creationTime: number;
  readonly streams: Map<string, LogStream>;
  storedBytes: number;
}

export interface NewEvent {
  readonly timestamp: number;
  readonly message: string;
}

export type IngestListener = (region: string, group: LogGroup, events: readonly StoredEvent[]) => void;

export class LogStore {
  private readonly regions = new Map<string, Map<string, LogGroup>>();
  private readonly listeners = new Set<IngestListener>();
  private seq = 0;

  groups(region: string): Map<string, LogGroup> {
    let groups = this.regions.get(region);
    if (!groups) {
      groups = new Map();
      this.regions.set(region, groups);
    }
    return groups;
  }

  group(region: string, name: string): LogGroup | undefined {
    return this.regions.get(region)?.get(name);
  }

  /** Creates the group (returns false when it exists already). */
  createGroup(region: string, name: string, now: number): boolean {
    const groups = this.groups(region);
    if (groups.has(name)) return false;
    groups.set(name, { name, creationTime: now, streams: new Map(), storedBytes: 0 });
    return true;
  }

  /** Creates the stream in an existing group (returns false when it exists already). */
  createStream(group: LogGroup, name: string, now: number): boolean {
    if (group.streams.has(name)) return false;
    group.streams.set(name, { name, creationTime: now, events: [] });
    return true;
  }

  /** Stores the events and announces them to every listener, in the order given. */
  ingest(region: string, group: LogGroup, stream: LogStream, events: readonly NewEvent[], ingestionTime: number): StoredEvent[] {
    const stored: StoredEvent[] = [];
    for (const e of events) {
      const seq = ++this.seq;
      const event: StoredEvent = {
        eventId: String(seq).padStart(20, '0'),
        seq,
        logGroupName: group.name,
        logStreamName: stream.name,
        timestamp: e.timestamp,
        message: e.message,
        ingestionTime,
      };
      stream.events.push(event);
      group.storedBytes += Buffer.byteLength(e.message) + 26;
      stored.push(event);
    }
    if (stored.length > 0) for (const listener of this.listeners) listener(region, group, stored);
    return stored;
  }

  subscribe(listener: IngestListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
