/**
 * The retry policy (`delivery.retry`): from `initial`, doubling per attempt, capped
 * at `max`, jittered ("equal jitter": half fixed, half random, so retries of
 * a storm spread out but never come sooner than half the step). A receiver's
 * `Retry-After` wins when it asks for longer. Pure: randomness is a parameter.
 */
export interface RetryPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
}

/** Delay before the next try after `attempts` failed tries (1 = the first failure). */
export function retryDelay(policy: RetryPolicy, attempts: number, random: () => number, retryAfterMs?: number): number {
  const step = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(Math.max(0, attempts - 1), 40));
  const jittered = Math.round(step / 2 + (random() * step) / 2);
  return retryAfterMs === undefined ? jittered : Math.max(retryAfterMs, jittered);
}
