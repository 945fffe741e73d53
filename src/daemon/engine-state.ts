/**
 * When and how the engine's state is saved (`engine-state.json`: each
 * rule's windows, groups, episodes, throttles, open resolves and clock), and
 * the engine a start restores from it. The rules of when are in
 * src/daemon/README.md ("When the state is saved"); the caller decides
 * whether saving is allowed at all (never while alerts are held in memory).
 */
import type { Logger } from 'pino';
import { EngineCounters, LiveEngine, serializeState, type EngineState, type LiveEngineState } from '../engine/index.js';
import type { Config, RuleSet } from '../model/config.js';
import { StateFile } from './state-file.js';

const STATE_FILE = 'engine-state.json';
/** At the tick, changes are saved once this long has passed since the last save. */
export const PERSIST_EVERY_MS = 5_000;
/** The "state over its size bound" warning at most this often. */
const TRIM_LOG_EVERY_MS = 60_000;

type SavedState = LiveEngineState | EngineState;

export class EngineStateSaver {
  private readonly file: StateFile<SavedState>;
  private dirty = false;
  /**
   * Some rule had no clock in the last state saved: a crash now would lose where its sessions
   * must backfill from, so the state is saved at every chance (at most every 200 ms) until all have one.
   */
  private missingClocks = true;
  private lastSave = 0;
  /** When the state file last had to leave samples out (logged once a minute). */
  private trimLoggedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly o: { readonly dir: string; readonly maxBytes: number; readonly now: () => number; readonly log: Logger }) {
    this.file = new StateFile<SavedState>(o.dir, STATE_FILE);
  }

  /** The saved state: undefined when missing, or not JSON (logged); other read errors throw. */
  read(): SavedState | undefined {
    return this.file.read((err) => this.o.log.error({ error: err.message }, 'engine state unreadable; starting with empty windows'));
  }

  /** Clocks moved or decisions were made since the last save. */
  changed(): void {
    this.dirty = true;
  }

  get clocksMissing(): boolean {
    return this.missingClocks;
  }

  /** Saves when forced, or when something changed and `everyMs` has passed since the last save. */
  save(engine: LiveEngine, force: boolean, everyMs: number, alertsDecided: number): void {
    const now = this.o.now();
    if (!force && (!this.dirty || now - this.lastSave < everyMs)) return;
    try {
      const exported = engine.exportState();
      const state = serializeState(exported, this.o.maxBytes);
      this.file.writeParts(state.parts);
      this.missingClocks = exported.rules.some((r) => r.clock === null || r.clock === undefined);
      const { samples, lastEvents } = state.trimmed;
      if ((samples > 0 || lastEvents > 0 || state.overBound) && this.o.now() - this.trimLoggedAt >= TRIM_LOG_EVERY_MS) {
        this.trimLoggedAt = this.o.now();
        this.o.log.warn({ maxBytes: this.o.maxBytes, bytes: state.bytes, groupsWithoutSamples: samples, groupsWithoutLastMessage: lastEvents, overBound: state.overBound }, 'engine state over its size bound: the least recently seen groups were saved without their samples (episodes, throttles and windows kept)');
      }
      this.dirty = false;
      this.lastSave = this.o.now();
      this.o.log.debug({ alerts: alertsDecided }, 'state saved');
    } catch (err) {
      this.o.log.error({ error: (err as Error).message }, 'persisting engine state failed');
    }
  }
}

/** An engine with the saved state; a state it cannot take (another version, corrupt) is logged and dropped. */
export function restoreEngine(
  state: SavedState | undefined,
  o: { readonly ruleSet: RuleSet; readonly config: Config; readonly counters: EngineCounters; readonly onRuleError: (ruleId: string, err: unknown) => void; readonly log: Logger },
): LiveEngine {
  const base = { rules: o.ruleSet, silences: o.config.silences, counters: o.counters, onRuleError: o.onRuleError };
  if (state) {
    try {
      return new LiveEngine({ ...base, state });
    } catch (err) {
      o.log.error({ error: (err as Error).message }, 'saved engine state not usable; starting with empty windows');
    }
  }
  return new LiveEngine(base);
}
