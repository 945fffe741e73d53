/**
 * The daemon's seams to the stages it runs: where events come from (Live
 * Tail sessions) and where alerts go (the outbox). The daemon depends on
 * these, not on the stages' classes, so its lifecycle is testable alone.
 */
import type { Config, RuleSet } from './config.js';
import type { SourceBatch } from './event.js';
import type { RoutedAlert } from './alert.js';

export interface SourceHealth {
  /** Every planned session has started at least once and none is failing now. */
  readonly ready: boolean;
  readonly details: readonly string[];
  /** Rules whose session cannot run (access denied, missing log group, invalid parameter). */
  readonly unhealthyRules: readonly string[];
}

export interface EventSource {
  /**
   * Runs the sessions this rule set needs; on a later call, sessions whose
   * parameters did not change keep running. Events arrive through `onEvents`
   * given at construction. Rejects only for programming errors.
   */
  apply(ruleSet: RuleSet, config: Config): Promise<void>;
  health(): SourceHealth;
  /** Ids of the sources running now (what batches name in `source`). */
  sourceIds(): readonly string[];
  /** Retries now what waits for a slow retry (a missing or denied log group): SIGHUP calls it. */
  retryUnhealthy?(): void;
  /** Closes every session (server side too). Idempotent. */
  stop(): Promise<void>;
}

/** A source's events and watermark (engine/event.ts SourceBatch). */
export type EventsHandler = (batch: SourceBatch) => void;

/** An alert to store; `decidedAt` when it was decided earlier than now (it waited in memory while the outbox could not write). */
export type EnqueuedAlert = RoutedAlert & { readonly decidedAt?: number | undefined };

export interface AlertSink {
  /** Durably records the alert before returning (at-least-once); throws when it cannot. */
  enqueue(routed: EnqueuedAlert): void;
  /** Durably records all of them before returning, as one write (the outbox: one transaction, one fsync), or none and throws. */
  enqueueMany(routed: readonly EnqueuedAlert[]): void;
  depth(): number;
  /** Why the last write failed (disk full, I/O error) while no write has succeeded since; undefined when writes work. */
  writeProblem?(): string | undefined;
  start(): void;
  /** Delivers what it can within the deadline, then closes. Idempotent. */
  close(deadlineMs: number): Promise<void>;
}
