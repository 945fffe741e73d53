import {
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DescribeLogGroupsCommand,
  FilterLogEventsCommand,
  InvalidParameterException,
  PutLogEventsCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  type CloudWatchLogsClient,
  type FilteredLogEvent,
} from '@aws-sdk/client-cloudwatch-logs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeClient, startEmulator, type StartedEmulator } from '../kit/emulator.js';

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);

let emu: StartedEmulator;
let client: CloudWatchLogsClient;

beforeEach(async () => {
  emu = await startEmulator({ clock: () => T0 + 60_000, accountId: '111122223333', maxFilterPageSize: 7 });
  client = makeClient(emu.endpoint);
});

afterEach(async () => {
  client.destroy();
  await emu.close();
});

async function putEvents(group: string, stream: string, events: { timestamp: number; message: string }[]): Promise<void> {
  await client.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents: events }));
}

async function filterAll(input: Omit<ConstructorParameters<typeof FilterLogEventsCommand>[0], 'nextToken'>): Promise<{ events: FilteredLogEvent[]; pages: number }> {
  const events: FilteredLogEvent[] = [];
  let nextToken: string | undefined;
  let pages = 0;
  do {
    const page = await client.send(new FilterLogEventsCommand({ ...input, nextToken }));
    pages++;
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return { events, pages };
}

describe('log groups and streams', () => {
  it('creates groups and streams and refuses duplicates and missing parents with the SDK exception classes', async () => {
    await client.send(new CreateLogGroupCommand({ logGroupName: '/ecs/payments' }));
    await expect(client.send(new CreateLogGroupCommand({ logGroupName: '/ecs/payments' }))).rejects.toBeInstanceOf(ResourceAlreadyExistsException);
    await client.send(new CreateLogStreamCommand({ logGroupName: '/ecs/payments', logStreamName: 'api-1' }));
    await expect(client.send(new CreateLogStreamCommand({ logGroupName: '/ecs/payments', logStreamName: 'api-1' }))).rejects.toBeInstanceOf(ResourceAlreadyExistsException);
    await expect(client.send(new CreateLogStreamCommand({ logGroupName: '/nope', logStreamName: 'a' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(putEvents('/ecs/payments', 'missing', [{ timestamp: T0, message: 'x' }])).rejects.toThrow('The specified log stream does not exist.');
    await expect(client.send(new CreateLogGroupCommand({ logGroupName: 'bad name!' }))).rejects.toBeInstanceOf(InvalidParameterException);
  });

  it('describes log groups by prefix with both ARN forms for the configured account and region, paged', async () => {
    for (const name of ['/ecs/a', '/ecs/b', '/ecs/c', '/lambda/x']) await client.send(new CreateLogGroupCommand({ logGroupName: name }));
    const first = await client.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/ecs/', limit: 2 }));
    expect(first.logGroups?.map((g) => g.logGroupName)).toEqual(['/ecs/a', '/ecs/b']);
    expect(first.logGroups?.[0]).toMatchObject({
      arn: 'arn:aws:logs:us-east-1:111122223333:log-group:/ecs/a:*',
      logGroupArn: 'arn:aws:logs:us-east-1:111122223333:log-group:/ecs/a',
      creationTime: T0 + 60_000,
    });
    const second = await client.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/ecs/', limit: 2, nextToken: first.nextToken }));
    expect(second.logGroups?.map((g) => g.logGroupName)).toEqual(['/ecs/c']);
    expect(second.nextToken).toBeUndefined();
  });

  it('keeps log groups per region, taken from the request signature', async () => {
    await client.send(new CreateLogGroupCommand({ logGroupName: '/ecs/a' }));
    const eu = makeClient(emu.endpoint, { region: 'eu-west-1' });
    try {
      expect((await eu.send(new DescribeLogGroupsCommand({}))).logGroups).toEqual([]);
      await eu.send(new CreateLogGroupCommand({ logGroupName: '/ecs/a' }));
      const [group] = (await eu.send(new DescribeLogGroupsCommand({}))).logGroups ?? [];
      expect(group?.logGroupArn).toBe('arn:aws:logs:eu-west-1:111122223333:log-group:/ecs/a');
    } finally {
      eu.destroy();
    }
  });
});

describe('PutLogEvents then FilterLogEvents', () => {
  beforeEach(async () => {
    await client.send(new CreateLogGroupCommand({ logGroupName: '/ecs/payments' }));
    await client.send(new CreateLogStreamCommand({ logGroupName: '/ecs/payments', logStreamName: 'api-1' }));
    await client.send(new CreateLogStreamCommand({ logGroupName: '/ecs/payments', logStreamName: 'api-2' }));
    await client.send(new CreateLogStreamCommand({ logGroupName: '/ecs/payments', logStreamName: 'worker-1' }));
    await putEvents('/ecs/payments', 'api-1', Array.from({ length: 10 }, (_, i) => ({ timestamp: T0 + i * 2, message: `api-1 event ${i} ${i % 2 ? 'ERROR' : 'INFO'}` })));
    await putEvents('/ecs/payments', 'api-2', Array.from({ length: 10 }, (_, i) => ({ timestamp: T0 + i * 2 + 1, message: `api-2 event ${i} ${i % 2 ? 'ERROR' : 'INFO'}` })));
    await putEvents('/ecs/payments', 'worker-1', [{ timestamp: T0 + 5, message: 'worker ERROR' }]);
  });

  it('returns every event once, in timestamp order, across pages, with eventIds and ingestion times', async () => {
    const { events, pages } = await filterAll({ logGroupName: '/ecs/payments' });
    expect(pages).toBe(3); // 21 events, pages capped at 7
    expect(events).toHaveLength(21);
    const stamps = events.map((e) => e.timestamp!);
    expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
    expect(new Set(events.map((e) => e.eventId)).size).toBe(21);
    expect(events[0]).toMatchObject({ logStreamName: 'api-1', message: 'api-1 event 0 INFO', timestamp: T0, ingestionTime: T0 + 60_000 });
  });

  it('applies the filter pattern, the time range (both ends inclusive) and the stream filters', async () => {
    const errors = await filterAll({ logGroupIdentifier: 'arn:aws:logs:us-east-1:111122223333:log-group:/ecs/payments', filterPattern: 'ERROR' });
    expect(errors.events.map((e) => e.message)).toHaveLength(11);
    const range = await filterAll({ logGroupName: '/ecs/payments', startTime: T0 + 4, endTime: T0 + 6 });
    expect(range.events.map((e) => e.timestamp)).toEqual([T0 + 4, T0 + 5, T0 + 5, T0 + 6]);
    const byPrefix = await filterAll({ logGroupName: '/ecs/payments', logStreamNamePrefix: 'worker' });
    expect(byPrefix.events.map((e) => e.message)).toEqual(['worker ERROR']);
    const byNames = await filterAll({ logGroupName: '/ecs/payments', logStreamNames: ['api-2'], filterPattern: 'ERROR' });
    expect(byNames.events.map((e) => e.logStreamName)).toEqual(Array(5).fill('api-2'));
  });

  it('applies JSON filter patterns and refuses patterns that do not compile', async () => {
    await putEvents('/ecs/payments', 'worker-1', [
      { timestamp: T0 + 30, message: '{"level": "error", "ms": 2500}' },
      { timestamp: T0 + 31, message: '{"level": "error", "ms": 10}' },
    ]);
    const slow = await filterAll({ logGroupName: '/ecs/payments', filterPattern: '{ $.level = "error" && $.ms > 2000 }' });
    expect(slow.events.map((e) => e.message)).toEqual(['{"level": "error", "ms": 2500}']);
    await expect(client.send(new FilterLogEventsCommand({ logGroupName: '/ecs/payments', filterPattern: '{ $.level = ' }))).rejects.toThrow(/^Invalid filterPattern at column \d+/);
  });

  it('honours limit and rejects bad parameters like the service', async () => {
    const page = await client.send(new FilterLogEventsCommand({ logGroupName: '/ecs/payments', limit: 2 }));
    expect(page.events).toHaveLength(2);
    expect(page.nextToken).toBeTypeOf('string');
    await expect(client.send(new FilterLogEventsCommand({ logGroupName: '/ecs/payments', nextToken: 'garbage' }))).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(client.send(new FilterLogEventsCommand({ logGroupName: '/ecs/payments', logGroupIdentifier: '/ecs/payments' }))).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(client.send(new FilterLogEventsCommand({ logGroupName: '/ecs/payments', logStreamNames: ['api-1'], logStreamNamePrefix: 'api' }))).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(client.send(new FilterLogEventsCommand({ logGroupIdentifier: 'arn:aws:logs:us-east-1:999999999999:log-group:/ecs/payments' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('rejects unordered batches and reports events too old or too new without storing them', async () => {
    await expect(putEvents('/ecs/payments', 'api-1', [{ timestamp: T0 + 2, message: 'b' }, { timestamp: T0 + 1, message: 'a' }])).rejects.toBeInstanceOf(InvalidParameterException);
    const now = T0 + 60_000;
    const put = (logEvents: { timestamp: number; message: string }[]) => client.send(new PutLogEventsCommand({ logGroupName: '/ecs/payments', logStreamName: 'worker-1', logEvents }));
    const old = await put([{ timestamp: now - 15 * 86_400_000, message: 'ancient' }, { timestamp: now - 15 * 86_400_000 + 1, message: 'ancient too' }]);
    expect(old.rejectedLogEventsInfo).toEqual({ tooOldLogEventEndIndex: 1 });
    const mixed = await put([{ timestamp: now, message: 'fresh' }, { timestamp: now + 3 * 3_600_000, message: 'future' }]);
    expect(mixed.rejectedLogEventsInfo).toEqual({ tooNewLogEventStartIndex: 1 });
    await expect(put([{ timestamp: now - 2 * 86_400_000, message: 'a' }, { timestamp: now, message: 'b' }])).rejects.toThrow('cannot span more than 24 hours');
    const worker = await filterAll({ logGroupName: '/ecs/payments', logStreamNames: ['worker-1'] });
    expect(worker.events.map((e) => e.message)).toEqual(['worker ERROR', 'fresh']);
  });
});

describe('FilterLogEvents scans a bounded stretch a call', () => {
  it('returns empty and partial pages that still carry a nextToken, and the tokens reach every match', async () => {
    await emu.close();
    emu = await startEmulator({ clock: () => T0 + 60_000, maxFilterScan: 5 });
    client.destroy();
    client = makeClient(emu.endpoint);
    await client.send(new CreateLogGroupCommand({ logGroupName: '/g' }));
    await client.send(new CreateLogStreamCommand({ logGroupName: '/g', logStreamName: 's' }));
    // 20 lines, the 3rd and the 18th match: pages of 5 scanned lines, several with no match.
    await putEvents('/g', 's', Array.from({ length: 20 }, (_, i) => ({ timestamp: T0 + i, message: i === 2 || i === 17 ? `ERROR ${i}` : `INFO ${i}` })));
    const first = await client.send(new FilterLogEventsCommand({ logGroupName: '/g', filterPattern: 'ERROR' }));
    expect(first.events?.map((e) => e.message)).toEqual(['ERROR 2']);
    const second = await client.send(new FilterLogEventsCommand({ logGroupName: '/g', filterPattern: 'ERROR', nextToken: first.nextToken }));
    expect(second.events).toEqual([]);
    expect(second.nextToken).toBeDefined();
    const all = await filterAll({ logGroupName: '/g', filterPattern: 'ERROR' });
    expect(all.events.map((e) => e.message)).toEqual(['ERROR 2', 'ERROR 17']);
    expect(all.pages).toBe(4);
  });
});

describe('FilterLogEvents sees an event only after the ingestion delay', () => {
  it('hides events ingested less than ingestionDelayMs ago; the delay can change while running (option, method, admin route)', async () => {
    await emu.close();
    let now = T0 + 60_000;
    emu = await startEmulator({ clock: () => now, ingestionDelayMs: 2_000 });
    client.destroy();
    client = makeClient(emu.endpoint);
    await client.send(new CreateLogGroupCommand({ logGroupName: '/g' }));
    await client.send(new CreateLogStreamCommand({ logGroupName: '/g', logStreamName: 's' }));
    await putEvents('/g', 's', [{ timestamp: T0, message: 'early' }]);
    now += 1_000;
    await putEvents('/g', 's', [{ timestamp: T0 + 1, message: 'late' }]);
    now += 1_000; // 'early' was ingested 2 s ago, 'late' 1 s ago
    expect((await filterAll({ logGroupName: '/g' })).events.map((e) => e.message)).toEqual(['early']);
    now += 1_000;
    expect((await filterAll({ logGroupName: '/g' })).events.map((e) => e.message)).toEqual(['early', 'late']);
    const res = await fetch(`${emu.endpoint}/_emulator/ingestion-delay`, { method: 'POST', body: JSON.stringify({ ms: 10_000 }) });
    expect(await res.json()).toEqual({ ingestionDelayMs: 10_000 });
    expect((await filterAll({ logGroupName: '/g' })).events).toEqual([]);
    emu.emulator.setIngestionDelay(0);
    expect((await filterAll({ logGroupName: '/g' })).events).toHaveLength(2);
    const bad = await fetch(`${emu.endpoint}/_emulator/ingestion-delay`, { method: 'POST', body: '{"ms":-1}' });
    expect(bad.status).toBe(400);
  });
});
