/**
 * The production stages behind the daemon's ports: Live Tail sessions
 * (src/livetail) and the durable outbox (src/notify), each reporting into
 * the daemon's metrics through the small counter interface it declares.
 */
import { createLiveTailSource, PLAN_STATE_FILE, type PlanStateFile } from '../livetail/index.js';
import { createOutboxSink } from '../notify/index.js';
import type { StageContext } from './daemon.js';
import type { AlertSink, EventSource, EventsHandler } from '../model/ports.js';
import { StateFile } from './state-file.js';

export function createEventSource(onEvents: EventsHandler, ctx: StageContext): EventSource {
  const m = ctx.metrics;
  const logger = ctx.logger.child({ component: 'livetail' });
  // The adaptive strategy's decisions and the sessions' observed rates (tailwatch plan reads them).
  const planState = new StateFile<unknown>(ctx.config.state.dir, PLAN_STATE_FILE);
  return createLiveTailSource({
    onEvents,
    config: ctx.config,
    logger,
    resumeFrom: ctx.resumeFrom,
    planState: {
      load: () => planState.read((err) => logger.error({ error: err.message }, 'plan state unreadable; starting without adaptive decisions')),
      save: (state: PlanStateFile) => planState.write(state),
    },
    metrics: {
      sessionStarted: (session) => m.sessionStarts.inc({ session }),
      sessionRestarted: (session, reason) => m.sessionRestarts.inc({ session, reason }),
      sampledUpdate: (session) => m.sampledUpdates.inc({ session }),
      completed: (session, events) => m.completedEvents.inc({ session }, events),
      completionAbandoned: (session) => m.completionsAbandoned.inc({ session }),
      completionBacklog: (session, intervals) => m.completionBacklog.set({ session }, intervals),
      backfilled: (session, events) => m.backfilledEvents.inc({ session }, events),
      polled: (poll, events) => m.polledEvents.inc({ poll }, events),
      pollOverrun: (poll) => m.pollOverruns.inc({ poll }),
      pollFailed: (poll, reason) => m.pollFailures.inc({ poll, reason }),
    },
  });
}

/** `console`: where the console destination writes and whether in colour (default stdout, colour on a terminal). */
export function createAlertSink(ctx: StageContext, console: { stream?: NodeJS.WritableStream; color?: boolean } = {}): AlertSink {
  const m = ctx.metrics;
  return createOutboxSink({
    consoleStream: console.stream,
    consoleColor: console.color,
    stateDir: ctx.config.state.dir,
    timers: ctx.timers,
    ruleResolves: ctx.ruleResolves,
    destinations: ctx.config.destinations,
    delivery: ctx.config.delivery,
    logger: ctx.logger.child({ component: 'notify' }),
    metrics: {
      delivered: (destination, n) => m.delivered.inc({ destination }, n),
      failed: (destination, reason) => m.deliveryFailed.inc({ destination, reason }),
      dropped: (destination, reason) => m.deliveryDropped.inc({ destination, reason }),
      writeFailed: () => m.outboxWriteErrors.inc(),
    },
  });
}
