/**
 * The production stages behind the daemon's ports: Live Tail sessions
 * (src/livetail) and the durable outbox (src/notify), each reporting into
 * the daemon's metrics through the small counter interface it declares.
 */
import { createLiveTailSource } from '../livetail/index.js';
import { createOutboxSink } from '../notify/index.js';
import type { StageContext } from './daemon.js';
import type { AlertSink, EventSource, EventsHandler } from './ports.js';

export function createEventSource(onEvents: EventsHandler, ctx: StageContext): EventSource {
  const m = ctx.metrics;
  return createLiveTailSource({
    onEvents,
    config: ctx.config,
    logger: ctx.logger.child({ component: 'livetail' }),
    resumeFrom: ctx.resumeFrom,
    metrics: {
      sessionStarted: (session) => m.sessionStarts.inc({ session }),
      sessionRestarted: (session, reason) => m.sessionRestarts.inc({ session, reason }),
      sampledUpdate: (session) => m.sampledUpdates.inc({ session }),
      backfilled: (session, events) => m.backfilledEvents.inc({ session }, events),
    },
  });
}

export function createAlertSink(ctx: StageContext): AlertSink {
  const m = ctx.metrics;
  return createOutboxSink({
    stateDir: ctx.config.state.dir,
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
