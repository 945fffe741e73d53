/**
 * Fault injection: one `Fault` value shape for the programmatic API
 * (`emulator.injectFault`) and the admin endpoint (POST /_emulator/faults).
 * Session faults act on one session (`sessionId`) or on every active one;
 * `refuse` makes the next calls of an operation fail with an AWS error, for a
 * number of calls and/or a duration on the emulator's clock.
 */
import { AwsError, REFUSAL_TYPES, type RefusalType } from './errors.js';

export type SessionFaultType = 'drop' | 'streaming-exception' | 'timeout' | 'end' | 'stall' | 'resume';

export type Fault =
  | { readonly type: SessionFaultType; readonly sessionId?: string | undefined; readonly message?: string | undefined }
  | {
      readonly type: 'refuse';
      readonly error: RefusalType;
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

const SESSION_FAULTS: readonly string[] = ['drop', 'streaming-exception', 'timeout', 'end', 'stall', 'resume'];

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
    return { type: type as SessionFaultType, sessionId: optStr('sessionId'), message: optStr('message') };
  }
  if (type === 'refuse') {
    const error = f['error'];
    if (typeof error !== 'string' || !(REFUSAL_TYPES as readonly string[]).includes(error)) throw new Error(`error must be one of ${REFUSAL_TYPES.join(', ')}`);
    return {
      type,
      error: error as RefusalType,
      operation: optStr('operation'),
      calls: optNum('calls'),
      forMs: optNum('forMs'),
      logGroupName: optStr('logGroupName'),
      message: optStr('message'),
    };
  }
  throw new Error(`type must be one of ${[...SESSION_FAULTS, 'refuse', 'clear'].join(', ')}`);
}

interface RefusalRule {
  readonly error: RefusalType;
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
};

export class Refusals {
  private rules: RefusalRule[] = [];

  add(fault: Extract<Fault, { type: 'refuse' }>, now: number): void {
    this.rules.push({
      error: fault.error,
      operation: fault.operation ?? 'StartLiveTail',
      message: fault.message ?? DEFAULT_MESSAGES[fault.error],
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
    return new AwsError(rule.error, rule.message);
  }

  clear(): void {
    this.rules = [];
  }
}
