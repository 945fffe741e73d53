/**
 * The emulator: a node:http server speaking CloudWatch Logs' AWS JSON 1.1
 * protocol (POST `/`, `x-amz-target: Logs_20140328.<Op>`) and StartLiveTail's
 * event stream, STS AssumeRole (sts.ts: for sources with a roleArn), plus an admin endpoint
 * for tests (`/_emulator/...`).
 * Constructing it does no I/O; `start()` listens, `stop()` ends every session
 * and closes every connection.
 *
 * Regions: each request works in the region its SigV4 signature names
 * (`Credential=…/<date>/<region>/logs/aws4_request`), else the default
 * region; log groups and the session quota are per region. Signatures are
 * verified only when the emulator is given `credentials` (sigv4.ts).
 * Its options: options.ts; reading requests and writing JSON answers: http-parts.ts.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_CONCURRENT_SESSIONS } from '../aws/index.js';
import { AwsError } from './errors.js';
import { Refusals, StartFaults, type Fault, type ResultIdentifierForm } from './faults.js';
import { exceptionFrame } from './frames.js';
import { LiveTailSession, type LiveTailSessionInfo, type SessionEndReason } from './live-tail.js';
import { resolveLiveTail } from './live-tail-request.js';
import * as ops from './operations.js';
import { checkSignature, type EmulatorCredentials } from './sigv4.js';
import { BodyTooLarge, namedGroups, readBody, sendJson, signedRegion, signingKey } from './http-parts.js';
import { handleAdmin } from './admin.js';
import type { EmulatorOptions } from './options.js';
export type { EmulatorOptions } from './options.js';
import { LogStore } from './store.js';
import { assumeRole, isStsRequest, sendXml, StsError, stsErrorXml, type AssumeRoleCall, type EmulatorRole } from './sts.js';

export interface IngestEvent {
  readonly logGroup: string;
  readonly logStream: string;
  readonly timestamp: number;
  readonly message: string;
}

const TARGET_PREFIX = 'Logs_20140328.';
const THREE_HOURS = 3 * 3_600_000;

type JsonOperation = (ctx: ops.OperationContext, input: ops.OperationInput) => object;
const JSON_OPERATIONS: Readonly<Record<string, JsonOperation>> = {
  CreateLogGroup: ops.createLogGroup,
  CreateLogStream: ops.createLogStream,
  PutLogEvents: ops.putLogEvents,
  DescribeLogGroups: ops.describeLogGroups,
  FilterLogEvents: ops.filterLogEvents,
};

export class Emulator {
  readonly store = new LogStore();
  private readonly host: string;
  private readonly port: number;
  private readonly region: string;
  private readonly accountId: string;
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly updateIntervalMs: number;
  private readonly sessionTimeoutMs: number;
  private readonly maxConcurrentSessions: number;
  private readonly maxEventsPerUpdate: number;
  private readonly maxFilterPageSize: number;
  private readonly maxFilterScan: number;
  private ingestionDelayMs: number;
  /** API calls received, by operation (benchmarks count FilterLogEvents). */
  private readonly calls = new Map<string, number>();
  private readonly liveTailAcceptsNames: boolean;
  private readonly onFrameWritten: EmulatorOptions['onFrameWritten'];
  private readonly refusals = new Refusals();
  private readonly startFaults = new StartFaults();
  private readonly credentials: readonly EmulatorCredentials[] | undefined;
  private readonly roles: Readonly<Record<string, EmulatorRole>> | undefined;
  /** Credentials STS AssumeRole issued (accepted with `credentials`). */
  private readonly issued: EmulatorCredentials[] = [];
  private readonly assumeRoleLog: AssumeRoleCall[] = [];
  /** The access keys that signed each operation (tests: which credentials a client used). */
  private readonly signers = new Map<string, Set<string>>();
  /** Access keys whose session token an `expire-credentials` fault expired. */
  private readonly expiredKeys = new Set<string>();
  private resultIdentifiers: ResultIdentifierForm;
  /** StartLiveTail responses a `hang-*` fault holds (ended by `clear`, the client, or `stop`). */
  private readonly held = new Set<ServerResponse>();
  private readonly live = new Map<string, LiveTailSession>();
  private readonly changes = new EventEmitter();
  private server: http.Server | undefined;
  private url: string | undefined;
  private sessionsStarted = 0;
  private readonly endReasons = new Map<SessionEndReason, number>();

  constructor(options: EmulatorOptions = {}) {
    this.host = options.host ?? '127.0.0.1';
    this.port = options.port ?? 0;
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '123456789012';
    this.clock = options.clock ?? Date.now;
    this.random = options.random ?? Math.random;
    this.updateIntervalMs = options.updateIntervalMs ?? 1000;
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? THREE_HOURS;
    this.maxConcurrentSessions = options.maxConcurrentSessions ?? MAX_CONCURRENT_SESSIONS;
    this.maxEventsPerUpdate = options.maxEventsPerUpdate ?? 500;
    this.maxFilterPageSize = options.maxFilterPageSize ?? 10_000;
    this.maxFilterScan = options.maxFilterScan ?? Number.POSITIVE_INFINITY;
    this.ingestionDelayMs = options.ingestionDelayMs ?? 0;
    this.liveTailAcceptsNames = options.liveTailAcceptsNames ?? false;
    this.onFrameWritten = options.onFrameWritten;
    this.credentials = options.credentials;
    this.roles = options.roles;
    this.resultIdentifiers = options.resultIdentifiers ?? 'arn';
    this.changes.setMaxListeners(0);
    this.store.subscribe((region, group, events) => {
      for (const s of this.live.values()) s.offer(region, group, events);
    });
  }

  /** Listens; resolves with the endpoint (`http://host:port`). Idempotent. */
  async start(): Promise<string> {
    if (this.url) return this.url;
    const server = http.createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    this.url = `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${port}`;
    return this.url;
  }

  get endpoint(): string {
    if (!this.url) throw new Error('emulator not started');
    return this.url;
  }

  /** Ends every Live Tail session, closes every connection and the listener. Idempotent. */
  async stop(): Promise<void> {
    for (const s of [...this.live.values()]) s.end('server-stopped');
    const server = this.server;
    this.server = undefined;
    this.url = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  // --- data -----------------------------------------------------------------

  /** Ingests events as if put by PutLogEvents (without its checks), creating groups and streams on the fly. */
  ingest(events: readonly IngestEvent[], opts: { region?: string } = {}): void {
    const region = opts.region ?? this.region;
    const now = this.clock();
    let i = 0;
    while (i < events.length) {
      const first = events[i]!;
      let j = i + 1;
      while (j < events.length && events[j]!.logGroup === first.logGroup && events[j]!.logStream === first.logStream) j++;
      this.store.createGroup(region, first.logGroup, now);
      const group = this.store.group(region, first.logGroup)!;
      this.store.createStream(group, first.logStream, now);
      this.store.ingest(region, group, group.streams.get(first.logStream)!, events.slice(i, j), now);
      i = j;
    }
  }

  /** The ARN of a log group in this emulator's account (default region). */
  logGroupArn(name: string, opts: { region?: string } = {}): string {
    return ops.groupArn(this.context(opts.region ?? this.region), name);
  }

  // --- Live Tail sessions -----------------------------------------------------

  sessions(): LiveTailSessionInfo[] {
    return [...this.live.values()].map((s) => s.info());
  }

  /** StartLiveTail calls a `hang-*` fault holds now. */
  heldStartCount(): number {
    return this.held.size;
  }

  activeSessionCount(region?: string): number {
    let n = 0;
    for (const s of this.live.values()) if (region === undefined || s.region === region) n++;
    return n;
  }

  /** Sessions started since construction, how the ended ones ended, and the API calls received by operation. */
  /** How long after its ingestion FilterLogEvents sees an event (see EmulatorOptions.ingestionDelayMs). */
  setIngestionDelay(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`ingestion delay must be a non-negative number of ms, got ${ms}`);
    this.ingestionDelayMs = ms;
  }

  stats(): { started: number; active: number; ended: Partial<Record<SessionEndReason, number>>; calls: Record<string, number> } {
    return { started: this.sessionsStarted, active: this.live.size, ended: Object.fromEntries(this.endReasons), calls: Object.fromEntries(this.calls) };
  }

  /** Resolves once `test()` holds (checked now and after every session start/end), rejects after `timeoutMs`. */
  waitFor(test: () => boolean, timeoutMs = 5000): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!test()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`emulator: condition not reached within ${timeoutMs} ms (active sessions: ${this.live.size})`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.changes.off('change', check);
      };
      this.changes.on('change', check);
    });
  }

  /** Waits until exactly `n` sessions are active. */
  waitForActiveSessions(n: number, timeoutMs = 5000): Promise<void> {
    return this.waitFor(() => this.live.size === n, timeoutMs);
  }

  /** Sends a sessionUpdate on every (unstalled) session now. */
  flushUpdates(): void {
    for (const s of this.live.values()) s.flush();
  }

  /** Applies a fault; returns how many sessions it touched (session faults) or 0. */
  injectFault(fault: Fault): number {
    switch (fault.type) {
      case 'clear':
        this.refusals.clear();
        this.startFaults.clear();
        for (const s of this.live.values()) s.setStalled(false);
        for (const res of this.held) res.destroy();
        this.held.clear();
        return 0;
      case 'refuse':
        this.refusals.add(fault, this.clock());
        return 0;
      case 'next-start':
        this.startFaults.add(fault);
        return 0;
      case 'result-identifiers':
        this.resultIdentifiers = fault.form;
        return 0;
      case 'expire-credentials':
        this.expiredKeys.add(fault.accessKeyId);
        return 0;
      default: {
        const targets = [...this.live.values()].filter((s) => fault.sessionId === undefined || s.sessionId === fault.sessionId);
        for (const s of targets) {
          if (fault.type === 'drop') s.drop();
          else if (fault.type === 'streaming-exception') s.fail('SessionStreamingException', fault.message ?? 'Internal error while streaming (injected by the emulator).');
          else if (fault.type === 'timeout') s.fail('SessionTimeoutException', fault.message ?? 'Session timed out (injected by the emulator).');
          else if (fault.type === 'end') s.end();
          else if (fault.type === 'error-frame') s.failWithErrorFrame(fault.code ?? 'InternalFailure', fault.message ?? 'An internal error occurred (injected by the emulator).');
          else if (fault.type === 'unknown-event') s.sendUnknownEvent(fault.code ?? 'sessionHeartbeat');
          else if (fault.type === 'truncated-frame' || fault.type === 'bad-crc' || fault.type === 'reset-mid-frame') s.breakFrame(fault.type);
          else s.setStalled(fault.type === 'stall');
        }
        return targets.length;
      }
    }
  }

  // --- HTTP -----------------------------------------------------------------

  private context(region: string): ops.OperationContext {
    return { store: this.store, region, accountId: this.accountId, partition: 'aws', now: this.clock(), maxFilterPageSize: this.maxFilterPageSize, maxFilterScan: this.maxFilterScan, ingestionDelayMs: this.ingestionDelayMs };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    try {
      const path = (req.url ?? '/').split('?')[0]!;
      if (path.startsWith('/_emulator/')) return await handleAdmin(this, path, req, res);
      const target = req.headers['x-amz-target'];
      if (req.method === 'POST' && path === '/' && isStsRequest(req.headers['content-type'], target)) return await this.handleSts(req, res, requestId);
      if (req.method !== 'POST' || path !== '/' || typeof target !== 'string' || !target.startsWith(TARGET_PREFIX)) {
        throw new AwsError('UnknownOperationException', 'Expected POST / with an x-amz-target header Logs_20140328.<Operation>.');
      }
      const operation = target.slice(TARGET_PREFIX.length);
      this.calls.set(operation, (this.calls.get(operation) ?? 0) + 1);
      const signer = signingKey(req);
      if (signer !== undefined) this.signers.set(operation, (this.signers.get(operation) ?? new Set()).add(signer));
      const body = await readBody(req);
      if (this.credentials) {
        const denied = checkSignature(req, body, this.accepted(), this.clock(), (key) => this.expiredKeys.has(key));
        if (denied) throw denied;
      }
      let input: unknown;
      try {
        input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
      } catch {
        throw new AwsError('SerializationException', 'The request body is not valid JSON.');
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new AwsError('SerializationException', 'The request body must be a JSON object.');
      const ctx = this.context(signedRegion(req) ?? this.region);
      const refusal = this.refusals.check(operation, ctx.now, namedGroups(input as ops.OperationInput));
      if (refusal) throw refusal;
      if (operation === 'StartLiveTail') return this.startLiveTail(ctx, input as ops.OperationInput, requestId, res);
      const op = JSON_OPERATIONS[operation];
      if (!op) throw new AwsError('UnknownOperationException', `The emulator does not implement ${operation}.`);
      sendJson(res, 200, op(ctx, input as ops.OperationInput), requestId);
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof AwsError) sendJson(res, err.status, { __type: err.wireType, message: err.message }, requestId);
      else if (err instanceof BodyTooLarge) sendJson(res, 413, { __type: 'SerializationException', message: err.message }, requestId);
      else sendJson(res, 500, { __type: 'InternalFailure', message: err instanceof Error ? err.message : String(err) }, requestId);
    }
  }

  private accepted(): readonly EmulatorCredentials[] {
    return this.issued.length === 0 ? (this.credentials ?? []) : [...(this.credentials ?? []), ...this.issued];
  }

  /** STS (query protocol): AssumeRole, signed like any call when `credentials` are checked. */
  private async handleSts(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    try {
      const body = await readBody(req);
      this.calls.set('AssumeRole', (this.calls.get('AssumeRole') ?? 0) + 1);
      if (this.credentials) {
        const denied = checkSignature(req, body, this.accepted(), this.clock(), (key) => this.expiredKeys.has(key));
        if (denied) throw new StsError(denied.type === 'UnrecognizedClientException' ? 'InvalidClientTokenId' : denied.type === 'ExpiredTokenException' ? 'ExpiredToken' : 'SignatureDoesNotMatch', denied.message, 403);
      }
      const signedBy = signingKey(req);
      const form = new URLSearchParams(body.toString('utf8'));
      const out = assumeRole(form, { now: this.clock(), roles: this.roles, signedBy, requestId }, (c) => this.assumeRoleLog.push(c), (c) => this.issued.push(c));
      sendXml(res, 200, out, requestId);
    } catch (err) {
      const e = err instanceof StsError ? err : new StsError('InternalFailure', err instanceof Error ? err.message : String(err), 500);
      sendXml(res, e.status, stsErrorXml(e.code, e.message, requestId), requestId);
    }
  }

  /** The access keys that signed calls of `operation` (signed or not, accepted or not). */
  signersOf(operation: string): string[] {
    return [...(this.signers.get(operation) ?? [])].sort();
  }

  /** The STS AssumeRole calls received, in order. */
  assumeRoleCalls(): AssumeRoleCall[] {
    return [...this.assumeRoleLog];
  }

  private startLiveTail(ctx: ops.OperationContext, input: ops.OperationInput, requestId: string, res: ServerResponse): void {
    const { request, target } = resolveLiveTail(ctx, input, { acceptNames: this.liveTailAcceptsNames });
    if (this.activeSessionCount(ctx.region) >= this.maxConcurrentSessions) {
      throw new AwsError('LimitExceededException', `You have reached the maximum number of concurrent Live Tail sessions (${this.maxConcurrentSessions}).`);
    }
    const startFault = this.startFaults.take();
    if (startFault) return this.failStart(startFault, requestId, res);
    const session = new LiveTailSession({
      sessionId: randomUUID(),
      requestId,
      request,
      target,
      res,
      updateIntervalMs: this.updateIntervalMs,
      timeoutMs: this.sessionTimeoutMs,
      maxEventsPerUpdate: this.maxEventsPerUpdate,
      clock: this.clock,
      random: this.random,
      onFrameWritten: this.onFrameWritten,
      resultIdentifier: (name, requested) => (this.resultIdentifiers === 'arn' ? requested : this.resultIdentifiers === 'name' ? name : `${this.accountId}:${name}`),
      onEnd: (s, reason) => {
        this.live.delete(s.sessionId);
        this.endReasons.set(reason, (this.endReasons.get(reason) ?? 0) + 1);
        this.changes.emit('change');
      },
    });
    this.live.set(session.sessionId, session);
    this.sessionsStarted++;
    session.start();
    this.changes.emit('change');
  }

  /** A StartLiveTail call that gets a `next-start` fault instead of a session. */
  private failStart(fault: Extract<Fault, { type: 'next-start' }>, requestId: string, res: ServerResponse): void {
    const head = (): void => {
      res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': requestId });
      res.flushHeaders();
    };
    switch (fault.fault) {
      case 'reset-before-response':
        res.socket?.resetAndDestroy();
        res.destroy();
        return;
      case 'end-without-frame':
        head();
        res.end();
        return;
      case 'exception-first': {
        const type = fault.exception ?? 'SessionStreamingException';
        head();
        res.end(exceptionFrame(type, fault.message ?? 'Internal error while starting the session (injected by the emulator).'));
        return;
      }
      case 'hang-before-frame':
        head();
        break;
      case 'hang-before-headers':
        break;
    }
    this.held.add(res);
    res.once('close', () => this.held.delete(res));
  }
}
