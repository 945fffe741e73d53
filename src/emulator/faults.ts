/**
 * Fault injection: one `Fault` value shape for the programmatic API
 * (`emulator.injectFault`) and the admin endpoint (POST /_emulator/faults).
 * Session faults act on one session (`sessionId`) or on every active one
 * (besides the service's exceptions: error frames, unknown events, frames
 * cut, corrupted or reset mid-way); `next-start` gives the next StartLiveTail
 * calls a failed or held start; `refuse` makes the next calls of an operation
 * fail with an AWS error (also namespaced, unknown or 5xx), for a number of
 * calls and/or a duration on the emulator's clock.
 */
import { AwsError, REFUSAL_TYPES, type RefusalType } from './errors.js';

export type SessionFaultType =
  | 'drop'
  | 'streaming-exception'
  | 'timeout'
  | 'end'
  | 'stall'
  | 'resume'
  | 'error-frame'
  | 'unknown-event'
  | 'truncated-frame'
  | 'bad-crc'
  | 'reset-mid-frame';

/**
 * What the next StartLiveTail calls get instead of a session: an exception as the first frame
 * (the SDK's `send()` rejects), the response held before its headers or before its first frame,
 * the socket reset before any response, or a 200 that ends with no frame at all.
 */
export const START_FAULTS = ['exception-first', 'hang-before-headers', 'hang-before-frame', 'reset-before-response', 'end-without-frame'] as const;
export type StartFaultType = (typeof START_FAULTS)[number];

/** The forms of `logGroupIdentifier` in Live Tail results: as requested (the ARN), `accountId:name`, the bare name. */
export const RESULT_IDENTIFIER_FORMS = ['arn', 'account-name', 'name'] as const;
export type ResultIdentifierForm = (typeof RESULT_IDENTIFIER_FORMS)[number];

export type Fault =
  | {
      readonly type: SessionFaultType;
      readonly sessionId?: string | undefined;
      readonly message?: string | undefined;
      /** `error-frame`: its `:error-code` (default InternalFailure). `unknown-event`: its `:event-type` (default sessionHeartbeat). */
      readonly code?: string | undefined;
    }
  | {
      readonly type: 'next-start';
      readonly fault: StartFaultType;
      /** How many StartLiveTail calls get it. Default 1. */
      readonly calls?: number | undefined;
      /** `exception-first`: default SessionStreamingException. */
      readonly exception?: 'SessionStreamingException' | 'SessionTimeoutException' | undefined;
      readonly message?: string | undefined;
    }
  | { readonly type: 'result-identifiers'; readonly form: ResultIdentifierForm }
  | { readonly type: 'expire-credentials'; readonly accessKeyId: string }
  | {
      readonly type: 'refuse';
      /** A RefusalType, or (with `status`) any other exception name, as a newer service might send. */
      readonly error: RefusalType | (string & {});
      /** The HTTP status (default the error's: 400, 503 for ServiceUnavailableException, 500 for InternalFailure). */
      readonly status?: number | undefined;
      /** Send `__type` namespaced: `com.amazonaws.cloudwatchlogs#<error>`. */
      readonly namespaced?: boolean | undefined;
      /** Default `StartLiveTail`. */
      readonly operation?: string | undefined;
      /** Refuse this many calls (each HTTP attempt counts, SDK retries included). */
      readonly calls?: number | undefined;
      /** Refuse for this long (emulator clock). Neither `calls` nor `forMs`: until `clear`. */
      readonly forMs?: number | undefined;
      /** Only calls that name this log group (by name or ARN), as IAM denies one resource. */
      readonly logGroupName?: string | undefined;
      readonly message?: string | undefined;
    }
  | { readonly type: 'clear' };

const SESSION_FAULTS: readonly string[] = ['drop', 'streaming-exception', 'timeout', 'end', 'stall', 'resume', 'error-frame', 'unknown-event', 'truncated-frame', 'bad-crc', 'reset-mid-frame'];
const EXCEPTION_NAME = /^[A-Za-z][A-Za-z0-9_]{0,99}$/;
const OTHER_FAULTS = ['next-start', 'result-identifiers', 'expire-credentials', 'refuse', 'clear'];

