// The adaptive strategy as a pure function of (rules, config, observed stats): starts
// economical, splits a session sampled in more than 20 of its last 60 updates into sessions of
// its rules' own patterns within the quota, merges back only after 600 quiet updates of each
// part with their peaks under half the cap, never flaps; the plan state file's shape.
import { describe, expect, it } from 'vitest';
import type { Config, Rule, RuleSet } from '../../src/model/config.js';
import {
  accountArnResolver,
  ADAPTIVE_DEFAULTS,
  decideAdaptive,
  EMPTY_ADAPTIVE_STATE,
  parsePlanState,
  planSessions,
  UpdateWindow,
  type AdaptiveChange,
  type AdaptiveState,
  type ObservedStats,
  type Plan,
  type SessionSpec,
} from '../../src/livetail/index.js';
import { emulatorConfig } from '../kit/livetail.js';
import { rule } from '../kit/rules.js';

const ACCOUNT = '123456789012';
const resolve = accountArnResolver(ACCOUNT);
const arn = (g: string) => `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${g}`;
const config = (sessions: Partial<Config['sessions']> = {}): Config => emulatorConfig('', { strategy: 'adaptive', ...sessions }, { endpoint: undefined });
const set = (rules: Rule[]): RuleSet => ({ rules, files: [] });
const T = Date.UTC(2026, 0, 1);
const EMPTY = EMPTY_ADAPTIVE_STATE;

/** Stats of a session that saw `n` updates, `sampled` of the last 60 sampled, peaking at `peak` events. */
function stats(opts: { n?: number; sampled?: number; peak?: number; cap?: number; longSampled?: number }): ObservedStats {
  const w = new UpdateWindow();
  const n = opts.n ?? 60;
  const cap = opts.cap ?? 500;
  for (let i = 0; i < n; i++) {
    const fromEnd = n - i;
    const sampled = fromEnd <= (opts.sampled ?? 0) || (fromEnd > 60 && fromEnd <= 60 + (opts.longSampled ?? 0));
    w.push(sampled ? cap : (opts.peak ?? 10), sampled);
  }
  return w.stats();
}

function decide(rules: RuleSet, state: AdaptiveState, observed: Record<string, ObservedStats>, cfg = config()) {
  return decideAdaptive({ ruleSet: rules, config: cfg, resolveArn: resolve, state, observed: new Map(Object.entries(observed)), now: T });
}

/** Two quiet-ish sources on /a and /b, each with its own term: economical puts them in one session with `?ERROR ?WARN`. */
const two = set([rule({ id: 'a-errors', logGroups: ['/a'], filterPattern: 'ERROR' }), rule({ id: 'b-warnings', logGroups: ['/b'], filterPattern: 'WARN' })]);

describe('UpdateWindow', () => {
  it('counts sampled updates in the last 60 and the last 600, the peak and mean events an update, and the sample size', () => {
    const w = new UpdateWindow();
    for (let i = 0; i < 700; i++) w.push(i < 50 ? 500 : i % 100 === 0 ? 40 : 4, i < 50);
    let s = w.stats();
    expect(s.updates).toBe(700);
    expect(s.recent).toEqual({ updates: 60, sampled: 0 });
    expect(s.long.updates).toBe(600);
    expect(s.long.sampled).toBe(0); // the 50 sampled ones are older than 600 updates
    expect(s.long.peak).toBe(40);
    expect(s.sampleSize).toBe(500);
    for (let i = 0; i < 21; i++) w.push(20, true);
    s = w.stats();
    expect(s.recent).toEqual({ updates: 60, sampled: 21 });
    expect(s.long.sampled).toBe(21);
    expect(s.sampleSize).toBe(20);
    const fresh = new UpdateWindow().stats();
    expect(fresh).toEqual({ updates: 0, recent: { updates: 0, sampled: 0 }, long: { updates: 0, sampled: 0, peak: 0, mean: 0 }, sampleSize: undefined });
  });
});

