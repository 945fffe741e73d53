/** The local CloudWatch Logs emulator (`tailwatch emulate`): public surface. */
export { Emulator, type EmulatorOptions, type IngestEvent } from './server.js';
export { parseFault, type Fault, type SessionFaultType } from './faults.js';
export { REFUSAL_TYPES, type RefusalType } from './errors.js';
export type { LiveTailResult, LiveTailSessionInfo, SessionEndReason } from './live-tail.js';
export { parseRecordedEvents, type RecordedEvent } from './recorded.js';
export { startFeed, DEFAULT_FEED_GROUP, DEFAULT_FEED_STREAM, type Feed, type FeedOptions } from './feed.js';
export type { AssumeRoleCall, EmulatorRole } from './sts.js';
