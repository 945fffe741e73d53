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
  | 'rotation'
  /** No sessionStart within the start deadline (held before the headers or before the first frame). */
  | 'start-timeout'
  /** ExpiredTokenException: the credentials are asked for again before the retry. */
  | 'expired-credentials'
  /** UnrecognizedClientException, InvalidSignatureException: unknown key or wrong secret (credentials asked for again, retried slowly). */
  | 'unauthenticated'
  /** A service exception this version does not know (a newer service), HTTP 4xx. */
  | 'unexpected';

/** `now`: restart at once; `backoff`: jittered exponential; `slow`: the rules are unhealthy, retry slowly. */
export type RestartPolicy = 'now' | 'backoff' | 'slow';

const BY_NAME: Readonly<Record<string, RestartReason>> = {
  SessionTimeoutException: 'timeout',
  SessionStreamingException: 'stream-error',
  ThrottlingException: 'throttled',
  LimitExceededException: 'limit-exceeded',
  ServiceUnavailableException: 'unavailable',
  AccessDeniedException: 'access-denied',
  UnrecognizedClientException: 'unauthenticated',
  InvalidSignatureException: 'unauthenticated',
  IncompleteSignatureException: 'unauthenticated',
  MissingAuthenticationTokenException: 'unauthenticated',
  ExpiredTokenException: 'expired-credentials',
  ResourceNotFoundException: 'not-found',
  InvalidParameterException: 'invalid-parameter',
  InvalidOperationException: 'invalid-parameter',
  ValidationException: 'invalid-parameter',
  // STS, when a source's role cannot be assumed (AssumeRoleError carries STS's error name).
  AccessDenied: 'access-denied',
  InvalidClientTokenId: 'unauthenticated',
  SignatureDoesNotMatch: 'unauthenticated',
  ExpiredToken: 'expired-credentials',
  RegionDisabledException: 'access-denied',
};

/**
 * Assuming a source's role failed: STS's error, named as STS names it (AccessDenied, …) so it is
 * classified like the service's own, with the role ARN for the log line (an ARN is no secret;
 * STS's message, which may name the caller, is not repeated).
 */
export class AssumeRoleError extends Error {
  readonly $fault: unknown;
  readonly $metadata: unknown;
  constructor(
    readonly roleArn: string,
    cause: unknown,
  ) {
    super(`assuming role ${roleArn} failed`, { cause });
    const c = (cause ?? {}) as { name?: unknown; $fault?: unknown; $metadata?: unknown };
    this.name = typeof c.name === 'string' && c.name !== '' ? c.name : 'Error';
    this.$fault = c.$fault;
    this.$metadata = c.$metadata;
  }
}

/**
 * A session error not caused by our own abort. A service exception of another name is
 * `unavailable` (HTTP 5xx) or `unexpected` (4xx); anything else — a network error, a truncated or
 * corrupt frame, an event-stream `error` message (a plain Error named by its code) — counts as a
 * broken connection. The SDK strips a namespace from `__type` before naming the error.
 */
export function classifyError(err: unknown): RestartReason {
  const e = err as { name?: unknown; $fault?: unknown } | null;
  const name = typeof e?.name === 'string' ? e.name : '';
  const known = BY_NAME[name];
  if (known) return known;
  if (e?.$fault === 'server') return 'unavailable';
  if (e?.$fault === 'client') return 'unexpected';
  return 'connection';
}

/** Reasons after which the client's credentials are asked for again before the retry. */
export function refreshesCredentials(reason: RestartReason): boolean {
  return reason === 'expired-credentials' || reason === 'unauthenticated';
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
    case 'unauthenticated':
      return 'slow';
    default:
      return 'backoff';
  }
}

/**
 * What a log line or message says about an error: the AWS error `name`, the
 * network `code` (ECONNREFUSED, ECONNRESET, … also from `cause`), the syscall
 * and address it concerns, the HTTP status — never message text, headers or
 * credentials. `Error` when there is nothing more.
 */
export function describeError(err: unknown): string {
  const e = err as { name?: unknown; code?: unknown; syscall?: unknown; address?: unknown; port?: unknown; cause?: unknown; $metadata?: { httpStatusCode?: unknown } } | null;
  if (e === null || typeof e !== 'object') return 'Error';
  const cause = (typeof e.cause === 'object' && e.cause !== null ? e.cause : {}) as { name?: unknown; code?: unknown; syscall?: unknown; address?: unknown; port?: unknown };
  const parts: string[] = [];
  const name = typeof e.name === 'string' && e.name !== '' && e.name !== 'Error' ? e.name : undefined;
  if (name) parts.push(name);
  const code = typeof e.code === 'string' ? e.code : typeof cause.code === 'string' ? cause.code : undefined;
  if (code && code !== name) parts.push(code);
  const net = typeof e.syscall === 'string' ? e : typeof cause.syscall === 'string' ? cause : undefined;
  if (net && typeof net.address === 'string') parts.push(`(${String(net.syscall)} ${net.address}${typeof net.port === 'number' ? `:${net.port}` : ''})`);
  const status = e.$metadata?.httpStatusCode;
  if (typeof status === 'number') parts.push(`(HTTP ${status})`);
  if (err instanceof AssumeRoleError) parts.push(`assuming role ${err.roleArn}`);
  return parts.length > 0 ? parts.join(' ') : 'Error';
}
