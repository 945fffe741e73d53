/** One log event as every source (Live Tail, backfill, replay, tests) delivers it. */
export interface LogEvent {
  /** Epoch milliseconds (event time). */
  readonly timestamp: number;
  readonly logGroup: string;
  readonly logStream: string;
  readonly message: string;
  readonly ingestionTime?: number | undefined;
  /** Live Tail said this update was sampled. */
  readonly sampled?: boolean | undefined;
}
