/**
 * What a LiveTailSource keeps of the adaptive strategy between applies: the
 * decisions in force (restored from and written to the plan state file), when
 * a session's updates call for another look, and the log lines of changes.
 * The decisions themselves are ./adaptive.ts's pure `decideAdaptive`.
 */
import type { Logger } from 'pino';
import { ADAPTIVE_DEFAULTS, decideAdaptive, EMPTY_ADAPTIVE_STATE, parsePlanState, PLAN_STATE_VERSION, type AdaptiveChange, type AdaptiveDecision, type AdaptiveInput, type AdaptiveState, type AdaptiveThresholds, type ObservedSession, type ObservedStats, type PlanStateFile } from './adaptive.js';

/** The observed rates in the plan state are rewritten this often while updates flow. */
const SAVE_STATS_EVERY_MS = 10_000;

export interface AdaptiveKeeperDeps {
  readonly logger: Logger;
  /** Where decisions and observed rates are kept; without it nothing is. */
  readonly planState?: { load(): unknown; save(state: PlanStateFile): void } | undefined;
  readonly thresholds?: AdaptiveThresholds | undefined;
  readonly now: () => number;
}

export class AdaptiveKeeper {
  readonly thresholds: AdaptiveThresholds;
  private state: AdaptiveState = EMPTY_ADAPTIVE_STATE;
  /** Per session id, its update count when the adaptive decision last looked at it. */
  private readonly lastLooked = new Map<string, number>();
  /** Changes that did not change anything (not split, stays split), logged once a plan. */
  private readonly noted = new Set<string>();
  private lastSave: number | undefined;
  private saveFailed = false;

  constructor(private readonly deps: AdaptiveKeeperDeps) {
    this.thresholds = deps.thresholds ?? ADAPTIVE_DEFAULTS;
    if (!deps.planState) return;
    let raw: unknown;
    try {
      raw = deps.planState.load();
    } catch (err) {
      deps.logger.error({ error: (err as Error).message }, 'plan state unreadable; starting without adaptive decisions');
    }
    if (raw === undefined) return;
    const saved = parsePlanState(raw);
    if (saved === undefined) {
      deps.logger.warn('plan state of another version ignored; starting without adaptive decisions');
      return;
    }
    this.state = { splits: saved.splits };
    const active = saved.splits.filter((s) => s.active);
    if (active.length > 0) deps.logger.info({ splits: active.map((s) => ({ from: s.from, since: s.since, reason: s.reason })) }, `adaptive plan restored: ${active.length} split session${active.length === 1 ? '' : 's'}`);
  }

  /** A new apply: changes that change nothing are logged once more. */
  newPlan(): void {
    this.noted.clear();
  }

  /** Plans with the decisions in force, and takes new ones from what the sessions observed. */
  decide(input: Omit<AdaptiveInput, 'state' | 'now' | 'thresholds'>): AdaptiveDecision {
    return decideAdaptive({ ...input, state: this.state, now: this.deps.now(), thresholds: this.thresholds });
  }

  /** Keeps a decision's state and logs its changes; true when the decisions or the layout changed (save them). */
  take(d: AdaptiveDecision): boolean {
    const before = this.state;
    this.state = d.state;
    let changed = d.state.splits.length !== before.splits.length || d.state.splits.some((s, i) => s !== before.splits[i]);
    for (const c of d.changes) this.logChange(c);
    if (d.changes.some((c) => c.kind === 'split' || c.kind === 'merge')) changed = true;
    return changed;
  }

  /**
   * After a session's update: whether its stats call for a decision now (recorded as a look). A
   * first look at once; then at most once every `window` updates, and only when it was sampled
   * too often or (a part of a split) has been quiet long enough to merge.
   */
  shouldLook(sessionId: string, st: ObservedStats, splitPart: boolean): boolean {
    const t = this.thresholds;
    const looked = this.lastLooked.get(sessionId);
    if (looked !== undefined && st.updates - looked < t.window) return false;
    const mayMerge = splitPart && st.long.updates >= t.quietUpdates && st.long.sampled === 0;
    if (st.recent.sampled <= t.splitAbove && !mayMerge) return false;
    this.lastLooked.set(sessionId, st.updates);
    return true;
  }

  /** Sessions no longer planned are forgotten. */
  keepLooksOf(ids: ReadonlySet<string>): void {
    for (const id of [...this.lastLooked.keys()]) if (!ids.has(id)) this.lastLooked.delete(id);
  }

  /** The observed rates are due to be written again. */
  saveDue(): boolean {
    return this.deps.planState !== undefined && (this.lastSave === undefined || this.deps.now() - this.lastSave >= SAVE_STATS_EVERY_MS);
  }

  /** Writes the decisions and the running sessions' observed rates (`tailwatch plan` shows them); a failure is logged once. */
  save(strategy: string, sessions: readonly ObservedSession[]): void {
    if (!this.deps.planState) return;
    this.lastSave = this.deps.now();
    const state: PlanStateFile = { version: PLAN_STATE_VERSION, savedAt: new Date(this.lastSave).toISOString(), strategy, splits: this.state.splits, sessions: [...sessions] };
    try {
      this.deps.planState.save(state);
      this.saveFailed = false;
    } catch (err) {
      if (!this.saveFailed) this.deps.logger.error({ error: (err as Error).message }, 'saving the plan state failed');
      this.saveFailed = true;
    }
  }

  private logChange(c: AdaptiveChange): void {
    const fields = { region: c.region, logGroups: c.logGroups, sessions: c.sessions, into: c.into, reason: c.reason };
    const log = this.deps.logger;
    if (c.kind === 'split') log.info({ session: c.sessions[0], ...fields }, `session split: ${c.reason}`);
    else if (c.kind === 'merge') log.info(fields, `sessions merged: ${c.reason}`);
    else {
      const key = `${c.kind}|${c.sessions.join(',')}`;
      if (this.noted.has(key)) return;
      this.noted.add(key);
      if (c.kind === 'not-split') log.warn({ session: c.sessions[0], ...fields }, `session not split: ${c.reason}`);
      else log.info(fields, `sessions stay split: ${c.reason}`);
    }
  }
}
