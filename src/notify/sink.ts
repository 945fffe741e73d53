/**
 * The dispatcher: the daemon's `AlertSink` over the durable outbox. It owns
 * *when* to send (backoff, Retry-After, pacing, digests, maxAge); the
 * notifiers own *whether* a failure is worth a retry.
 *
 * One lane per destination. A lane runs up to `notifier.concurrency` workers;
 * each worker leases due rows (one, or a digest batch for a paced destination
 * under a storm), sends, and records the outcome in one outbox transaction.
 * When nothing is due the lane sleeps until the outbox's next due time.
 * Nothing is held only in memory: a kill at any moment leaves every alert in
 * the outbox, and rows leased by a dead process come back when their lease
 * expires.
 *
 * A write the outbox cannot make (disk full, I/O error) never escapes into
 * the event loop: it is counted, reported by `writeProblem()` until a write
 * succeeds again, and the lane tries again after WRITE_RETRY_MS. A row whose
 * outcome could not be recorded stays leased and is sent again when its
 * lease expires (at-least-once). Only `enqueue` throws: the caller keeps
 * what it could not store.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { DeliveryConfig, Destination } from '../config/model.js';
import type { Alert } from '../engine/alert.js';
import type { AlertSink, EnqueuedAlert } from '../daemon/ports.js';
import { retryDelay } from './backoff.js';
import { openOutbox, storeErrorText, type EnqueueItem, type OutboxKey, type OutboxRow, type OutboxStore } from './outbox.js';
import type { Notifier, NotifierDeps, SendOutcome } from './notifier.js';
import { TokenBucket, batchSize } from './pacing.js';

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
  readonly now?: (() => number) | undefined;
  readonly random?: (() => number) | undefined;
  /** Whether a rule resolves (the Alertmanager destination re-posts those rules' open firings; absent: no re-posts). */
  readonly ruleResolves?: ((ruleId: string) => boolean) | undefined;
  /** Opens the outbox (tests wrap the real one to inject failures). */
  readonly openStore?: ((stateDir: string) => OutboxStore) | undefined;
}

export type NotifierFactory = (dest: Destination, deps: NotifierDeps) => Notifier;

const HOUSEKEEPING_MS = 1_000;
/** Tombstones (delivered/dead rows) keep enqueue idempotent per alert id for this long at least. */
const TOMBSTONE_MIN_MS = 86_400_000;
/** Longest a lane sleeps before looking again (a safety net; wake-ups are computed). */
const MAX_SLEEP_MS = 60_000;
/** After a failed outbox write a lane tries again after this long. */
const WRITE_RETRY_MS = 1_000;
/** `delivery.maxQueued` when a caller leaves it out. */
const DEFAULT_MAX_QUEUED = 10_000;

interface Lane {
  readonly name: string;
  readonly notifier: Notifier;
  readonly bucket: TokenBucket | undefined;
  readonly log: Logger;
  workers: number;
  /** No send before this (a 429's Retry-After holds the whole destination). */
  pausedUntil: number;
  timer: NodeJS.Timeout | undefined;
  timerAt: number;
  kickQueued: boolean;
}

