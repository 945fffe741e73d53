/**
 * Ack batching: the acks of sends that finish in the same event-loop turn
 * share one outbox transaction. Each caller's promise settles once its ack is
 * written (or the write failed): the dispatcher frees a send's slot only then,
 * so sent-but-unacked rows never exceed the lane's concurrency (the
 * duplicates a kill can cause).
 */
import type { OutboxKey } from './outbox.js';

export class AckBatcher {
  private queue: { keys: readonly OutboxKey[]; done: (err?: unknown) => void }[] = [];
  private queued = false;

  /**
   * @param write records the keys as delivered (one transaction); throws when it cannot.
   * @param defer runs the flush after the current turn (`setImmediate`).
   */
  constructor(
    private readonly write: (keys: readonly OutboxKey[]) => void,
    private readonly defer: (fn: () => void) => void = setImmediate,
  ) {}

  /** Resolves once `keys` are recorded as delivered; rejects with the write's error. */
  add(keys: readonly OutboxKey[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ keys, done: (err) => (err === undefined ? resolve() : reject(err)) });
      if (this.queued) return;
      this.queued = true;
      this.defer(() => this.flush());
    });
  }

  /** Writes every queued ack now (one transaction). */
  flush(): void {
    this.queued = false;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    let error: unknown;
    try {
      this.write(batch.length === 1 ? batch[0]!.keys : batch.flatMap((b) => b.keys));
    } catch (err) {
      error = err ?? new Error('ack failed');
    }
    for (const b of batch) b.done(error);
  }
}
