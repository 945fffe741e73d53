/**
 * The order in which events of one millisecond are decided: by `eventKey`
 * (group, stream, timestamp, message). The daemon's LiveEngine releases
 * each rule's events in (timestamp, eventKey) order, whatever session
 * delivered them first; replay and rule tests hold back the events of the
 * newest millisecond and release them in the same order, so all three
 * decide the same alerts with the same ids.
 */
import { eventKey, type LogEvent } from '../model/event.js';

export class SameTimeOrder {
  private held: LogEvent[] = [];
  private heldTs = Number.NEGATIVE_INFINITY;

  /** The events ready to be decided once `e` arrived (an event older than the held ones passes at once). */
  push(e: LogEvent): readonly LogEvent[] {
    if (e.timestamp === this.heldTs) {
      this.held.push(e);
      return NONE;
    }
    if (e.timestamp < this.heldTs) return [e];
    const ready = this.flush();
    this.held = [e];
    this.heldTs = e.timestamp;
    return ready;
  }

  /** The held events, in order (end of input). */
  flush(): readonly LogEvent[] {
    const out = this.held;
    if (out.length > 1) sortByKey(out);
    this.held = [];
    return out;
  }
}

const NONE: readonly LogEvent[] = Object.freeze([]);

/** Sorts events of one millisecond by `eventKey` (in place). */
export function sortByKey(events: LogEvent[]): void {
  const keyed = events.map((e) => ({ e, k: eventKey(e) }));
  keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  for (let i = 0; i < keyed.length; i++) events[i] = keyed[i]!.e;
}