describe('adaptive starts economical', () => {
  it('without decisions it plans exactly what economical plans', () => {
    const rules = set(Array.from({ length: 30 }, (_, j) => rule({ id: `r${String(j).padStart(2, '0')}`, logGroups: [`/svc/g${j % 25}`], filterPattern: `{ $.code = ${j} }` })));
    const adaptive = planSessions(rules, config(), resolve);
    const economical = planSessions(rules, config({ strategy: 'economical' }), resolve);
    expect(adaptive).toEqual(economical);
    expect(adaptive.sessions).toHaveLength(3);
    // JSON patterns join: each session carries one exact server-side pattern.
    for (const s of adaptive.sessions) expect(s.params.logEventFilterPattern).toMatch(/^\{ .* \|\| .* \}$/);
    expect(decide(rules, EMPTY_ADAPTIVE_STATE, {}).plan).toEqual(economical);
  });
});

describe('split', () => {
  const econ = () => planSessions(two, config(), resolve).sessions[0]!;

  it('a session sampled in more than 20 of its last 60 updates is split into sessions of its rules own patterns', () => {
    const s = econ();
    expect(s.params).toEqual({ logGroupIdentifiers: [arn('/a'), arn('/b')], logEventFilterPattern: '?ERROR ?WARN' });
    const d = decide(two, EMPTY, { [s.id]: stats({ sampled: 34 }) });
    expect(d.changes).toEqual<AdaptiveChange[]>([
      { kind: 'split', region: 'us-east-1', logGroups: ['/a', '/b'], sessions: [s.id], into: d.plan.sessions.map((x) => x.id), reason: 'sampled in 34 of 60 updates' },
    ]);
    expect(d.plan.sessions.map((x) => [x.params, x.rules])).toEqual([
      [{ logGroupIdentifiers: [arn('/a')], logEventFilterPattern: 'ERROR' }, ['a-errors']],
      [{ logGroupIdentifiers: [arn('/b')], logEventFilterPattern: 'WARN' }, ['b-warnings']],
    ]);
    // As precise places them.
    expect(d.plan.sessions).toEqual(planSessions(two, config({ strategy: 'precise' }), resolve).sessions.map((x) => ({ ...x, splitOf: [`us-east-1|${arn('/a')},${arn('/b')}`] })));
    expect(d.state.splits).toEqual([{ region: 'us-east-1', logGroups: [arn('/a'), arn('/b')], from: s.id, since: new Date(T).toISOString(), reason: 'sampled in 34 of 60 updates', cap: 500, merges: 0, active: true }]);
    // The decision is kept: planning with it again gives the split layout, no new change.
    const again = decide(two, d.state, {});
    expect(again.plan).toEqual(d.plan);
    expect(again.changes).toEqual([]);
  });

  it('20 of 60 is not enough (a burst is completed, not re-planned); 21 of 25 is (the window need not be full)', () => {
    const s = econ();
    expect(decide(two, EMPTY, { [s.id]: stats({ sampled: 20 }) }).changes).toEqual([]);
    const early = decide(two, EMPTY, { [s.id]: stats({ n: 25, sampled: 21 }) });
    expect(early.changes.map((c) => [c.kind, c.reason])).toEqual([['split', 'sampled in 21 of 25 updates']]);
  });

  it('the cap is the sample size the session saw (the emulator samples at 20)', () => {
    const d = decide(two, EMPTY, { [econ().id]: stats({ sampled: 30, cap: 20 }) });
    expect(d.state.splits[0]!.cap).toBe(20);
  });

  it('stays within sessions.maxConcurrent: the parts merge as precise would, or nothing changes (logged why)', () => {
    const three = set([...two.rules, rule({ id: 'c-fatal', logGroups: ['/c'], filterPattern: '{ $.level = "FATAL" }' }), rule({ id: 'z-other', logGroups: ['/z'], filterPattern: 'x' })]);
    const cfg = config({ maxConcurrent: 2 });
    // One economical session (4 groups); split into 2 within the quota of 2.
    const s = planSessions(three, cfg, resolve).sessions[0]!;
    const d = decide(three, EMPTY, { [s.id]: stats({ sampled: 40 }) }, cfg);
    expect(d.changes[0]!.kind).toBe('split');
    expect(d.plan.sessions).toHaveLength(2);
    expect(new Set(d.plan.sessions.flatMap((x) => x.rules))).toEqual(new Set(['a-errors', 'b-warnings', 'c-fatal', 'z-other']));
    // A quota of 1: no room.
    const one = config({ maxConcurrent: 1 });
    const s1 = planSessions(three, one, resolve).sessions[0]!;
    const blocked = decide(three, EMPTY, { [s1.id]: stats({ sampled: 40 }) }, one);
    expect(blocked.changes).toEqual([{ kind: 'not-split', region: 'us-east-1', logGroups: ['/a', '/b', '/c', '/z'], sessions: [s1.id], into: [], reason: 'sampled in 40 of 60 updates; no room under sessions.maxConcurrent (1) in us-east-1' }]);
    expect(blocked.state.splits).toEqual([]);
    expect(blocked.plan.sessions.map((x) => x.id)).toEqual([s1.id]);
  });

  it('a session of one source has nothing to split', () => {
    const lone = set([rule({ id: 'busy', logGroups: ['/busy'] }), rule({ id: 'busy-too', logGroups: ['/busy'] })]);
    const s = planSessions(lone, config(), resolve).sessions[0]!;
    const d = decide(lone, EMPTY, { [s.id]: stats({ sampled: 60 }) });
    expect(d.changes.map((c) => [c.kind, c.reason])).toEqual([['not-split', 'sampled in 60 of 60 updates; it serves one source already (its rules share log groups, streams and pattern): nothing to split']]);
  });

  it('only the sampled session is split; the other economical sessions keep running unchanged', () => {
    const many = set(Array.from({ length: 12 }, (_, j) => rule({ id: `r${String(j).padStart(2, '0')}`, logGroups: [`/g${String(j).padStart(2, '0')}`], filterPattern: `E${j}` })));
    const plan = planSessions(many, config(), resolve);
    expect(plan.sessions.map((s) => s.params.logGroupIdentifiers.length)).toEqual([10, 2]);
    const small = plan.sessions[1]!;
    const d = decide(many, EMPTY, { [small.id]: stats({ sampled: 30 }) });
    expect(d.plan.sessions.map((s) => s.id)).toContain(plan.sessions[0]!.id);
    expect(d.plan.sessions).toHaveLength(3);
    expect(d.plan.sessions.filter((s) => s.splitOf).map((s) => s.rules)).toEqual([['r10'], ['r11']]);
  });

  it('the decision survives a reload that adds a rule; a decision about log groups no rule names any more is forgotten', () => {
    const d = decide(two, EMPTY, { [econ().id]: stats({ sampled: 30 }) });
    const more = set([...two.rules, rule({ id: 'a-json', logGroups: ['/a'], filterPattern: '{ $.x = 1 }' }), rule({ id: 'q', logGroups: ['/q'] })]);
    const reloaded = decide(more, d.state, {});
    expect(reloaded.state).toEqual(d.state);
    expect(reloaded.plan.sessions.filter((s) => s.splitOf).map((s) => s.rules.join()).sort()).toEqual(['a-errors', 'a-json', 'b-warnings']);
    expect(reloaded.plan.sessions.filter((s) => !s.splitOf).map((s) => s.rules)).toEqual([['q']]);
    const gone = decide(set([rule({ id: 'q', logGroups: ['/q'] })]), d.state, {});
    expect(gone.state.splits).toEqual([]);
  });

  it('other strategies keep the decisions but do not use or take any', () => {
    const d = decide(two, EMPTY, { [econ().id]: stats({ sampled: 30 }) });
    const precise = decide(two, d.state, { x: stats({ sampled: 60 }) }, config({ strategy: 'economical' }));
    expect(precise.changes).toEqual([]);
    expect(precise.state).toEqual(d.state);
    expect(precise.plan.sessions).toHaveLength(1);
  });
});

