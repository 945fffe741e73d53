/**
 * The alerts decided from one Live Tail update reach the sink in ONE
 * `enqueueMany` call (the outbox writes them in one transaction, one fsync),
 * before `onEvents` returns — also those decided before an event that throws.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RoutedAlert } from '../../src/model/alert.js';
import type { LogEvent, SourceBatch } from '../../src/model/event.js';
import { Daemon, type RunningDaemon } from '../../src/daemon/daemon.js';
import type { AlertSink, EventsHandler } from '../../src/model/ports.js';
import { captureLog } from '../kit/log.js';
import { daemonProject } from '../kit/project.js';

const daemons: RunningDaemon[] = [];
afterEach(async () => {
  while (daemons.length) await daemons.pop()!.stop();
});

async function daemonWith(sink: AlertSink): Promise<EventsHandler> {
  const dir = daemonProject(`rules:\n  - id: every-error\n    source: { logGroups: [/app], filterPattern: '{ $.level = "ERROR" }' }\n`, { prefix: 'tw-batch-' });
  let handler: EventsHandler | undefined;
  const d = new Daemon({
    load: { configPath: path.join(dir, 'tailwatch.yaml'), configRequired: true, env: {}, cwd: dir },
    logger: captureLog('warn').logger,
    createSource: (onEvents) => {
      handler = onEvents;
      return { apply: async () => {}, health: () => ({ ready: true, details: [], unhealthyRules: [] }), sourceIds: () => ['s'], stop: async () => {} };
    },
    createSink: () => sink,
  });
  daemons.push(await d.start());
  return handler!;
}

/** One Live Tail update: its events, the session's watermark at its newest event. */
const update = (events: LogEvent[]): SourceBatch => ({ source: 's', rules: ['every-error'], events, watermark: Math.max(...events.map((e) => e.timestamp)) });

const event = (i: number, message = `{"level":"ERROR","n":${i}}`): LogEvent => ({ timestamp: Date.now() - 10_000 + i, logGroup: '/app', logStream: 's', message });

function recordingSink(): AlertSink & { many: RoutedAlert[][]; one: RoutedAlert[] } {
  const many: RoutedAlert[][] = [];
  const one: RoutedAlert[] = [];
  return { many, one, enqueue: (r) => void one.push(r), enqueueMany: (rs) => void many.push([...rs]), depth: () => 0, start() {}, close: async () => {} };
}

describe('the daemon hands the outbox one batch per Live Tail update', () => {
  it('enqueues the alerts of one update in one enqueueMany call', async () => {
    const sink = recordingSink();
    const onEvents = await daemonWith(sink);
    onEvents(update([event(1), event(2), { ...event(3), message: '{"level":"INFO"}' }, event(4)]));
    expect(sink.one).toEqual([]);
    expect(sink.many).toHaveLength(1);
    expect(sink.many[0]!.map((r) => r.alert.events.at(-1)?.message)).toEqual([event(1).message, event(2).message, event(4).message]);
    onEvents(update([event(5)]));
    expect(sink.many).toHaveLength(2);
  });
});
