/**
 * SigV4 checking for an emulator started with credentials: the request's
 * signature is computed again from the canonical request (AWS Signature
 * Version 4, as the SDK's signer builds it) with the secret of the access key
 * it names, and a request that is unsigned, names an unknown key or token,
 * carries an expired session token, or whose signature differs is answered
 * as the service answers it. Written with node:crypto: the SDK's signer is
 * only a transitive dependency.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AwsError, badSignature, expiredToken, unsigned } from './errors.js';

/** Credentials the emulator accepts. */
export interface EmulatorCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** When set, requests must carry it (`x-amz-security-token`). */
  readonly sessionToken?: string | undefined;
  /** Emulator-clock epoch ms from which the session token is expired (ExpiredTokenException). */
  readonly expiresAt?: number | undefined;
}

const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;_.-]+),\s*Signature=([0-9a-f]{64})$/;

/**
 * The error to answer with, or undefined when the request is signed by one of `accepted`.
 * `expired(accessKeyId)` says whether a key's token was expired since (a fault).
 */
export function checkSignature(req: IncomingMessage, body: Buffer, accepted: readonly EmulatorCredentials[], now: number, expired: (accessKeyId: string) => boolean): AwsError | undefined {
  const auth = req.headers['authorization'];
  if (typeof auth !== 'string') return unsigned();
  const m = AUTH.exec(auth);
  if (!m) return badSignature();
  const [, keyId, date, region, service, signedHeaderList, signature] = m as unknown as [string, string, string, string, string, string, string];
  const creds = accepted.find((c) => c.accessKeyId === keyId);
  if (!creds) return unsigned();
  const token = req.headers['x-amz-security-token'];
  if (creds.sessionToken !== undefined && token !== creds.sessionToken) return unsigned();
  if (creds.sessionToken !== undefined && (expired(keyId) || (creds.expiresAt !== undefined && now >= creds.expiresAt))) return expiredToken();
  const amzDate = req.headers['x-amz-date'];
  if (typeof amzDate !== 'string' || !amzDate.startsWith(date)) return badSignature();
  const signedHeaders = signedHeaderList.split(';');
  if (!signedHeaders.includes('host') || (token !== undefined && !signedHeaders.includes('x-amz-security-token'))) return badSignature();
  const expected = signatureOf(req, body, { secret: creds.secretAccessKey, amzDate, scope: `${date}/${region}/${service}/aws4_request`, signedHeaders });
  if (expected === undefined) return badSignature();
  return timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(signature, 'hex')) ? undefined : badSignature();
}

/** The hex signature of `req` (undefined: a signed header is missing). */
export function signatureOf(req: IncomingMessage, body: Buffer, s: { secret: string; amzDate: string; scope: string; signedHeaders: readonly string[] }): string | undefined {
  const [pathPart, query = ''] = (req.url ?? '/').split('?', 2) as [string, string?];
  const canonicalHeaders: string[] = [];
  for (const name of s.signedHeaders) {
    const raw = req.headersDistinct[name];
    if (raw === undefined) return undefined;
    canonicalHeaders.push(`${name}:${raw.map((v) => v.trim().replace(/\s+/g, ' ')).join(',')}\n`);
  }
  const payloadHeader = req.headers['x-amz-content-sha256'];
  const payloadHash = typeof payloadHeader === 'string' ? payloadHeader : sha256(body);
  const canonicalRequest = [req.method ?? 'POST', canonicalPath(pathPart), canonicalQuery(query), canonicalHeaders.join(''), s.signedHeaders.join(';'), payloadHash].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', s.amzDate, s.scope, sha256(canonicalRequest)].join('\n');
  const [date, region, service] = s.scope.split('/') as [string, string, string];
  let key: Buffer = hmac(`AWS4${s.secret}`, date);
  for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
  return hmac(key, stringToSign).toString('hex');
}

/** Each segment URI-encoded again (non-S3 services sign the path encoded twice). */
function canonicalPath(path: string): string {
  return path
    .split('/')
    .map((seg) => encodeRfc3986(seg))
    .join('/');
}

function canonicalQuery(query: string): string {
  if (query === '') return '';
  return query
    .split('&')
    .map((kv) => {
      const [k, v = ''] = kv.split('=', 2) as [string, string?];
      return [encodeRfc3986(decodeURIComponent(k)), encodeRfc3986(decodeURIComponent(v))] as const;
    })
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function encodeRfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}
