/** Helpers for Live Tail source tests: a config for an emulator, collected events, metrics and logs. */
import { pino, type Logger } from 'pino';
import { defaultConfig } from '../../src/config/config.js';
import type { Config, SessionsConfig } from '../../src/model/config.js';
import type { LogEvent, SourceBatch } from '../../src/model/event.js';
import type { SourceMetrics } from '../../src/livetail/index.js';

/** Sessions `precise` unless told otherwise: the supervision tests count on a session per rule. */
export function emulatorConfig(endpoint: string, sessions: Partial<SessionsConfig> = {}, aws: Partial<Config['aws']> = {}): Config {
  const base = defaultConfig('/tmp');
  return {
    ...base,
    aws: { region: 'us-east-1', accountId: '123456789012', endpoint, ...aws },
    sessions: { ...base.sessions, strategy: 'precise', backoff: { initialMs: 50, maxMs: 200 }, stallAfterMs: 1_500, graceMs: 1_000, completionDelayMs: 300, completionMaxLagMs: 5_000, ...sessions },
  };
}

export interface Recorded {
  started: string[];
  restarts: { session: string; reason: string }[];
  sampled: string[];
  backfilled: { session: string; events: number }[];
}

export function recordingMetrics(): SourceMetrics & { rec: Recorded } {
  const rec: Recorded = { started: [], restarts: [], sampled: [], backfilled: [] };
  return {
    rec,
    sessionStarted: (s) => void rec.started.push(s),
    sessionRestarted: (session, reason) => void rec.restarts.push({ session, reason }),
    sampledUpdate: (s) => void rec.sampled.push(s),
    backfilled: (session, events) => void rec.backfilled.push({ session, events }),
  };
}

export function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug', base: undefined }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { logger, lines };
}

export class Collector {
  readonly events: LogEvent[] = [];
  /** The batches that carried events (a session also hands on empty ones: its watermark moved). */
  readonly calls: (readonly LogEvent[])[] = [];
  /** Every batch, in order. */
  readonly batches: SourceBatch[] = [];
  readonly handler = (batch: SourceBatch): void => {
    this.batches.push(batch);
    if (batch.events.length === 0) return;
    this.calls.push(batch.events);
    this.events.push(...batch.events);
  };
  messages(): string[] {
    return this.events.map((e) => e.message);
  }
}
