/**
 * The dispatcher: the daemon's `AlertSink` over the durable outbox. It owns
 * *when* to send (backoff, Retry-After, pacing, digests, maxAge); the
 * notifiers own *whether* a failure is worth a retry.
 *
 * This file is the surface (enqueue, the queue bound, close) and what the
 * lanes share; the lane loop is `lane.ts`, and the decisions are pure parts,
 * each tested alone: `pacing.ts` (token bucket, digest size, wake-up delay),
 * `outcome.ts` (outcome → ack / retry later / dead / pause), `acks.ts` (ack
 * batching), `housekeeping.ts` (maxAge expiry and tombstone purge cuts).
 * Time comes from the injected `Timers` (`src/time.ts`).
 *
 * One lane per destination; each lease, send outcome and ack is one outbox
 * transaction (acks of one turn share theirs). Nothing is held only in
 * memory: a kill at any moment leaves every alert in the outbox, and rows
 * leased by a dead process come back when their lease expires.
 *
 * A write the outbox cannot make (disk full, I/O error) never escapes into
 * the event loop: it is counted, reported by `writeProblem()` until a write
 * succeeds again, and the lane tries again after WRITE_RETRY_MS. A row whose
 * outcome could not be recorded stays leased and is sent again when its
 * lease expires (at-least-once). Only `enqueue` throws: the caller keeps
 * what it could not store.
 */
import type { Logger } from 'pino';
import type { DeliveryConfig, Destination } from '../model/config.js';
import type { AlertSink, EnqueuedAlert } from '../model/ports.js';
import { realTimers, type Timers } from '../time.js';
import { AckBatcher } from './acks.js';
import { Housekeeping } from './housekeeping.js';
import { Lane, type LaneHost } from './lane.js';
import type { Notifier, NotifierDeps } from './notifier.js';
import { openOutbox, storeErrorText, type EnqueueItem, type OutboxKey, type OutboxStore } from './outbox.js';

export interface DeliveryMetrics {
  delivered(destination: string, n: number): void;
  failed(destination: string, reason: string): void;
  dropped(destination: string, reason: string): void;
  /** An outbox write failed (disk full, I/O error). */
  writeFailed?(): void;
}

export interface OutboxSinkOptions {
  readonly stateDir: string;
  readonly destinations: Readonly<Record<string, Destination>>;
  readonly delivery: DeliveryConfig;
  readonly logger: Logger;
  readonly metrics?: DeliveryMetrics | undefined;
  readonly consoleStream?: NodeJS.WritableStream | undefined;
  /** Console blocks in colour (default: when the console stream is a terminal and NO_COLOR is not set). */
  readonly consoleColor?: boolean | undefined;
  /** The clock and timers of the dispatcher and its destinations (real ones by default). */
  readonly timers?: Timers | undefined;
  /** A clock alone, with real timers (when `timers` is not given). */
  readonly now?: (() => number) | undefined;
  readonly random?: (() => number) | undefined;
  /** Whether a rule resolves (the Alertmanager destination re-posts those rules' open firings; absent: no re-posts). */
  readonly ruleResolves?: ((ruleId: string) => boolean) | undefined;
  /** Opens the outbox (tests wrap the real one to inject failures). */
  readonly openStore?: ((stateDir: string) => OutboxStore) | undefined;
}

export type NotifierFactory = (dest: Destination, deps: NotifierDeps) => Notifier;

/** After a failed outbox write a lane tries again after this long. */
const WRITE_RETRY_MS = 1_000;
/** `delivery.maxQueued` when a caller leaves it out. */
const DEFAULT_MAX_QUEUED = 10_000;

