/**
 * The lane loop: one lane per destination, sending what the outbox holds for
 * it. An unpaced lane (webhook, Alertmanager, console) runs up to
 * `notifier.concurrency` sends, each of one alert; a paced lane (Slack) runs
 * one worker that owns the token bucket and folds a backlog into digests.
 * When nothing is due the lane sleeps until the outbox's next due time.
 *
 * The decisions are pure parts (`pacing.ts`, `outcome.ts`); what the lanes
 * share — the outbox, the clock, ack batching, housekeeping, the write-problem
 * state, the shutdown flags — comes in through `LaneHost` (`sink.ts`).
 */
import type { Logger } from 'pino';
import type { TimerHandle, Timers } from '../time.js';
import type { AckBatcher } from './acks.js';
import type { RetryPolicy } from './backoff.js';
import { deliveryOf, type Delivery, type Notifier, type SendOutcome } from './notifier.js';
import type { OutboxKey, OutboxRow, OutboxStore } from './outbox.js';
import { verdict } from './outcome.js';
import { TokenBucket, batchSize, wakeDelay } from './pacing.js';
import type { DeliveryMetrics } from './sink.js';

export interface LaneHost {
  readonly timers: Timers;
  readonly random: () => number;
  readonly policy: RetryPolicy;
  readonly maxAgeMs: number;
  /** How long a lease holds a row (after a crash the rows come back after this). */
  readonly leaseMs: number;
  readonly metrics?: DeliveryMetrics | undefined;
  readonly acks: AckBatcher;
  /** Sends in flight (shutdown aborts them). */
  readonly inflight: Set<AbortController>;
  db(): OutboxStore;
  /** Started and not past close()'s drain. */
  sending(): boolean;
  /** The outbox is closed: outcomes are no longer recorded. */
  closed(): boolean;
  housekeeping(now: number): void;
  /** Rows dropped for being older than maxAge: logged and counted. */
  tooOld(keys: readonly OutboxKey[]): void;
  /** An outbox write failed (the lane, when given, waits before trying again). */
  writeFailed(what: string, err: unknown, lane?: Lane): void;
  /** An outbox write worked. */
  wrote(): void;
  /** A lane went idle (close() waits for that). */
  idle(): void;
}

export class Lane {
  readonly bucket: TokenBucket | undefined;
  workers = 0;
  /** No send before this (a 429's Retry-After holds the whole destination; so does a failed write). */
  pausedUntil = 0;
  private timer: TimerHandle | undefined;
  private timerAt = Infinity;
  private kickQueued = false;

  constructor(
    readonly name: string,
    readonly notifier: Notifier,
    readonly log: Logger,
    private readonly host: LaneHost,
  ) {
    this.bucket = notifier.pacing ? new TokenBucket(notifier.pacing, host.timers.now()) : undefined;
  }

  /** Runs the lane soon (after the current synchronous batch of enqueues, so a storm can fold). */
  kick(): void {
    if (!this.host.sending() || this.kickQueued) return;
    this.kickQueued = true;
    setImmediate(() => {
      this.kickQueued = false;
      this.pump();
    });
  }

  pump(): void {
    if (!this.host.sending()) return;
    if (!this.bucket) return this.fill();
    // A paced lane runs one worker: it owns the token bucket and folds a backlog into digests.
    if (this.workers > 0) return;
    this.workers++;
    void this.worker().finally(() => {
      this.workers--;
      this.schedule();
      this.host.idle();
    });
  }

  /** Cancels the wake-up timer (shutdown). */
  stop(): void {
    this.host.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * An unpaced lane: leases as many due rows as it has free send slots in ONE
   * transaction and starts one send per row. Each finished send (outcome
   * recorded) frees its slot and refills the lane on the next turn, so the
   * sends of one storm share lease transactions.
   */
  private fill(): void {
    const free = this.notifier.concurrency - this.workers;
    if (free <= 0) return;
    const t = this.host.timers.now();
    this.host.housekeeping(t);
    let rows: OutboxRow[] = [];
    try {
      if (t >= this.pausedUntil) rows = this.leaseDue(t, free);
    } catch (err) {
      this.host.writeFailed('lease', err, this);
    }
    if (rows.length > 0) this.host.wrote();
    if (rows.length === 0) {
      if (this.workers === 0) {
        this.schedule(); // the timer brings us back (next due time, lease expiry or Retry-After)
        this.host.idle();
      }
      return;
    }
    for (const row of rows) {
      this.workers++;
      void this.deliver([row]).finally(() => {
        this.workers--;
        if (this.workers === 0) this.host.idle();
        this.kick();
      });
    }
  }

  private schedule(): void {
    if (!this.host.sending()) return;
    const timers = this.host.timers;
    const t = timers.now();
    const delay = wakeDelay(this.host.db().nextWake([this.name]), this.pausedUntil, t);
    if (delay === undefined) return;
    if (this.timer && this.timerAt <= t + delay) return;
    timers.clearTimeout(this.timer);
    this.timerAt = t + delay;
    const wake = (): void => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.pump();
    };
    this.timer = timers.setTimeout(wake, delay, { unref: true });
  }