/** Checks an admin request body; throws an Error whose message says what is wrong. */
export function parseFault(body: unknown): Fault {
  if (typeof body !== 'object' || body === null) throw new Error('fault must be a JSON object');
  const f = body as Record<string, unknown>;
  const optStr = (k: string): string | undefined => {
    if (f[k] === undefined) return undefined;
    if (typeof f[k] !== 'string') throw new Error(`${k} must be a string`);
    return f[k];
  };
  const optNum = (k: string): number | undefined => {
    if (f[k] === undefined) return undefined;
    if (typeof f[k] !== 'number' || !(f[k] >= 0)) throw new Error(`${k} must be a non-negative number`);
    return f[k];
  };
  const type = f['type'];
  if (type === 'clear') return { type };
  if (typeof type === 'string' && SESSION_FAULTS.includes(type)) {
    return { type: type as SessionFaultType, sessionId: optStr('sessionId'), message: optStr('message'), code: optStr('code') };
  }
  if (type === 'next-start') {
    const fault = f['fault'];
    if (typeof fault !== 'string' || !(START_FAULTS as readonly string[]).includes(fault)) throw new Error(`fault must be one of ${START_FAULTS.join(', ')}`);
    const exception = optStr('exception');
    if (exception !== undefined && exception !== 'SessionStreamingException' && exception !== 'SessionTimeoutException') throw new Error('exception must be SessionStreamingException or SessionTimeoutException');
    return { type, fault: fault as StartFaultType, calls: optNum('calls'), exception, message: optStr('message') };
  }
  if (type === 'result-identifiers') {
    const form = f['form'];
    if (typeof form !== 'string' || !(RESULT_IDENTIFIER_FORMS as readonly string[]).includes(form)) throw new Error(`form must be one of ${RESULT_IDENTIFIER_FORMS.join(', ')}`);
    return { type, form: form as ResultIdentifierForm };
  }
  if (type === 'expire-credentials') {
    const accessKeyId = optStr('accessKeyId');
    if (accessKeyId === undefined) throw new Error('accessKeyId is required');
    return { type, accessKeyId };
  }
  if (type === 'refuse') {
    const error = f['error'];
    const status = optNum('status');
    if (status !== undefined && !(Number.isInteger(status) && status >= 400 && status <= 599)) throw new Error('status must be an HTTP error status (400-599)');
    const known = typeof error === 'string' && (REFUSAL_TYPES as readonly string[]).includes(error);
    if (!known && !(typeof error === 'string' && EXCEPTION_NAME.test(error) && status !== undefined)) {
      throw new Error(`error must be one of ${REFUSAL_TYPES.join(', ')} (or any exception name with a status)`);
    }
    const namespaced = f['namespaced'];
    if (namespaced !== undefined && typeof namespaced !== 'boolean') throw new Error('namespaced must be a boolean');
    return {
      type,
      error: error as string,
      status,
      namespaced,
      operation: optStr('operation'),
      calls: optNum('calls'),
      forMs: optNum('forMs'),
      logGroupName: optStr('logGroupName'),
      message: optStr('message'),
    };
  }
  throw new Error(`type must be one of ${[...SESSION_FAULTS, ...OTHER_FAULTS].join(', ')}`);
}

interface RefusalRule {
  readonly error: string;
  readonly status: number | undefined;
  readonly namespaced: boolean;
  readonly operation: string;
  readonly message: string;
  readonly logGroupName: string | undefined;
  callsLeft: number;
  readonly until: number;
}

const DEFAULT_MESSAGES: Readonly<Record<RefusalType, string>> = {
  ThrottlingException: 'Rate exceeded',
  LimitExceededException: 'Resource limit exceeded.',
  AccessDeniedException: 'User is not authorized to perform this operation (injected by the emulator).',
  ServiceUnavailableException: 'The service is unavailable (injected by the emulator).',
  InvalidOperationException: 'The operation is not valid on the specified resource (injected by the emulator).',
  InvalidParameterException: 'A parameter is specified incorrectly (injected by the emulator).',
  ResourceNotFoundException: 'The specified log group does not exist.',
  UnrecognizedClientException: 'The security token included in the request is invalid.',
  InvalidSignatureException: 'The request signature we calculated does not match the signature you provided.',
  ExpiredTokenException: 'The security token included in the request is expired',
  InternalFailure: 'The request processing has failed because of an unknown error (injected by the emulator).',
};

/** The namespace the service may prefix `__type` with (the SDK strips it). */
const TYPE_NAMESPACE = 'com.amazonaws.cloudwatchlogs#';

export class Refusals {
  private rules: RefusalRule[] = [];

  add(fault: Extract<Fault, { type: 'refuse' }>, now: number): void {
    this.rules.push({
      error: fault.error,
      status: fault.status,
      namespaced: fault.namespaced ?? false,
      operation: fault.operation ?? 'StartLiveTail',
      message: fault.message ?? DEFAULT_MESSAGES[fault.error as RefusalType] ?? 'Injected by the emulator.',
      logGroupName: fault.logGroupName,
      callsLeft: fault.calls ?? Infinity,
      until: fault.forMs === undefined ? Infinity : now + fault.forMs,
    });
  }

  /** The error to answer this call with, if a rule applies (consumes one call of it). `groups`: the log group names the call names. */
  check(operation: string, now: number, groups: readonly string[]): AwsError | undefined {
    this.rules = this.rules.filter((r) => r.callsLeft > 0 && now < r.until);
    const rule = this.rules.find((r) => r.operation === operation && (r.logGroupName === undefined || groups.includes(r.logGroupName)));
    if (!rule) return undefined;
    rule.callsLeft--;
    const known = (REFUSAL_TYPES as readonly string[]).includes(rule.error);
    // An unknown name travels as an InternalFailure with that __type: only the wire form matters.
    return new AwsError(known ? (rule.error as RefusalType) : 'InternalFailure', rule.message, {
      status: rule.status ?? (known ? undefined : 400),
      wireType: rule.namespaced ? TYPE_NAMESPACE + rule.error : rule.error,
    });
  }

  clear(): void {
    this.rules = [];
  }
}

interface StartFaultRule {
  readonly fault: Extract<Fault, { type: 'next-start' }>;
  callsLeft: number;
}

/** The `next-start` faults waiting for StartLiveTail calls, oldest first. */
export class StartFaults {
  private rules: StartFaultRule[] = [];

  add(fault: Extract<Fault, { type: 'next-start' }>): void {
    this.rules.push({ fault, callsLeft: fault.calls ?? 1 });
  }

  /** The fault this StartLiveTail call gets, if any (consumes one call of it). */
  take(): Extract<Fault, { type: 'next-start' }> | undefined {
    this.rules = this.rules.filter((r) => r.callsLeft > 0);
    const rule = this.rules[0];
    if (!rule) return undefined;
    rule.callsLeft--;
    return rule.fault;
  }

  clear(): void {
    this.rules = [];
  }
}
