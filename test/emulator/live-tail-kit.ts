/** Opening a Live Tail session with the real SDK and reading it frame by frame (helpers for the emulator tests). */
import {
  StartLiveTailCommand,
  type CloudWatchLogsClient,
  type LiveTailSessionStart,
  type LiveTailSessionUpdate,
  type StartLiveTailRequest,
  type StartLiveTailResponseStream,
} from '@aws-sdk/client-cloudwatch-logs';

export interface OpenSession {
  readonly start: LiveTailSessionStart;
  readonly sessionId: string;
  /** The next frame (rejects with what the SDK throws); `undefined` when the stream ended cleanly. */
  next(): Promise<StartLiveTailResponseStream | undefined>;
  /** The next frame, which must be a sessionUpdate. */
  nextUpdate(): Promise<LiveTailSessionUpdate>;
  abort(): void;
}

export async function openSession(client: CloudWatchLogsClient, input: StartLiveTailRequest): Promise<OpenSession> {
  const controller = new AbortController();
  const res = await client.send(new StartLiveTailCommand(input), { abortSignal: controller.signal });
  const it = res.responseStream![Symbol.asyncIterator]();
  const next = async (): Promise<StartLiveTailResponseStream | undefined> => {
    const r = await it.next();
    return r.done ? undefined : r.value;
  };
  const first = await next();
  const start = first?.sessionStart;
  if (!start?.sessionId) throw new Error(`expected sessionStart, got ${JSON.stringify(first)}`);
  return {
    start,
    sessionId: start.sessionId,
    next,
    async nextUpdate() {
      const frame = await next();
      if (!frame?.sessionUpdate) throw new Error(`expected sessionUpdate, got ${JSON.stringify(frame)}`);
      return frame.sessionUpdate;
    },
    abort: () => controller.abort(),
  };
}
