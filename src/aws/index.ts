/** The AWS leaf: log group identity, Live Tail limits, backoff, stable JSON. Imports nothing of the project. */
export { arnRegion, consoleOrigin, formatLogGroupArn, isArnLike, LOG_GROUP_ARN, LOG_GROUP_NAME, logGroupArn, logGroupNameOf, logGroupTarget, logGroupTargets, parseLogGroupArn, partitionOf, ruleLogGroup, stripStar, type LogGroupRef, type LogGroupTarget } from './log-group-ref.js';
export { MAX_CONCURRENT_SESSIONS, MAX_GROUPS_PER_SESSION, MAX_STREAM_FILTERS, MINUTES_A_MONTH } from './limits.js';
export { backoffDelay } from './backoff.js';
export { stableJson } from './stable-json.js';
