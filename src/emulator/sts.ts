/**
 * STS AssumeRole as the emulator answers it: the query protocol (POST `/`, a form body
 * `Action=AssumeRole&Version=2011-06-15&RoleArn=…`) and its XML response, so the SDK's own
 * `fromTemporaryCredentials` works against the emulator. The credentials it issues are added
 * to those the emulator's SigV4 checking accepts, valid for DurationSeconds on the emulator's
 * clock. Errors are STS's XML `ErrorResponse` (AccessDenied is HTTP 403).
 */
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { EmulatorCredentials } from './sigv4.js';

/** What the emulator expects of a role's AssumeRole call (the role's trust policy, reduced to its external id). */
export interface EmulatorRole {
  /** When set, AssumeRole must carry this ExternalId (the trust policy's sts:ExternalId condition). */
  readonly externalId?: string | undefined;
}

/** One AssumeRole call as received (tests assert what the SDK sent). */
export interface AssumeRoleCall {
  readonly roleArn: string;
  readonly roleSessionName: string | undefined;
  readonly externalId: string | undefined;
  readonly durationSeconds: number | undefined;
  /** The access key that signed the call (the base identity), or undefined when unsigned. */
  readonly signedBy: string | undefined;
  /** The access key issued, or undefined when refused. */
  readonly issued: string | undefined;
}

export class StsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:.*\/)?([\w+=,.@-]+)$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const DEFAULT_DURATION_S = 3600;

/** Whether a request is an STS query-protocol call (a form body, no x-amz-target). */
export function isStsRequest(contentType: string | undefined, target: unknown): boolean {
  return target === undefined && typeof contentType === 'string' && contentType.startsWith('application/x-www-form-urlencoded');
}

/**
 * Answers one STS call. `roles`: the roles that may be assumed and how (undefined: any role, no
 * external id); `issue` keeps the new credentials for SigV4 checking.
 */
export function assumeRole(
  form: URLSearchParams,
  ctx: { readonly now: number; readonly roles: Readonly<Record<string, EmulatorRole>> | undefined; readonly signedBy: string | undefined; readonly requestId: string },
  record: (call: AssumeRoleCall) => void,
  issue: (creds: EmulatorCredentials) => void,
): string {
  const action = form.get('Action');
  if (action !== 'AssumeRole') throw new StsError('InvalidAction', `The emulator does not implement STS ${action ?? '(no Action)'}.`, 400);
  const roleArn = form.get('RoleArn') ?? '';
  const sessionName = form.get('RoleSessionName') ?? undefined;
  const externalId = form.get('ExternalId') ?? undefined;
  const durationText = form.get('DurationSeconds');
  const durationSeconds = durationText === null ? undefined : Number(durationText);
  const call = { roleArn, roleSessionName: sessionName, externalId, durationSeconds, signedBy: ctx.signedBy };
  const deny = (): never => {
    record({ ...call, issued: undefined });
    throw new StsError('AccessDenied', `User: ${ctx.signedBy ? `access key ${ctx.signedBy}` : 'anonymous'} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`, 403);
  };
  const m = ROLE_ARN.exec(roleArn);
  if (!m) {
    record({ ...call, issued: undefined });
    throw new StsError('ValidationError', `${roleArn} is invalid`, 400);
  }
  if (sessionName === undefined || !SESSION_NAME.test(sessionName)) {
    record({ ...call, issued: undefined });
    throw new StsError('ValidationError', "1 validation error detected: Value at 'roleSessionName' failed to satisfy constraint", 400);
  }
  if (durationSeconds !== undefined && (!Number.isInteger(durationSeconds) || durationSeconds < 900 || durationSeconds > 43_200)) {
    record({ ...call, issued: undefined });
    throw new StsError('ValidationError', `1 validation error detected: Value '${durationText}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200`, 400);
  }
  if (ctx.roles !== undefined) {
    const role = ctx.roles[roleArn];
    if (!role || (role.externalId !== undefined && role.externalId !== externalId)) deny();
  }
  const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
  const creds: EmulatorCredentials = {
    accessKeyId,
    secretAccessKey: randomBytes(30).toString('base64'),
    sessionToken: randomBytes(48).toString('base64'),
    expiresAt: ctx.now + (durationSeconds ?? DEFAULT_DURATION_S) * 1000,
  };
  issue(creds);
  record({ ...call, issued: accessKeyId });
  const [, account, roleName] = m as unknown as [string, string, string];
  return xml(
    `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>` +
      `<AssumedRoleUser><Arn>arn:aws:sts::${account}:assumed-role/${esc(roleName)}/${esc(sessionName)}</Arn><AssumedRoleId>AROAEMULATOR:${esc(sessionName)}</AssumedRoleId></AssumedRoleUser>` +
      `<Credentials><AccessKeyId>${accessKeyId}</AccessKeyId><SecretAccessKey>${esc(creds.secretAccessKey)}</SecretAccessKey><SessionToken>${esc(creds.sessionToken!)}</SessionToken><Expiration>${new Date(creds.expiresAt!).toISOString()}</Expiration></Credentials>` +
      `</AssumeRoleResult><ResponseMetadata><RequestId>${ctx.requestId}</RequestId></ResponseMetadata></AssumeRoleResponse>`,
  );
}

/** STS's error body. */
export function stsErrorXml(code: string, message: string, requestId: string): string {
  const type = code === 'InternalFailure' ? 'Receiver' : 'Sender';
  return xml(`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>${type}</Type><Code>${esc(code)}</Code><Message>${esc(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`);
}

export function sendXml(res: ServerResponse, status: number, body: string, requestId: string): void {
  res.writeHead(status, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(body), 'x-amzn-requestid': requestId });
  res.end(body);
}

function xml(body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
}

function esc(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
