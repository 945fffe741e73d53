/**
 * What the engine keeps of a log line once it has been decided: a group's
 * samples and last event live as long as the group (and in the state file),
 * so a message longer than MAX_KEPT_CHARS is cut when it is kept, not only
 * when an alert shows it. What the cut would lose is kept in small form:
 *
 * - `digest`: SHA-256 of the event's identity (group, stream, timestamp, the
 *   whole message). The alert id hashes it (alert-build.ts `alertId`), so the
 *   id is the same whether the message was cut, kept whole, or dropped from
 *   the state file under its size bound — in replay, rule tests and the daemon.
 * - `fields`: the `event.fields.<path>` values the rule's templates read,
 *   taken from the whole message (a cut JSON line no longer parses).
 */
import { createHash } from 'node:crypto';
import type { LogEvent } from '../model/event.js';

/** Kept messages and rendered alert texts are cut to this many UTF-16 code units, plus "…". */
export const MAX_KEPT_CHARS = 16_384;

/**
 * An event as a group keeps it. A long `message` is kept cut to MAX_KEPT_CHARS without the "…"
 * (`digest` is then set): a Latin-1 prefix stays a one-byte string in V8, half the memory of one
 * with "…" in it; `shownMessage` adds the "…".
 */
export interface KeptEvent extends LogEvent {
  /** Hex SHA-256 of the event's identity; set when the message was cut or dropped (else computed from it). */
  readonly digest?: string | undefined;
  /** Rendered `event.fields.<path>` values, by path, read from the whole message before it was cut. */
  readonly fields?: Readonly<Record<string, string>> | undefined;
}

/** Reads the template fields a rule needs from a whole message (compile.ts). */
export type FieldReader = (message: string) => Readonly<Record<string, string>>;

type StringWithWellFormed = string & { isWellFormed(): boolean };

/**
 * `s` cut to `max` code units (never inside a surrogate pair) with "…", as a
 * fresh string: a slice would keep the whole original alive in V8.
 */
export function cutText(s: string, max = MAX_KEPT_CHARS): string {
  return s.length <= max ? s : copy(prefix(s, max) + '…');
}

/** The first `max` code units of `s`, one fewer when the last would split a surrogate pair. */
function prefix(s: string, max: number): string {
  const last = s.charCodeAt(max - 1);
  return s.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}

/** A fresh copy (a slice shares, and keeps alive, the whole original); one-byte when it can be. */
function copy(s: string): string {
  return Buffer.from(s, 'utf16le').toString('utf16le');
}

/** The message as alerts show it: a cut one ends with "…". */
export function shownMessage(e: KeptEvent): string {
  return e.digest !== undefined && e.message !== '' ? e.message + '…' : e.message;
}

/** Hex SHA-256 of (group, stream, timestamp, whole message): exact over UTF-16, lone surrogates included. */
export function eventDigest(e: KeptEvent): string {
  if (e.digest !== undefined) return e.digest;
  const m = e.message as StringWithWellFormed;
  const wellFormed = m.isWellFormed();
  const h = createHash('sha256').update(`${e.logGroup}\n${e.logStream}\n${e.timestamp}\n${wellFormed ? 'utf8' : 'utf16'}\n`);
  h.update(wellFormed ? m : Buffer.from(m, 'utf16le'));
  return h.digest('hex');
}

/** The event as a group keeps it: unchanged when short, else cut with its digest and template fields. */
export function keepEvent(e: LogEvent | KeptEvent, fields: FieldReader | undefined): KeptEvent {
  if (e.message.length <= MAX_KEPT_CHARS || ('digest' in e && e.digest !== undefined)) return e;
  const kept: { -readonly [K in keyof KeptEvent]: KeptEvent[K] } = { timestamp: e.timestamp, logGroup: e.logGroup, logStream: e.logStream, message: copy(prefix(e.message, MAX_KEPT_CHARS)), digest: eventDigest(e) };
  if (e.sampled) kept.sampled = true;
  if (fields !== undefined) kept.fields = fields(e.message);
  return kept;
}

/** The event without its message (state size bound): its id and time stay. */
export function withoutMessage(e: KeptEvent): KeptEvent {
  const out: { -readonly [K in keyof KeptEvent]: KeptEvent[K] } = { timestamp: e.timestamp, logGroup: e.logGroup, logStream: e.logStream, message: '', digest: eventDigest(e) };
  if (e.sampled) out.sampled = true;
  return out;
}
