// The emulator's STS AssumeRole through the real SDK (fromTemporaryCredentials, query protocol):
// the credentials it issues sign CloudWatch Logs calls that the SigV4 checking accepts until they
// expire, a role's expected external id is enforced with STS's AccessDenied, and credentials that
// are about to expire are refreshed by the SDK with a new AssumeRole.
import { DescribeLogGroupsCommand, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { afterEach, describe, expect, it } from 'vitest';
import type { EmulatorOptions } from '../../src/emulator/index.js';
import { makeClient, startEmulator, type StartedEmulator } from '../kit/emulator.js';

const BASE = { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'emulator-secret' };
const ROLE = 'arn:aws:iam::123456789012:role/reader';

let emu: StartedEmulator | undefined;
const clients: CloudWatchLogsClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await emu?.close();
  emu = undefined;
});

async function roleClient(opts: EmulatorOptions, params: { ExternalId?: string; DurationSeconds?: number } = {}): Promise<{ e: StartedEmulator; client: CloudWatchLogsClient }> {
  emu = await startEmulator({ credentials: [BASE], roles: { [ROLE]: { externalId: 'ext-1' } }, ...opts });
  const e = emu;
  const credentials = fromTemporaryCredentials({ params: { RoleArn: ROLE, RoleSessionName: 'tw-test', ...params }, masterCredentials: BASE, clientConfig: { region: 'us-east-1', endpoint: e.endpoint } });
  const client = makeClient(e.endpoint, { credentials });
  clients.push(client);
  return { e, client };
}

describe('STS AssumeRole', () => {
  it('issues credentials the SigV4 checking accepts, records the call, and the base identity that signed it', async () => {
    const { e, client } = await roleClient({}, { ExternalId: 'ext-1', DurationSeconds: 1800 });
    await client.send(new DescribeLogGroupsCommand({}));
    const calls = e.emulator.assumeRoleCalls();
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ roleArn: ROLE, externalId: 'ext-1', roleSessionName: 'tw-test', durationSeconds: 1800, signedBy: BASE.accessKeyId });
    expect(e.emulator.signersOf('DescribeLogGroups')).toEqual([calls[0]!.issued]);
    const creds = await client.config.credentials();
    expect(creds.sessionToken).toBeTruthy();
    expect(Math.round((creds.expiration!.getTime() - Date.now()) / 60_000)).toBe(30);
  });

  it('a wrong external id: AccessDenied (HTTP 403) as STS sends it', async () => {
    const { e, client } = await roleClient({}, { ExternalId: 'ext-wrong' });
    const err = (await client.send(new DescribeLogGroupsCommand({})).catch((x: unknown) => x)) as { name: string; $fault: string; $metadata: { httpStatusCode: number }; message: string };
    expect(err).toMatchObject({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 } });
    expect(err.message).toContain(`sts:AssumeRole on resource: ${ROLE}`);
    expect(e.emulator.assumeRoleCalls()[0]).toMatchObject({ externalId: 'ext-wrong', issued: undefined });
    expect(e.emulator.signersOf('DescribeLogGroups')).toEqual([]);
  });

  it('an AssumeRole signed with unknown credentials is refused (InvalidClientTokenId)', async () => {
    emu = await startEmulator({ credentials: [BASE] });
    const credentials = fromTemporaryCredentials({ params: { RoleArn: ROLE, RoleSessionName: 'tw-test' }, masterCredentials: { accessKeyId: 'AKIDOTHER', secretAccessKey: 'x' }, clientConfig: { region: 'us-east-1', endpoint: emu.endpoint } });
    const client = makeClient(emu.endpoint, { credentials });
    clients.push(client);
    await expect(client.send(new DescribeLogGroupsCommand({}))).rejects.toMatchObject({ name: 'InvalidClientTokenId', $metadata: { httpStatusCode: 403 } });
  });

  it('credentials about to expire are refreshed by the SDK with a new AssumeRole; expired ones are refused', async () => {
    // The emulator's clock runs 11 minutes behind: 15-minute credentials expire 4 minutes from
    // now, inside the SDK's 5-minute refresh window, so every call assumes the role again.
    let offset = -11 * 60_000;
    const { e, client } = await roleClient({ clock: () => Date.now() + offset }, { ExternalId: 'ext-1', DurationSeconds: 900 });
    await client.send(new DescribeLogGroupsCommand({}));
    await client.send(new DescribeLogGroupsCommand({}));
    const calls = e.emulator.assumeRoleCalls();
    const signers = e.emulator.signersOf('DescribeLogGroups');
    // Each call was signed with credentials of its own AssumeRole (the SDK may ask more than once a call).
    expect(signers).toHaveLength(2);
    const issued = new Set(calls.map((c) => c.issued));
    for (const k of signers) expect(issued.has(k)).toBe(true);
    // The emulator's clock jumps past their expiry: a client that keeps them is refused.
    const kept = await client.config.credentials();
    offset = 60 * 60_000;
    const stale = makeClient(e.endpoint, { credentials: kept });
    clients.push(stale);
    await expect(stale.send(new DescribeLogGroupsCommand({}))).rejects.toMatchObject({ name: 'ExpiredTokenException' });
  });
});
