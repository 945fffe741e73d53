/**
 * The emulator's request and response plumbing: a bounded body reader, the
 * AWS JSON 1.1 answer (with `x-amzn-requestid` and `x-amzn-errortype`), and
 * what a request's SigV4 `Authorization` header names (key, region) and its
 * input names (log groups, for refusals aimed at one group).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseLogGroupArn } from '../aws/index.js';
import type * as ops from './operations.js';

const MAX_BODY_BYTES = 8 * 1024 * 1024;

export class BodyTooLarge extends Error {}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        req.pause();
        reject(new BodyTooLarge(`request body larger than ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, requestId?: string): void {
  const text = JSON.stringify(body);
  const headers: Record<string, string | number> = { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(text) };
  if (requestId) headers['x-amzn-requestid'] = requestId;
  if (status >= 400 && typeof (body as { __type?: unknown }).__type === 'string') headers['x-amzn-errortype'] = (body as { __type: string }).__type;
  res.writeHead(status, headers);
  res.end(text);
}

/** The log group names a request names (by name or ARN), for refusals aimed at one group. */
export function namedGroups(input: ops.OperationInput): string[] {
  const ids = [input['logGroupName'], input['logGroupIdentifier'], ...(Array.isArray(input['logGroupIdentifiers']) ? input['logGroupIdentifiers'] : [])];
  return ids.filter((id): id is string => typeof id === 'string').map((id) => parseLogGroupArn(id)?.name ?? id);
}

/** The access key of the SigV4 credential scope, if the request is signed. */
export function signingKey(req: IncomingMessage): string | undefined {
  const auth = req.headers['authorization'];
  return typeof auth === 'string' ? /Credential=([^/,\s]+)\//.exec(auth)?.[1] : undefined;
}

/** The region of the SigV4 credential scope, if the request is signed. */
export function signedRegion(req: IncomingMessage): string | undefined {
  const auth = req.headers['authorization'];
  if (typeof auth !== 'string') return undefined;
  return /Credential=[^/,\s]+\/\d{8}\/([a-z0-9-]+)\//.exec(auth)?.[1];
}
