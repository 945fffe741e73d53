/**
 * StartLiveTail's parameter rules (API reference + what the real service
 * answers): 1..10 log groups given by ARN (not ending in `*`; plain names are
 * refused unless the emulator is told to accept them), `logStreamNames` and
 * `logStreamNamePrefixes` mutually exclusive and only with exactly one log
 * group, a filter pattern of at most 1024 characters that compiles; every
 * group must exist.
 */
import { isArnLike, MAX_GROUPS_PER_SESSION, MAX_STREAM_FILTERS } from '../aws/index.js';
import { invalidParameter } from './errors.js';
import { optString, optStringList, type Input } from './input.js';
import type { LiveTailRequest, LiveTailTarget } from './live-tail.js';
import { compilePattern, resolveGroup, type OperationContext } from './operations.js';

export interface ResolvedLiveTail {
  readonly request: LiveTailRequest;
  readonly target: LiveTailTarget;
}

export function resolveLiveTail(ctx: OperationContext, input: Input, opts: { acceptNames: boolean }): ResolvedLiveTail {
  const ids = optStringList(input, 'logGroupIdentifiers', { min: 1, max: MAX_GROUPS_PER_SESSION });
  if (!ids) throw invalidParameter('Missing required parameter logGroupIdentifiers.');
  for (const id of ids) {
    if (id.length > 2048 || !/^[\w#+=/:,.@-]*$/.test(id.endsWith('*') ? id.slice(0, -1) : id)) throw invalidParameter(`Invalid log group identifier: ${id}`);
    if (id.endsWith('*')) throw invalidParameter(`Log group ARNs in logGroupIdentifiers must not end with '*': ${id}`);
    if (!opts.acceptNames && !isArnLike(id)) throw invalidParameter(`logGroupIdentifiers must be log group ARNs: ${id}`);
  }
  const logStreamNames = optStringList(input, 'logStreamNames', { min: 1, max: MAX_STREAM_FILTERS });
  const logStreamNamePrefixes = optStringList(input, 'logStreamNamePrefixes', { min: 1, max: MAX_STREAM_FILTERS });
  if (logStreamNames && logStreamNamePrefixes) throw invalidParameter('logStreamNames and logStreamNamePrefixes cannot both be specified.');
  if ((logStreamNames || logStreamNamePrefixes) && ids.length !== 1) {
    throw invalidParameter('logStreamNames or logStreamNamePrefixes can only be specified with exactly one log group in logGroupIdentifiers.');
  }
  const logEventFilterPattern = optString(input, 'logEventFilterPattern', 1024);
  const pattern = compilePattern(logEventFilterPattern, 'logEventFilterPattern');

  const groups = new Map<string, string>();
  for (const id of ids) groups.set(resolveGroup(ctx, id).name, id);
  return {
    request: { logGroupIdentifiers: ids, logStreamNames, logStreamNamePrefixes, logEventFilterPattern },
    target: { region: ctx.region, groups, logStreamNames, logStreamNamePrefixes, pattern },
  };
}
