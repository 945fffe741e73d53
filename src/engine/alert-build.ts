/**
 * Turning one decision of the engine into the alert payload (schema/alert.schema.json):
 * the stable id, the rendered title and text (a resolved alert has wording of
 * its own), samples and console link.
 */
import { createHash } from 'node:crypto';
import type { Alert, AlertEvent, AlertKind, ResolveReason } from '../model/alert.js';
import type { LogEvent } from '../model/event.js';
import { arnRegion, consoleOrigin, logGroupNameOf, parseLogGroupArn } from '../aws/index.js';
import type { CompiledRule, GroupValue } from './compile.js';
import { cutText, eventDigest, MAX_KEPT_CHARS, shownMessage, type KeptEvent } from './kept.js';

/** Sample messages longer than this are cut (with "…") so one hostile line cannot bloat every alert. */
export const MAX_SAMPLE_CHARS = MAX_KEPT_CHARS;
/** Rendered titles and texts (a template with `{{event.message}}` twice…) are cut (with "…") at this length. */
export const MAX_TEXT_CHARS = MAX_KEPT_CHARS;
export const MAX_SAMPLES = 5;

/**
 * The stable id: the same rule, group, kind, event-time of the decision and
 * last matching event give the same id in replay, tests and the daemon
 * (receivers and the outbox deduplicate on it).
 */
export function alertId(ruleId: string, groupKey: string, kind: AlertKind, atMs: number, event?: KeptEvent): string {
  const h = createHash('sha256').update(`${ruleId}\n${groupKey}\n${kind}\n${atMs}`);
  // The last matching event tells apart two decisions in the same millisecond (two ERROR lines
  // logged at once by a no-window rule are two alerts, not one that the outbox would fold).
  // It is the same event in replay and in the daemon, so the id stays stable. Its digest covers
  // the whole message, also once the group keeps it cut (kept.ts).
  if (event) h.update(`\n${eventDigest(event)}`);
  return h.digest('hex').slice(0, 32);
}

export interface Decision {
  readonly kind: AlertKind;
  /** Set on a resolved alert the engine sends because a reload removed or changed the rule. */
  readonly reason?: ResolveReason | undefined;
  /** Event time of the decision (ms). */
  readonly at: number;
  readonly groupKey: string;
  readonly group: Readonly<Record<string, GroupValue>>;
  readonly count: number;
  readonly firstEventAt: number;
  readonly lastEventAt: number;
  readonly suppressed: number;
  readonly sampled: boolean;
  /** Oldest first, at most MAX_SAMPLES. */
  readonly samples: readonly KeptEvent[];
  /** The last matching event (templates' `event.*`), as its group keeps it. */
  readonly event: KeptEvent | undefined;
}

function sample(e: KeptEvent): AlertEvent {
  return { timestamp: e.timestamp, logGroup: e.logGroup, logStream: e.logStream, message: cutText(shownMessage(e), MAX_SAMPLE_CHARS) };
}

/** AWS console links encode `%` as `$25` inside the fragment (a lone surrogate, which encodeURIComponent throws on, as U+FFFD). */
function consoleEncode(s: string): string {
  return encodeURIComponent((s as string & { toWellFormed(): string }).toWellFormed()).replace(/%/g, '$25');
}

/**
 * A link to the log group (and stream) in the CloudWatch console of its partition, when the
 * region is known. Not part of the alert id (alertId): a link that changes keeps the id.
 */
export function consoleLink(cr: CompiledRule, event: LogEvent | undefined): string | undefined {
  const identifier = event?.logGroup || cr.rule.source.logGroups[0] || '';
  const region = arnRegion(identifier) || cr.rule.source.region;
  if (!region || identifier === '') return undefined;
  const partition = parseLogGroupArn(identifier)?.partition;
  let url = `${consoleOrigin(region, partition)}/cloudwatch/home?region=${region}#logsV2:log-groups/log-group/${consoleEncode(logGroupNameOf(identifier))}`;
  if (event?.logStream) url += `/log-events/${consoleEncode(event.logStream)}`;
  return url;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * The text of a resolved alert: why it is no longer firing, with the count of
 * the last window (threshold/spike: the condition cleared; absence: events came back).
 */
function defaultResolvedText(cr: CompiledRule, d: Decision): string {
  if (d.reason === 'rule-removed') return 'No longer evaluated: the rule was removed or disabled';
  if (d.reason === 'rule-changed') return "No longer evaluated: the rule's grouping or window type changed";
  const counted = `${d.count} matching event(s)${cr.windowText === '' ? '' : ` in the last ${cr.windowText}`}`;
  return cr.rule.window?.type === 'absence' ? `Events resumed: ${counted}` : `No longer firing: ${counted}`;
}

export function buildAlert(cr: CompiledRule, d: Decision): Alert {
  const rule = cr.rule;
  const values = {
    kind: d.kind,
    reason: d.reason,
    rule: { id: rule.id, description: rule.description, severity: rule.severity },
    labels: rule.labels,
    group: d.group,
    count: d.count,
    window: cr.windowText,
    suppressed: d.suppressed,
    sampled: d.sampled,
    event: d.event,
  };
  const console = consoleLink(cr, d.event);
  return {
    version: 1,
    kind: d.kind,
    // Present only when set, so the payload of an ordinary alert is unchanged.
    ...(d.reason === undefined ? {} : { reason: d.reason }),
    id: alertId(rule.id, d.groupKey, d.kind, d.at, d.event),
    firedAt: iso(d.at),
    rule: { id: rule.id, description: rule.description, severity: rule.severity, labels: rule.labels },
    group: d.group,
    count: d.count,
    window: cr.windowText,
    firstEventAt: iso(d.firstEventAt),
    lastEventAt: iso(d.lastEventAt),
    suppressed: d.suppressed,
    sampled: d.sampled,
    // A resolved alert never re-renders the firing templates: "4 5xx on payments" would read as firing.
    title: cutText(d.kind === 'resolved' ? cr.resolvedTitle.render(values) : cr.title.render(values), MAX_TEXT_CHARS),
    text: cutText(d.kind === 'resolved' ? (cr.resolvedText?.render(values) ?? defaultResolvedText(cr, d)) : cr.text.render(values), MAX_TEXT_CHARS),
    events: d.samples.slice(-MAX_SAMPLES).map(sample),
    links: console === undefined ? {} : { console },
  };
}
