/**
 * Dead man's switch (`heartbeat:`): on the cron schedule, GET the URL while
 * the daemon is healthy. When tailwatch dies or is unhealthy the pings stop,
 * and the receiver (healthchecks.io, Alertmanager's Watchdog, …) alerts.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';

export interface HeartbeatOptions {
  readonly cron: string;
  readonly url: string;
  healthy(): boolean;
  readonly logger: Logger;
  readonly timeoutMs?: number;
}

export class Heartbeat {
  private task: ScheduledTask | undefined;

  constructor(private readonly opts: HeartbeatOptions) {}

  start(): void {
    if (this.task) return;
    this.task = cron.schedule(this.opts.cron, () => this.beat(), { name: 'tailwatch-heartbeat', noOverlap: true });
  }

  async stop(): Promise<void> {
    const task = this.task;
    this.task = undefined;
    await task?.destroy();
  }

  /** One ping now (also what the schedule runs). Never throws; the URL is never logged. */
  async beat(): Promise<boolean> {
    if (!this.opts.healthy()) {
      this.opts.logger.warn('heartbeat skipped: not healthy');
      return false;
    }
    try {
      const res = await fetch(this.opts.url, { signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000) });
      await res.body?.cancel();
      if (!res.ok) this.opts.logger.warn({ status: res.status }, 'heartbeat ping failed');
      return res.ok;
    } catch (err) {
      this.opts.logger.warn({ error: (err as Error).name }, 'heartbeat ping failed');
      return false;
    }
  }
}
