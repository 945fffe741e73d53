/**
 * The alert payload every destination receives (schema/alert.schema.json, version 1).
 * One alert = one rule + one group + one firing or resolve.
 */
import type { Severity } from './config.js';

export type AlertKind = 'firing' | 'resolved';

/**
 * Why a `resolved` alert was sent without its condition clearing: a reload
 * removed or disabled the rule (`rule-removed`) or changed its grouping or
 * window type (`rule-changed`), so the open firing will never resolve on its own.
 */
export type ResolveReason = 'rule-removed' | 'rule-changed';

export interface AlertEvent {
  /** Epoch milliseconds. */
  readonly timestamp: number;
  readonly logGroup: string;
  readonly logStream: string;
  readonly message: string;
}

export interface Alert {
  readonly version: 1;
  readonly kind: AlertKind;
  /** Only on a resolved alert sent because of a reload (see ResolveReason); absent otherwise. */
  readonly reason?: ResolveReason;
  /** Stable: the same alert from replay and from the daemon has the same id. */
  readonly id: string;
  /** ISO 8601, the engine clock when the alert was decided. */
  readonly firedAt: string;
  readonly rule: {
    readonly id: string;
    readonly description: string;
    readonly severity: Severity;
    readonly labels: Readonly<Record<string, string>>;
  };
  readonly group: Readonly<Record<string, string | number | boolean | null>>;
  readonly count: number;
  /** The rule's window as a duration string (`5m`), or '' without a window. */
  readonly window: string;
  readonly firstEventAt: string;
  readonly lastEventAt: string;
  readonly suppressed: number;
  readonly sampled: boolean;
  readonly title: string;
  readonly text: string;
  /** Up to 5 sample events, oldest first. */
  readonly events: readonly AlertEvent[];
  readonly links: { readonly console?: string | undefined };
}

/** What the engine hands to delivery: the alert and where it goes (the rule's `notify`). */
export interface RoutedAlert {
  readonly alert: Alert;
  readonly destinations: readonly string[];
}
