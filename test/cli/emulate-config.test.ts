// `tailwatch emulate -c CONFIG` (child process): the emulator's region and account come from the
// config, so the ARNs the daemon builds from aws.accountId name groups the emulator has.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CreateLogGroupCommand, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeClient } from '../kit/emulator.js';
import { makeProject } from '../kit/project.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/tailwatch.js');

beforeAll(async () => {
  const built = await stat(path.join(ROOT, 'dist/cli/emulate.js')).catch(() => undefined);
  const source = await stat(path.join(ROOT, 'src/cli/emulate.ts'));
  if (!built || built.mtimeMs < source.mtimeMs) execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', ROOT], { stdio: 'ignore' });
}, 120_000);

let child: ChildProcess | undefined;
afterEach(() => {
  child?.kill('SIGKILL');
  child = undefined;
});

async function emulate(dir: string, args: string[]): Promise<{ endpoint: string; stderr: () => string }> {
  const c = spawn(process.execPath, [BIN, 'emulate', '--port', '0', ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] } });
  child = c;
  let stderr = '';
  c.stderr!.on('data', (d) => (stderr += d));
  const endpoint = await new Promise<string>((resolve, reject) => {
    createInterface({ input: c.stdout! }).once('line', resolve);
    c.once('exit', (code) => reject(new Error(`emulate exited (${code}): ${stderr}`)));
  });
  return { endpoint, stderr: () => stderr };
}

/** Creates a group with an unsigned request (the emulator's default region), then lists it as a client of `region` sees it. */
async function arnsSeenFrom(endpoint: string, region: string): Promise<string[]> {
  const res = await fetch(endpoint, { method: 'POST', headers: { 'x-amz-target': 'Logs_20140328.CreateLogGroup', 'content-type': 'application/x-amz-json-1.1' }, body: JSON.stringify({ logGroupName: '/demo/app' }) });
  expect(res.status).toBe(200);
  const client = makeClient(endpoint, { region });
  try {
    return ((await client.send(new DescribeLogGroupsCommand({}))).logGroups ?? []).map((g) => g.logGroupArn!);
  } finally {
    client.destroy();
  }
}

const CONFIG = 'aws: { region: eu-west-1, accountId: "111122223333", endpoint: "http://127.0.0.1:4566" }\n';

describe('tailwatch emulate -c CONFIG', () => {
  it('takes the region (of unsigned requests) and the account (of ARNs) from the config', async () => {
    const dir = makeProject({ 'conf/tailwatch.yaml': CONFIG });
    const { endpoint, stderr } = await emulate(dir, ['-c', 'conf/tailwatch.yaml']);
    expect(await arnsSeenFrom(endpoint, 'eu-west-1')).toEqual(['arn:aws:logs:eu-west-1:111122223333:log-group:/demo/app']);
    expect(stderr()).toBe('');
  }, 20_000);

  it('reads ./tailwatch.yaml without -c; --region and --account-id win over the config', async () => {
    const dir = makeProject({ 'tailwatch.yaml': CONFIG });
    const { endpoint } = await emulate(dir, ['--account-id', '444455556666', '--region', 'us-west-2']);
    expect(await arnsSeenFrom(endpoint, 'us-west-2')).toEqual(['arn:aws:logs:us-west-2:444455556666:log-group:/demo/app']);
  }, 20_000);

  it('an invalid config: one line saying so, and the built-in region and account', async () => {
    const dir = makeProject({ 'tailwatch.yaml': 'aws: { region: eu-west-1, accountId: "111122223333" }\ndestinations:\n  hook: { type: webhook, url: "${HOOK_URL}" }\n' });
    const { endpoint, stderr } = await emulate(dir, []);
    expect(await arnsSeenFrom(endpoint, 'us-east-1')).toEqual(['arn:aws:logs:us-east-1:123456789012:log-group:/demo/app']);
    expect(stderr()).toBe('tailwatch emulate: tailwatch.yaml has errors (tailwatch validate lists them): region and account not taken from it\n');
  }, 20_000);
});