export function createDispatcher(opts: OutboxSinkOptions, createNotifier: NotifierFactory): AlertSink {
  const timers: Timers = opts.timers ?? (opts.now ? { ...realTimers, now: opts.now } : realTimers);
  const now = (): number => timers.now();
  const random = opts.random ?? Math.random;
  const log = opts.logger;
  const policy = { initialMs: opts.delivery.retryInitialMs, maxMs: opts.delivery.retryMaxMs };
  // A lease outlives any send (timeout) with room to spare; after a crash the rows come back after this.
  const leaseMs = 2 * opts.delivery.timeoutMs + 1_000;
  const inflight = new Set<AbortController>();
  const lanes = new Map<string, Lane>();
  let store: OutboxStore | undefined;
  let started = false;
  let closing: Promise<void> | undefined;
  let closed = false;
  /** False once close() has drained: nothing new is sent (what is in flight is aborted and stays in the outbox). */
  let sending = true;
  const housekeeper = new Housekeeping(opts.delivery.maxAgeMs);
  const idleWaiters = new Set<() => void>();
  /** The last write failure, until a write succeeds again. */
  let writeProblem: string | undefined;

  const db = (): OutboxStore => {
    if (closed) throw new Error('outbox is closed');
    store ??= (opts.openStore ?? openOutbox)(opts.stateDir);
    return store;
  };

  /** A write the outbox could not make: counted, logged when the problem starts or changes, retried by the lane. */
  function writeFailed(what: string, err: unknown, lane?: Lane): void {
    opts.metrics?.writeFailed?.();
    const text = storeErrorText(err);
    if (text !== writeProblem) log.error({ step: what, error: text }, 'outbox write failed; retrying');
    writeProblem = text;
    if (lane) lane.pausedUntil = Math.max(lane.pausedUntil, now() + WRITE_RETRY_MS);
  }
  function wrote(): void {
    if (writeProblem === undefined) return;
    log.info({ was: writeProblem }, 'outbox writes again');
    writeProblem = undefined;
  }

  function housekeeping(t: number): void {
    const cuts = housekeeper.due(t);
    if (!cuts) return;
    const s = db();
    try {
      tooOld(s.expire(cuts.expireBefore, t));
      s.purge(cuts.purgeBefore);
    } catch (err) {
      writeFailed('housekeeping', err); // tried again at the next housekeeping
    }
  }

  /** Rows dropped (marked dead) for being older than maxAge: logged and counted. */
  function tooOld(keys: readonly OutboxKey[]): void {
    for (const k of keys) {
      const lane = lanes.get(k.destination);
      (lane?.log ?? log).warn({ alert: k.alertId, destination: k.destination, maxAgeMs: opts.delivery.maxAgeMs }, 'alert dropped: older than delivery.maxAge');
      opts.metrics?.dropped(k.destination, 'max-age');
    }
  }

  // Closed: the rows stay leased and are sent again after a restart (at-least-once).
  const acks = new AckBatcher((keys) => {
    if (!closed) db().ack(keys, now());
  });

  const host: LaneHost = {
    timers,
    random,
    policy,
    maxAgeMs: opts.delivery.maxAgeMs,
    leaseMs,
    metrics: opts.metrics,
    acks,
    inflight,
    db,
    sending: () => started && sending,
    closed: () => closed,
    housekeeping,
    tooOld,
    writeFailed,
    wrote,
    idle: notifyIdle,
  };
  const deps: NotifierDeps = { timeoutMs: opts.delivery.timeoutMs, timers, consoleStream: opts.consoleStream, consoleColor: opts.consoleColor };
  const ownDeps = (name: string): NotifierDeps =>
    opts.ruleResolves ? { ...deps, stateDir: opts.stateDir, ruleResolves: opts.ruleResolves, logger: log.child({ destination: name }) } : deps;
  for (const [name, dest] of Object.entries(opts.destinations)) {
    const notifier = createNotifier({ ...dest, name } as Destination, ownDeps(name));
    lanes.set(name, new Lane(name, notifier, log.child({ destination: name }), host));
  }

  function notifyIdle(): void {
    for (const w of [...idleWaiters]) w();
  }

  /** Nothing in flight and nothing due before `deadline` (so waiting longer cannot deliver more). */
  function drained(deadline: number): boolean {
    for (const lane of lanes.values()) if (lane.workers > 0) return false;
    const s = db();
    if (s.depth() === 0) return true;
    let at = s.nextWake([...lanes.keys()]);
    for (const lane of lanes.values()) if (lane.pausedUntil > (at ?? 0) && lane.pausedUntil > now()) at = Math.max(at ?? 0, lane.pausedUntil);
    return at === undefined || at >= deadline;
  }

  async function doClose(deadlineMs: number): Promise<void> {
    const deadline = now() + Math.max(0, deadlineMs);
    const errors: unknown[] = [];
    const step = async (what: string, fn: () => void | Promise<void>) => {
      try {
        await fn();
      } catch (err) {
        errors.push(err);
        log.error({ step: what, err: (err as Error)?.name }, 'outbox close step failed');
      }
    };
    await step('drain', async () => {
      if (!started || !store) return;
      for (const lane of lanes.values()) lane.pump();
      while (!drained(deadline) && now() < deadline) {
        // Until a lane goes idle, or 50 ms (a retry may come due).
        const idle = new AbortController();
        const done = (): void => idle.abort();
        idleWaiters.add(done);
        await timers.sleep(Math.max(1, Math.min(50, deadline - now())), idle.signal);
        idleWaiters.delete(done);
      }
    });
    // Nothing new goes out after the deadline: an aborted send's lane would otherwise lease its row
    // again at once and send it with a fresh delivery.timeout that kept the process alive that long.
    sending = false;
    // Cleanups run last-in first-out, each even if an earlier one threw.
    await step('abort in-flight sends', () => {
      for (const ac of inflight) ac.abort();
    });
    await step('timers', () => {
      for (const lane of lanes.values()) lane.stop();
    });
    await step('notifiers', () => {
      for (const lane of lanes.values()) lane.notifier.close?.();
    });
    await step('let aborted sends record their outcome', async () => {
      const until = now() + 1_000;
      while ([...lanes.values()].some((l) => l.workers > 0) && now() < until) await timers.sleep(10);
    });
    await step('acks', () => acks.flush());
    closed = true;
    await step('outbox', () => store?.close());
    const left = errors.length;
    if (left > 0) log.warn({ errors: left }, 'outbox closed with errors');
  }

  function enqueueMany(batch: readonly EnqueuedAlert[]): void {
    // While close() drains, the store is still open: an alert decided during shutdown is still recorded.
    if (closed) throw new Error('outbox is closed');
    const items: EnqueueItem[] = [];
    for (const routed of batch) {
      const known = routed.destinations.filter((d) => {
        if (lanes.has(d)) return true;
        log.error({ alert: routed.alert.id, destination: d }, 'alert routed to an unknown destination; not delivered');
        opts.metrics?.dropped(d, 'unknown-destination');
        return false;
      });
      if (known.length > 0) items.push({ alert: routed.alert, destinations: known, at: routed.decidedAt });
    }
    if (items.length === 0) return;
    // One transaction (one fsync) for the whole batch: every alert is on disk when this returns.
    try {
      db().enqueueMany(items, now());
    } catch (err) {
      writeFailed('enqueue', err);
      throw err; // the caller keeps the alerts and offers them again
    }
    wrote();
    const touched = new Set(items.flatMap((it) => it.destinations));
    for (const d of touched) trim(lanes.get(d)!);
    for (const d of touched) lanes.get(d)!.kick();
  }

  /**
   * `delivery.maxQueued`: a destination whose receiver is down keeps at most that many pending
   * deliveries; the oldest make room for the new (one log line per enqueue that overflowed). Slack
   * alike: its digests fold the alerts it sends in a storm, what is beyond the bound is dropped.
   */
  function trim(lane: Lane): void {
    const keep = opts.delivery.maxQueued ?? DEFAULT_MAX_QUEUED;
    let dropped: OutboxKey[];
    try {
      dropped = db().trim(lane.name, keep, now());
    } catch (err) {
      writeFailed('trim', err); // tried again at the next enqueue
      return;
    }
    if (dropped.length === 0) return;
    for (let i = 0; i < dropped.length; i++) opts.metrics?.dropped(lane.name, 'queue-full');
    lane.log.warn({ dropped: dropped.length, maxQueued: keep, oldest: dropped[0]!.alertId }, 'outbox full for this destination: oldest pending alerts dropped (delivery.maxQueued)');
  }

  return {
    enqueue: (routed: EnqueuedAlert): void => enqueueMany([routed]),
    enqueueMany,
    depth: () => (closed ? 0 : db().depth()),
    writeProblem: () => writeProblem,
    start(): void {
      if (started || closing) return;
      started = true;
      db();
      for (const lane of lanes.values()) lane.kick();
    },
    close(deadlineMs: number): Promise<void> {
      closing ??= doClose(deadlineMs);
      return closing;
    },
  };
}
