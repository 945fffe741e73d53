/**
 * Replays recorded events into the emulator in real time: an event recorded
 * `d` ms after the first is ingested `d / speed` ms after the feed starts.
 * With `rebase` (the default for `emulate`) timestamps are shifted so the
 * first event is stamped with the feed's start time and the gaps are kept —
 * Live Tail and FilterLogEvents then see "live" logs, as the daemon expects.
 * Events lacking `logGroup`/`logStream` go to the defaults.
 */
import type { RecordedEvent } from './recorded.js';
import type { Emulator, IngestEvent } from './server.js';

export const DEFAULT_FEED_GROUP = '/tailwatch/recorded';
export const DEFAULT_FEED_STREAM = 'recorded';

export interface FeedOptions {
  readonly rebase?: boolean | undefined;
  /** Replay speed factor. Default 1 (real time). */
  readonly speed?: number | undefined;
  /** Epoch ms for rebasing. Default Date.now. */
  readonly clock?: (() => number) | undefined;
  readonly region?: string | undefined;
}

export interface Feed {
  readonly total: number;
  /** Events ingested so far. */
  readonly done: number;
  /** Resolves when every event has been ingested (or the feed was stopped). */
  readonly finished: Promise<void>;
  stop(): void;
}

export function startFeed(emulator: Emulator, recorded: readonly RecordedEvent[], options: FeedOptions = {}): Feed {
  const speed = options.speed ?? 1;
  const clock = options.clock ?? Date.now;
  // Stable sort: replay in event time even if the file is not quite in order.
  const events = [...recorded].sort((a, b) => a.timestamp - b.timestamp);
  const first = events[0]?.timestamp ?? 0;
  const shift = options.rebase ?? true ? clock() - first : 0;
  const startedAt = performance.now();
  let next = 0;
  let timer: NodeJS.Timeout | undefined;
  let resolveFinished!: () => void;
  const finished = new Promise<void>((r) => (resolveFinished = r));

  const tick = (): void => {
    const elapsed = (performance.now() - startedAt) * speed;
    const due: IngestEvent[] = [];
    while (next < events.length && events[next]!.timestamp - first <= elapsed) {
      const e = events[next++]!;
      due.push({ logGroup: e.logGroup ?? DEFAULT_FEED_GROUP, logStream: e.logStream ?? DEFAULT_FEED_STREAM, timestamp: e.timestamp + shift, message: e.message });
    }
    if (due.length > 0) emulator.ingest(due, { region: options.region });
    if (next >= events.length) {
      timer = undefined;
      resolveFinished();
      return;
    }
    const wait = (events[next]!.timestamp - first - elapsed) / speed;
    timer = setTimeout(tick, Math.max(0, Math.min(wait, 1000)));
  };
  tick();

  return {
    total: events.length,
    get done() {
      return next;
    },
    finished,
    stop() {
      clearTimeout(timer);
      timer = undefined;
      resolveFinished();
    },
  };
}