export function createDispatcher(opts: OutboxSinkOptions, createNotifier: NotifierFactory): AlertSink {
  const now = opts.now ?? Date.now;
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
  let lastHousekeeping = -Infinity;
  const idleWaiters = new Set<() => void>();
  /** The last write failure, until a write succeeds again. */
  let writeProblem: string | undefined;

  const deps: NotifierDeps = { timeoutMs: opts.delivery.timeoutMs, consoleStream: opts.consoleStream, consoleColor: opts.consoleColor };
  const ownDeps = (name: string): NotifierDeps =>
    opts.ruleResolves ? { ...deps, stateDir: opts.stateDir, ruleResolves: opts.ruleResolves, logger: log.child({ destination: name }) } : deps;
  for (const [name, dest] of Object.entries(opts.destinations)) {
    const notifier = createNotifier({ ...dest, name } as Destination, ownDeps(name));
    lanes.set(name, {
      name,
      notifier,
      bucket: notifier.pacing ? new TokenBucket(notifier.pacing, now()) : undefined,
      log: log.child({ destination: name }),
      workers: 0,
      pausedUntil: 0,
      timer: undefined,
      timerAt: Infinity,
      kickQueued: false,
    });
  }

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
    if (t - lastHousekeeping < HOUSEKEEPING_MS) return;
    lastHousekeeping = t;
    const s = db();
    try {
      tooOld(s.expire(t - opts.delivery.maxAgeMs, t));
      s.purge(t - Math.max(TOMBSTONE_MIN_MS, opts.delivery.maxAgeMs));
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

  /**
   * Leases due rows; those past maxAge are dropped in the same transaction instead of sent. (Left to
   * housekeeping, a row that came due after its maxAge was leased, failed and was due again at once,
   * in a loop, whenever housekeeping ran while it was in flight.)
   */
  function leaseDue(lane: Lane, t: number, limit: number): OutboxRow[] {
    const { rows, expired } = db().leaseUnexpired(lane.name, t, limit, leaseMs, t - opts.delivery.maxAgeMs);
    tooOld(expired);
    return rows;
  }

  /** Runs the lane soon (after the current synchronous batch of enqueues, so a storm can fold). */
  function kick(lane: Lane): void {
    if (!started || !sending || lane.kickQueued) return;
    lane.kickQueued = true;
    setImmediate(() => {
      lane.kickQueued = false;
      pump(lane);
    });
  }

  function pump(lane: Lane): void {
    if (!started || !sending) return;
    if (!lane.bucket) return fill(lane);
    // A paced lane runs one worker: it owns the token bucket and folds a backlog into digests.
    if (lane.workers > 0) return;
    lane.workers++;
    void worker(lane).finally(() => {
      lane.workers--;
      schedule(lane);
      notifyIdle();
    });
  }

  /**
   * An unpaced lane: leases as many due rows as it has free send slots in ONE
   * transaction and starts one send per row. Each finished send (outcome
   * recorded) frees its slot and refills the lane on the next turn, so the
   * sends of one storm share lease transactions.
   */
  function fill(lane: Lane): void {
    const free = lane.notifier.concurrency - lane.workers;
    if (free <= 0) return;
    const t = now();
    housekeeping(t);
    let rows: OutboxRow[] = [];
    try {
      if (t >= lane.pausedUntil) rows = leaseDue(lane, t, free);
    } catch (err) {
      writeFailed('lease', err, lane);
    }
    if (rows.length > 0) wrote();
    if (rows.length === 0) {
      if (lane.workers === 0) {
        schedule(lane); // the timer brings us back (next due time, lease expiry or Retry-After)
        notifyIdle();
      }
      return;
    }
    for (const row of rows) {
      lane.workers++;
      void deliver(lane, [row]).finally(() => {
        lane.workers--;
        if (lane.workers === 0) notifyIdle();
        kick(lane);
      });
    }
  }

  function schedule(lane: Lane): void {
    if (!sending || !started) return;
    const t = now();
    let at = db().nextWake([lane.name]);
    if (at === undefined) return;
    at = Math.max(at, lane.pausedUntil);
    const delay = Math.min(MAX_SLEEP_MS, Math.max(0, at - t));
    if (lane.timer && lane.timerAt <= t + delay) return;
    if (lane.timer) clearTimeout(lane.timer);
    lane.timerAt = t + delay;
    lane.timer = setTimeout(() => {
      lane.timer = undefined;
      lane.timerAt = Infinity;
      pump(lane);
    }, delay);
    lane.timer.unref?.();
  }

  /** A paced lane's one worker: waits for a token, leases one row or a digest batch, sends, repeats. */
  async function worker(lane: Lane): Promise<void> {
    for (;;) {
      if (!sending) return;
      let t = now();
      housekeeping(t);
      if (t < lane.pausedUntil) return; // the timer brings us back
      if (lane.bucket) {
        const wait = lane.bucket.waitMs(t);
        if (wait > 0) {
          if (db().dueCount(lane.name, t) === 0) return;
          await sleep(wait);
          if (!sending) return;
          t = now();
        }
      }
      let rows: OutboxRow[];
      try {
        const due = db().dueCount(lane.name, t);
        rows = leaseDue(lane, t, batchSize(lane.notifier.pacing, due));
      } catch (err) {
        writeFailed('lease', err, lane);
        return; // the timer brings us back
      }
      if (rows.length === 0) return;
      wrote();
      lane.bucket?.take(t);
      await deliver(lane, rows);
    }
  }

  async function deliver(lane: Lane, rows: readonly OutboxRow[]): Promise<void> {
    const alerts: Alert[] = rows.map((r) => r.alert);
    const keys: OutboxKey[] = rows.map((r) => ({ alertId: r.alertId, destination: r.destination }));
    const deliveryId = alerts.length === 1 ? alerts[0]!.id : digestId(alerts);
    const ac = new AbortController();
    inflight.add(ac);
    let outcome: SendOutcome;
    try {
      outcome = await lane.notifier.send(alerts, { deliveryId, signal: ac.signal });
    } catch (err) {
      // A notifier that throws is a bug; its message may carry a URL, so only its class is logged.
      outcome = { ok: false, retry: true, reason: 'error', detail: `notifier failed (${(err as Error)?.name ?? 'error'})` };
    } finally {
      inflight.delete(ac);
    }
    if (closed) return; // the store is gone; the leases expire and the rows are sent again after restart
    try {
      await record(lane, rows, alerts, keys, deliveryId, outcome, ac.signal.aborted);
      wrote();
    } catch (err) {
      // The outcome is not on disk: the rows stay leased and are sent again when the lease expires.
      writeFailed(outcome.ok ? 'ack' : 'retry', err, lane);
      if (outcome.ok) lane.log.warn({ alerts: alerts.length, digest: deliveryId }, 'delivered, but the outbox could not record it: it will be sent again');
    }
  }

  /** Records one send's outcome in the outbox (one transaction). */
  async function record(lane: Lane, rows: readonly OutboxRow[], alerts: readonly Alert[], keys: readonly OutboxKey[], deliveryId: string, outcome: SendOutcome, aborted: boolean): Promise<void> {
    const t = now();
    const s = db();
    const ids = alerts.map((a) => a.id);
    const ctx = alerts.length === 1 ? { alert: ids[0] } : { alerts: ids.length, digest: deliveryId };
    if (outcome.ok) {
      await ackSoon(keys);
      opts.metrics?.delivered(lane.name, alerts.length);
      lane.log.debug({ ...ctx, status: outcome.status }, 'delivered');
      return;
    }
    if (aborted) {
      // Shutting down mid-send: due again at once, for the next start (not a receiver failure).
      s.retryLater(keys, t, 'interrupted by shutdown');
      return;
    }
    opts.metrics?.failed(lane.name, outcome.reason);
    if (!outcome.retry) {
      s.dead(keys, t, outcome.detail);
      for (let i = 0; i < alerts.length; i++) opts.metrics?.dropped(lane.name, 'permanent');
      lane.log.error({ ...ctx, reason: outcome.reason, status: outcome.status, error: outcome.detail }, 'delivery failed permanently; not retried');
      return;
    }
    const attempts = Math.max(...rows.map((r) => r.attempts));
    const delay = retryDelay(policy, attempts, random, outcome.retryAfterMs);
    if (outcome.retryAfterMs !== undefined) {
      lane.pausedUntil = Math.max(lane.pausedUntil, t + outcome.retryAfterMs);
      lane.bucket?.empty(t);
    }
    // Past maxAge already (it aged while in flight): dropped now, not retried.
    const cut = t - opts.delivery.maxAgeMs;
    const fresh = rows.filter((r) => r.createdAt >= cut);
    if (fresh.length === 0) {
      s.dead(keys, t, 'older than maxAge');
      tooOld(keys);
      return;
    }
    // Never sleep past an alert's maxAge: it is dropped (logged, counted) when it expires. The oldest row
    // still within maxAge sets the limit, so the retry is always in the future (rows of a digest that are
    // older are dropped when it is leased again).
    const oldest = Math.min(...fresh.map((r) => r.createdAt));
    const dueAt = Math.min(t + delay, oldest + opts.delivery.maxAgeMs + 1);
    s.retryLater(keys, dueAt, outcome.detail);
    lane.log.warn({ ...ctx, reason: outcome.reason, status: outcome.status, error: outcome.detail, attempts, retryInMs: dueAt - t }, 'delivery failed; will retry');
  }

  /**
   * Acks of sends that finish in the same turn share one transaction. The
   * send's slot is freed only once its ack is recorded, so sent-but-unacked
   * rows never exceed the lane's concurrency (the duplicates a kill can cause).
   */
  const ackQueue: { keys: readonly OutboxKey[]; done: (err?: unknown) => void }[] = [];
  let ackFlushQueued = false;
  function ackSoon(keys: readonly OutboxKey[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      ackQueue.push({ keys, done: (err) => (err === undefined ? resolve() : reject(err)) });
      if (ackFlushQueued) return;
      ackFlushQueued = true;
      setImmediate(flushAcks);
    });
  }
  function flushAcks(): void {
    ackFlushQueued = false;
    const batch = ackQueue.splice(0);
    if (batch.length === 0) return;
    let error: unknown;
    try {
      // Closed: the rows stay leased and are sent again after a restart (at-least-once).
      if (!closed) db().ack(batch.length === 1 ? batch[0]!.keys : batch.flatMap((b) => b.keys), now());
    } catch (err) {
      error = err ?? new Error('ack failed');
    }
    for (const b of batch) b.done(error);
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
      for (const lane of lanes.values()) pump(lane);
      while (!drained(deadline) && now() < deadline) {
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            idleWaiters.delete(done);
            resolve();
          };
          const timer = setTimeout(done, Math.max(1, Math.min(50, deadline - now())));
          idleWaiters.add(done);
        });
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
      for (const lane of lanes.values()) if (lane.timer) clearTimeout(lane.timer);
    });
    await step('notifiers', () => {
      for (const lane of lanes.values()) lane.notifier.close?.();
    });
    await step('let aborted sends record their outcome', async () => {
      const until = Date.now() + 1_000;
      while ([...lanes.values()].some((l) => l.workers > 0) && Date.now() < until) await sleep(10);
    });
    await step('acks', () => flushAcks());
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
    for (const d of touched) kick(lanes.get(d)!);
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
      for (const lane of lanes.values()) kick(lane);
    },
    close(deadlineMs: number): Promise<void> {
      closing ??= doClose(deadlineMs);
      return closing;
    },
  };
}

function digestId(alerts: readonly Alert[]): string {
  const h = createHash('sha256');
  for (const a of alerts) h.update(a.id).update('\n');
  return 'digest-' + h.digest('hex').slice(0, 32);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
