/**
 * The one retry delay (sessions, polls, deliveries): from `initialMs`, doubling per
 * attempt, capped at `maxMs`, with "equal jitter" — half fixed, half random — so
 * retries of a storm spread out but never come sooner than half the step.
 * Pure: randomness is a parameter.
 */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number, random: () => number): number {
  const d = Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(0, attempt), 40));
  return Math.round(d / 2 + (random() * d) / 2);
}