describe('merge back, hysteresis', () => {
  const split = () => decide(two, EMPTY, { [planSessions(two, config(), resolve).sessions[0]!.id]: stats({ sampled: 30 }) });
  const quietParts = (plan: Plan, o: Parameters<typeof stats>[0]) => Object.fromEntries(plan.sessions.map((s) => [s.id, stats(o)]));

  it('only after 600 updates of each part, none sampled, and their peaks together at most half the cap', () => {
    const d = split();
    expect(decide(two, d.state, quietParts(d.plan, { n: 599, peak: 100 })).changes).toEqual([]);
    expect(decide(two, d.state, quietParts(d.plan, { n: 700, peak: 126 })).changes).toEqual([]); // 252 > 250
    expect(decide(two, d.state, quietParts(d.plan, { n: 700, peak: 100, longSampled: 1 })).changes).toEqual([]);
    const m = decide(two, d.state, quietParts(d.plan, { n: 700, peak: 125 }));
    expect(m.changes).toEqual([
      {
        kind: 'merge',
        region: 'us-east-1',
        logGroups: ['/a', '/b'],
        sessions: d.plan.sessions.map((s) => s.id),
        into: [planSessions(two, config(), resolve).sessions[0]!.id],
        reason: 'sampled in 0 of the last 600 updates of each part; at most 250 events an update together (cap 500)',
      },
    ]);
    expect(m.plan).toEqual(planSessions(two, config(), resolve));
    expect(m.state.splits).toEqual([{ ...d.state.splits[0], active: false, merges: 1 }]);
  });

  it('a split sampled again after its merge stays split for good', () => {
    const d = split();
    const m = decide(two, d.state, quietParts(d.plan, { n: 700, peak: 10 }));
    const again = decide(two, m.state, { [m.plan.sessions[0]!.id]: stats({ sampled: 25 }) });
    expect(again.changes.map((c) => c.kind)).toEqual(['split']);
    expect(again.state.splits).toEqual([expect.objectContaining({ active: true, merges: 1, reason: 'sampled in 25 of 60 updates' })]);
    const quiet = decide(two, again.state, quietParts(again.plan, { n: 5000, peak: 1 }));
    expect(quiet.changes.map((c) => [c.kind, c.reason])).toEqual([['stays-split', 'sampled in 0 of the last 600 updates of each part, but split again after a merge: stays split']]);
    expect(quiet.plan).toEqual(again.plan);
  });

  it('never merges into a session without a server-side pattern that the parts do not measure', () => {
    // JSON and terms do not join: the economical session streams every event of /a and /b.
    const mixed = set([rule({ id: 'a-json', logGroups: ['/a'], filterPattern: '{ $.level = "ERROR" }' }), rule({ id: 'b-term', logGroups: ['/b'], filterPattern: 'WARN' })]);
    const econ = planSessions(mixed, config(), resolve).sessions[0]!;
    expect(econ.params.logEventFilterPattern).toBeUndefined();
    const d = decide(mixed, EMPTY, { [econ.id]: stats({ sampled: 50 }) });
    const q = decide(mixed, d.state, quietParts(d.plan, { n: 5000, peak: 1 }));
    expect(q.changes.map((c) => c.kind)).toEqual(['stays-split']);
    expect(q.changes[0]!.reason).toContain('no server-side pattern');
    expect(q.state).toEqual(d.state);
  });

  /**
   * Updates through the decision, step by step: each running session sees the events its rules'
   * traffic gives it (its rules' rates summed: their patterns share no event), sampled beyond
   * the cap (then it delivers a cap-sized sample). Returns the changes.
   */
  function simulate(rules: RuleSet, rate: (ruleId: string, step: number) => number, steps: number, start: AdaptiveState = EMPTY): { changes: AdaptiveChange[]; state: AdaptiveState; plan: Plan } {
    const cap = 500;
    let state = start;
    let plan = decide(rules, state, {}).plan;
    let windows = new Map<string, UpdateWindow>();
    const changes: AdaptiveChange[] = [];
    for (let step = 0; step < steps; step++) {
      for (const s of plan.sessions) {
        let w = windows.get(s.id);
        if (!w) windows.set(s.id, (w = new UpdateWindow()));
        const events = s.rules.reduce((sum, r) => sum + rate(r, step), 0);
        w.push(Math.min(events, cap), events > cap);
      }
      if (step % 10 !== 9) continue; // the source looks after updates, not before every one
      const d = decide(rules, state, Object.fromEntries([...windows].map(([id, w]) => [id, w.stats()])));
      const moved = d.changes.filter((c) => c.kind === 'split' || c.kind === 'merge');
      changes.push(...moved);
      state = d.state;
      if (moved.length > 0) {
        // Sessions that start again start counting afresh; those kept keep their windows.
        const kept = new Set(plan.sessions.map((s) => s.id));
        plan = d.plan;
        windows = new Map([...windows].filter(([id]) => kept.has(id) && plan.sessions.some((s) => s.id === id)));
      }
    }
    return { changes, state, plan };
  }

  /** Deterministic jitter in [-1, 1]. */
  const jitter = (k: number) => Math.sin(k * 12.9898) * 0.5 + Math.sin(k * 78.233) * 0.5;

  it('a rate hovering around the cap: split once, never merged, never flapping (20,000 updates)', () => {
    // Each rule's traffic hovers around half the cap: together around the cap (sampled about half the time).
    const hover = (r: string, step: number) => Math.round(250 + 90 * jitter(step * 2 + (r === 'a-errors' ? 0 : 1)));
    const { changes, plan } = simulate(two, hover, 20_000);
    expect(changes.map((c) => c.kind)).toEqual(['split']);
    expect(plan.sessions).toHaveLength(2);
  });

  it('a rate hovering around the split threshold (sampled in about 20 of 60 updates) does not flap either', () => {
    // Over the cap in about a third of the updates.
    const edge = (r: string, step: number) => (r === 'a-errors' ? (jitter(step) > 0.42 ? 400 : 150) : 120);
    const { changes } = simulate(two, edge, 20_000);
    expect(changes.filter((c) => c.kind === 'merge')).toEqual([]);
    expect(changes.filter((c) => c.kind === 'split').length).toBeLessThanOrEqual(1);
  });

  it('traffic that falls well under the cap merges back once, 600 quiet updates later; a storm after that splits for good', () => {
    const phases = (r: string, step: number) => (step < 1_000 ? 400 : step < 3_000 ? 20 : step < 4_000 ? 400 : step < 9_000 ? 20 : 400) + (r === 'a-errors' ? 0 : 1);
    const { changes, state } = simulate(two, phases, 12_000);
    expect(changes.map((c) => c.kind)).toEqual(['split', 'merge', 'split']);
    expect(state.splits).toEqual([expect.objectContaining({ active: true, merges: 1 })]);
  });
});

describe('the plan state file', () => {
  it('reads back what the daemon writes; another version or a broken file is ignored', () => {
    const s: SessionSpec = planSessions(two, config(), resolve).sessions[0]!;
    const d = decide(two, EMPTY, { [s.id]: stats({ sampled: 30 }) });
    const file = { version: 1, savedAt: new Date(T).toISOString(), strategy: 'adaptive', splits: d.state.splits, sessions: [{ id: s.id, region: 'us-east-1', rules: s.rules, updates: 60, eventsPerUpdate: 12.5, peakEventsPerUpdate: 500, sampledUpdates: 30, windowUpdates: 60, sampledShare: 0.5 }] };
    expect(parsePlanState(JSON.parse(JSON.stringify(file)))).toEqual(file);
    expect(parsePlanState({ ...file, version: 2 })).toBeUndefined();
    expect(parsePlanState({ ...file, splits: [{ region: 'x' }] })).toBeUndefined();
    expect(parsePlanState('nonsense')).toBeUndefined();
    expect(ADAPTIVE_DEFAULTS).toEqual({ window: 60, splitAbove: 20, quietUpdates: 600, mergeBelowShare: 0.5 });
  });
});
