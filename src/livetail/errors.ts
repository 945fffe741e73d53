/**
 * Why a session ended, decided by the error's class/`name`/`$fault` — never
 * by message text — and what the supervisor does about it.
 */
export type RestartReason =
  | 'timeout'
  | 'stream-error'
  | 'connection'
  | 'clean-end'
  | 'stall'
  | 'throttled'
  | 'limit-exceeded'
  | 'unavailable'
  | 'access-denied'
  | 'not-found'
  | 'invalid-parameter'
  | 'rotation';

/** `now`: restart at once; `backoff`: jittered exponential; `slow`: the rules are unhealthy, retry slowly. */
export type RestartPolicy = 'now' | 'backoff' | 'slow';

const BY_NAME: Readonly<Record<string, RestartReason>> = {
  SessionTimeoutException: 'timeout',
  SessionStreamingException: 'stream-error',
  ThrottlingException: 'throttled',
  LimitExceededException: 'limit-exceeded',
  ServiceUnavailableException: 'unavailable',
  AccessDeniedException: 'access-denied',
  UnrecognizedClientException: 'access-denied',
  ResourceNotFoundException: 'not-found',
  InvalidParameterException: 'invalid-parameter',
  ValidationException: 'invalid-parameter',
};

/** A session error not caused by our own abort. Unknown errors count as a broken connection. */
export function classifyError(err: unknown): RestartReason {
  const e = err as { name?: unknown; $fault?: unknown } | null;
  const name = typeof e?.name === 'string' ? e.name : '';
  const known = BY_NAME[name];
  if (known) return known;
  if (e?.$fault === 'server') return 'unavailable';
  return 'connection';
}

export function policyFor(reason: RestartReason): RestartPolicy {
  switch (reason) {
    case 'timeout':
    case 'rotation':
    case 'stall':
      return 'now';
    case 'access-denied':
    case 'not-found':
    case 'invalid-parameter':
      return 'slow';
    default:
      return 'backoff';
  }
}

/** Full-jitter-ish exponential backoff: a delay in [d/2, d], d = min(max, initial·2^attempt). */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number, random: () => number): number {
  const d = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(d / 2 + (random() * d) / 2);
}
