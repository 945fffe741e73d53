/** What an Emulator (server.ts) is built with; every option has a default. */
import type { ResultIdentifierForm } from './faults.js';
import type { LiveTailResult } from './live-tail.js';
import type { EmulatorCredentials } from './sigv4.js';
import type { EmulatorRole } from './sts.js';

export interface EmulatorOptions {
  /** Default 127.0.0.1. */
  readonly host?: string | undefined;
  /** Default 0 (an ephemeral port). */
  readonly port?: number | undefined;
  /** Region of requests whose signature names none. Default us-east-1. */
  readonly region?: string | undefined;
  /** Account of every log group ARN. Default 123456789012. */
  readonly accountId?: string | undefined;
  /** Epoch milliseconds: ingestion/creation times, PutLogEvents age checks, `refuse.forMs`. Default Date.now. */
  readonly clock?: (() => number) | undefined;
  /** [0,1): sampling of busy Live Tail updates. Default Math.random. */
  readonly random?: (() => number) | undefined;
  /** Live Tail update period. Default 1000; 0 = only on `flushUpdates()`. */
  readonly updateIntervalMs?: number | undefined;
  /** Live Tail session length before SessionTimeoutException. Default 3 hours. */
  readonly sessionTimeoutMs?: number | undefined;
  /** Concurrent Live Tail sessions per account and region. Default 15. */
  readonly maxConcurrentSessions?: number | undefined;
  /** Events per sessionUpdate before sampling. Default 500. */
  readonly maxEventsPerUpdate?: number | undefined;
  /** FilterLogEvents page size cap (lower it to exercise paging). Default 10000. */
  readonly maxFilterPageSize?: number | undefined;
  /**
   * Stored events one FilterLogEvents call scans before returning (matching or not); default
   * unbounded. Small values give the empty and partial pages with a nextToken the service returns.
   */
  readonly maxFilterScan?: number | undefined;
  /**
   * FilterLogEvents returns an event only once `ingestionTime + ingestionDelayMs ≤ now`, as the
   * service makes events searchable some seconds after ingestion; Live Tail is not delayed.
   * Default 0. Also settable while running (`setIngestionDelay`, POST /_emulator/ingestion-delay).
   */
  readonly ingestionDelayMs?: number | undefined;
  /** Accept plain log group names in StartLiveTail (the real service wants ARNs). Default false. */
  readonly liveTailAcceptsNames?: boolean | undefined;
  /** Called when a sessionUpdate frame has been handed to the socket. */
  readonly onFrameWritten?: ((events: readonly LiveTailResult[], at: number, sessionId: string) => void) | undefined;
  /**
   * Check every API request's SigV4 signature against these credentials, answering as the
   * service does (UnrecognizedClientException, InvalidSignatureException, ExpiredTokenException).
   * Default: signatures are not checked (any credentials work).
   */
  readonly credentials?: readonly EmulatorCredentials[] | undefined;
  /**
   * The roles STS AssumeRole may assume, by ARN, with the external id each one's trust policy
   * asks for; any other role is AccessDenied. Default: any role, any external id.
   * The credentials AssumeRole issues are accepted by the SigV4 checking above until they expire.
   */
  readonly roles?: Readonly<Record<string, EmulatorRole>> | undefined;
  /** The `logGroupIdentifier` form of Live Tail results: `arn` (as requested, default), `account-name`, `name`. */
  readonly resultIdentifiers?: ResultIdentifierForm | undefined;
}