  /** A paced lane's one worker: waits for a token, leases one row or a digest batch, sends, repeats. */
  private async worker(): Promise<void> {
    const { host } = this;
    for (;;) {
      if (!host.sending()) return;
      let t = host.timers.now();
      host.housekeeping(t);
      if (t < this.pausedUntil) return; // the timer brings us back
      if (this.bucket) {
        const wait = this.bucket.waitMs(t);
        if (wait > 0) {
          if (host.db().dueCount(this.name, t) === 0) return;
          await host.timers.sleep(wait);
          if (!host.sending()) return;
          t = host.timers.now();
        }
      }
      let rows: OutboxRow[];
      try {
        const due = host.db().dueCount(this.name, t);
        rows = this.leaseDue(t, batchSize(this.notifier.pacing, due));
      } catch (err) {
        host.writeFailed('lease', err, this);
        return; // the timer brings us back
      }
      if (rows.length === 0) return;
      host.wrote();
      this.bucket?.take(t);
      await this.deliver(rows);
    }
  }

  /**
   * Leases due rows; those past maxAge are dropped in the same transaction instead of sent. (Left to
   * housekeeping, a row that came due after its maxAge was leased, failed and was due again at once,
   * in a loop, whenever housekeeping ran while it was in flight.)
   */
  private leaseDue(t: number, limit: number): OutboxRow[] {
    const { rows, expired } = this.host.db().leaseUnexpired(this.name, t, limit, this.host.leaseMs, t - this.host.maxAgeMs);
    this.host.tooOld(expired);
    return rows;
  }

  private async deliver(rows: readonly OutboxRow[]): Promise<void> {
    const { host } = this;
    const ac = new AbortController();
    host.inflight.add(ac);
    // A digest only for a paced destination (an unpaced lane leases one row a send).
    const delivery = deliveryOf(rows.map((r) => r.alert));
    let outcome: SendOutcome;
    try {
      outcome = await send(this.notifier, delivery, ac.signal);
    } catch (err) {
      // A notifier that throws is a bug; its message may carry a URL, so only its class is logged.
      outcome = { ok: false, retry: true, reason: 'error', detail: `notifier failed (${(err as Error)?.name ?? 'error'})` };
    } finally {
      host.inflight.delete(ac);
    }
    if (host.closed()) return; // the store is gone; the leases expire and the rows are sent again after restart
    try {
      await this.record(rows, delivery, outcome, ac.signal.aborted);
      host.wrote();
    } catch (err) {
      // The outcome is not on disk: the rows stay leased and are sent again when the lease expires.
      host.writeFailed(outcome.ok ? 'ack' : 'retry', err, this);
      if (outcome.ok) this.log.warn({ alerts: rows.length, digest: delivery.id }, 'delivered, but the outbox could not record it: it will be sent again');
    }
  }

  /** Records one send's outcome in the outbox (one transaction), with its log line and metrics. */
  private async record(rows: readonly OutboxRow[], delivery: Delivery, outcome: SendOutcome, aborted: boolean): Promise<void> {
    const { host } = this;
    const t = host.timers.now();
    const keys: OutboxKey[] = rows.map((r) => ({ alertId: r.alertId, destination: r.destination }));
    const v = verdict({ outcome, aborted, rows, now: t, policy: host.policy, maxAgeMs: host.maxAgeMs, random: host.random });
    const ctx = delivery.kind === 'one' ? { alert: delivery.id } : { alerts: rows.length, digest: delivery.id };
    if (v.kind === 'ack') {
      await host.acks.add(keys);
      host.metrics?.delivered(this.name, rows.length);
      this.log.debug({ ...ctx, status: outcome.status }, 'delivered');
      return;
    }
    const s = host.db();
    // Shutting down mid-send: due again at once, for the next start (not a receiver failure).
    if (v.kind === 'interrupted') return s.retryLater(keys, t, 'interrupted by shutdown');
    if (outcome.ok) return; // (narrows the type: an ok outcome is always acked)
    host.metrics?.failed(this.name, outcome.reason);
    if (v.pauseUntil !== undefined) {
      this.pausedUntil = Math.max(this.pausedUntil, v.pauseUntil);
      this.bucket?.empty(t);
    }
    if (v.kind === 'dead' && v.cause === 'permanent') {
      s.dead(keys, t, outcome.detail);
      for (let i = 0; i < rows.length; i++) host.metrics?.dropped(this.name, 'permanent');
      this.log.error({ ...ctx, reason: outcome.reason, status: outcome.status, error: outcome.detail }, 'delivery failed permanently; not retried');
    } else if (v.kind === 'dead') {
      s.dead(keys, t, 'older than maxAge');
      host.tooOld(keys);
    } else {
      s.retryLater(keys, v.dueAt, outcome.detail);
      const attempts = Math.max(...rows.map((r) => r.attempts));
      this.log.warn({ ...ctx, reason: outcome.reason, status: outcome.status, error: outcome.detail, attempts, retryInMs: v.dueAt - t }, 'delivery failed; will retry');
    }
  }
}

/** One send: a paced destination gets the delivery (one alert or a digest), any other its one alert. */
function send(n: Notifier, delivery: Delivery, signal: AbortSignal): Promise<SendOutcome> {
  if (n.pacing) return n.send(delivery, { signal });
  if (delivery.kind === 'one') return n.send(delivery.alert, { signal });
  return Promise.reject(new Error(`a digest for the unpaced destination ${n.name}`));
}
