/**
 * The production stages behind the daemon's ports: Live Tail sessions
 * (src/livetail) and the durable outbox (src/notify), each reporting into
 * the daemon's metrics through the small counter interface it declares.
 */
import { createLiveTailSource, planStateFileOf, type PlanStateFile } from '../livetail/index.js';
import { createOutboxSink } from '../notify/index.js';
import type { StageContext } from './daemon.js';
import type { AlertSink, EventSource, EventsHandler } from '../model/ports.js';
import { StateFile } from './state-file.js';

export function createEventSource(onEvents: EventsHandler, ctx: StageContext): EventSource {
  const m = ctx.metrics;
  const logger = ctx.logger.child({ component: 'livetail' });
  // The adaptive strategy's decisions and the sessions' observed rates (tailwatch plan reads them).
  // One file per source (`plan-state.json` for default): each source plans on its own.
  const planStateFor = (source: string) => {
    const file = new StateFile<unknown>(ctx.config.state.dir, planStateFileOf(source));
    return {
      load: () => file.read((err) => logger.error({ source, error: err.message }, 'plan state unreadable; starting without adaptive decisions')),
      save: (state: PlanStateFile) => file.write(state),
    };
  };
  return createLiveTailSource({
    onEvents,
    config: ctx.config,
    logger,
    resumeFrom: ctx.resumeFrom,
    planState: planStateFor('default'),
    planStateFor,
    // Session and poll metrics carry the source (account and region) they run in.
    metricsFor: (source) => ({
      sessionStarted: (session) => m.sessionStarts.inc({ session, source }),
      sessionRestarted: (session, reason) => m.sessionRestarts.inc({ session, reason, source }),
      sampledUpdate: (session) => m.sampledUpdates.inc({ session, source }),
      completed: (session, events) => m.completedEvents.inc({ session, source }, events),
      completionAbandoned: (session) => m.completionsAbandoned.inc({ session, source }),
      completionBacklog: (session, intervals) => m.completionBacklog.set({ session, source }, intervals),
      backfilled: (session, events) => m.backfilledEvents.inc({ session, source }, events),
      polled: (poll, events) => m.polledEvents.inc({ poll, source }, events),
      pollOverrun: (poll) => m.pollOverruns.inc({ poll, source }),
      pollFailed: (poll, reason) => m.pollFailures.inc({ poll, reason, source }),
    }),
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
