import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { brief, ev, feed, rule, storm, T0 } from '../kit/rules.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

describe('engine state', () => {
  const rules = [
    rule({ id: 'thr', throttle: '10m', resolve: true, window: { type: 'threshold', count: 3, within: '1m', groupBy: ['$.h'] } }),
    rule({ id: 'hb', resolve: true, window: { type: 'absence', within: '1m', groupBy: ['$.h'] } }),
  ];
  const before = [...storm(0, 3, 1, { h: 'a' }), ...storm(10, 3, 1, { h: 'a' }), ev(20, { h: 'b' })];
  const after = [...storm(100, 3, 1, { h: 'a' }), ev(130, { h: 'b' })];

  it('exported as JSON and restored, continues exactly like an engine that never stopped', () => {
    const straight = new Engine({ rules });
    const expected = feed(straight, [...before, ...after], 1000);

    const first = new Engine({ rules });
    const part1 = feed(first, before);
    const saved = JSON.parse(JSON.stringify(first.exportState()));
    const second = new Engine({ rules, state: saved });
    const part2 = feed(second, after, 1000);
    expect([...part1, ...part2]).toEqual(expected);
    // thr: fires at 2, a suppressed firing at 12 moves its resolve to 72, which closes the
    // episode: the firing at 102 opens a new one (sent despite the 10m throttle) and resolves at
    // 162. hb: silent from 12 and 20.
    expect(expected.map(brief).map((b) => `${b.rule}:${b.kind}@${b.at}`)).toEqual([
      'thr:firing@2',
      'thr:resolved@72',
      'hb:firing@72',
      'hb:firing@80',
      'hb:resolved@100',
      'thr:firing@102',
      'hb:resolved@130',
      'thr:resolved@162',
      'hb:firing@162',
      'hb:firing@190',
    ]);
  });

  it('rejects a state of another version', () => {
    expect(() => new Engine({ rules, state: { version: 99, clock: null, rules: [] } })).toThrow(/version 99/);
  });

  it('reload keeps the windows of unchanged rules and starts changed ones fresh', () => {
    const engine = new Engine({ rules });
    feed(engine, storm(0, 2, 1, { h: 'a' }));
    // thr holds 2 of 3; a text-only edit keeps that, a window edit does not
    const edited = [{ ...rules[0]!, title: 'new title {{count}}', throttleMs: 0 }, rules[1]!];
    const kept = engine.reload(edited).engine;
    expect(feed(kept, [ev(2, { h: 'a' })]).map((a) => [a.rule.id, a.count, a.title])).toEqual([['thr', 3, 'new title 3']]);

    const engine2 = new Engine({ rules });
    feed(engine2, storm(0, 2, 1, { h: 'a' }));
    const changed = engine2.reload([{ ...rules[0]!, window: { ...rules[0]!.window!, withinMs: 120_000 } as never }, rules[1]!]).engine;
    expect(feed(changed, [ev(2, { h: 'a' })])).toEqual([]);
    expect(changed.counters).toBe(engine2.counters);
  });
});

describe('alert payload', () => {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats(ajv);
  const validate = ajv.compile(JSON.parse(readFileSync(new URL('../../schema/alert.schema.json', import.meta.url), 'utf8')) as object);

  const payRule = rule({
    id: 'payments-5xx-burst',
    description: 'Burst of 5xx',
    severity: 'critical',
    labels: { team: 'payments' },
    logGroups: ['/ecs/payments'],
    region: 'eu-west-1',
    throttle: '0s',
    resolve: true,
    window: { type: 'threshold', count: 2, within: '5m', groupBy: ['$.merchantId'] },
    title: '{{count}} 5xx on payments for {{group.merchantId}}',
    message: '{{count}} responses >= 500 in {{window}}. Last: {{event.message}}',
    notify: ['payments-slack', 'am'],
  });
  const events = storm(0, 2, 1, { merchantId: 'm-42', status: 503 }, { logGroup: '/ecs/payments', logStream: 'api-1' });

  it('has the shape of SPEC §7 and validates against schema/alert.schema.json', () => {
    const engine = new Engine({ rules: [payRule] });
    const routed = [...engine.ingest(events[0]!), ...engine.ingest(events[1]!), ...engine.advanceTo(events[1]!.timestamp + 600_000)];
    expect(routed.map((r) => r.destinations)).toEqual([['payments-slack', 'am'], ['payments-slack', 'am']]);
    const [firing, resolved] = routed.map((r) => r.alert);
    expect(firing).toMatchObject({
      version: 1,
      kind: 'firing',
      firedAt: '2026-01-01T00:00:01.000Z',
      rule: { id: 'payments-5xx-burst', description: 'Burst of 5xx', severity: 'critical', labels: { team: 'payments' } },
      group: { merchantId: 'm-42' },
      count: 2,
      window: '5m',
      firstEventAt: '2026-01-01T00:00:00.000Z',
      lastEventAt: '2026-01-01T00:00:01.000Z',
      suppressed: 0,
      sampled: false,
      title: '2 5xx on payments for m-42',
      text: '2 responses >= 500 in 5m. Last: {"merchantId":"m-42","status":503}',
      links: { console: 'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/$252Fecs$252Fpayments/log-events/api-1' },
    });
    expect(firing!.events).toHaveLength(2);
    expect(resolved!.kind).toBe('resolved');
    for (const a of [firing, resolved]) expect(validate(JSON.parse(JSON.stringify(a))), JSON.stringify(validate.errors)).toBe(true);
  });

  it("links to the console of the log group's partition (China, GovCloud); the link does not enter the id", () => {
    const once = (spec: { region?: string; logGroups?: string[] }, logGroup: string) =>
      feed(new Engine({ rules: [rule({ id: 'p', throttle: '0s', ...spec })] }), [ev(1, 'ERROR x', { logGroup, logStream: 'api-1' })])[0]!;
    const cnArn = 'arn:aws-cn:logs:cn-north-1:123456789012:log-group:/ecs/payments';
    const cn = once({ logGroups: [cnArn] }, cnArn);
    expect(cn.links.console).toBe('https://console.amazonaws.cn/cloudwatch/home?region=cn-north-1#logsV2:log-groups/log-group/$252Fecs$252Fpayments/log-events/api-1');
    // A name takes the partition of its source's region.
    const gov = once({ region: 'us-gov-west-1', logGroups: ['/ecs/payments'] }, '/ecs/payments');
    expect(gov.links.console).toBe('https://console.amazonaws-us-gov.com/cloudwatch/home?region=us-gov-west-1#logsV2:log-groups/log-group/$252Fecs$252Fpayments/log-events/api-1');
    const commercial = once({ region: 'eu-west-1', logGroups: ['/ecs/payments'] }, '/ecs/payments');
    expect(commercial.links.console).toBe('https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/$252Fecs$252Fpayments/log-events/api-1');
    // The same decision on the same event: one id, whichever console it links to.
    expect(gov.id).toBe(commercial.id);
  });

  it('has a stable id: the same decision in two engines gives the same id, another decision another id', () => {
    const a = feed(new Engine({ rules: [payRule] }), events);
    const b = feed(new Engine({ rules: [payRule] }), events);
    expect(a[0]!.id).toMatch(/^[0-9a-f]{32}$/);
    expect(a[0]!.id).toBe(b[0]!.id);
    const later = feed(new Engine({ rules: [payRule] }), storm(5, 2, 1, { merchantId: 'm-42' }, { logGroup: '/ecs/payments' }));
    expect(later[0]!.id).not.toBe(a[0]!.id);
  });

  it('gives two events in the same millisecond two alerts with two ids (no window), the same ids on every run', () => {
    const every = rule({ id: 'every', throttle: '0s' });
    const sameMs = [ev(1, 'ERROR first'), ev(1, 'ERROR second')];
    const a = feed(new Engine({ rules: [every] }), sameMs);
    const b = feed(new Engine({ rules: [every] }), sameMs);
    expect(a).toHaveLength(2);
    expect(a[0]!.id).not.toBe(a[1]!.id);
    expect(a.map((x) => x.id)).toEqual(b.map((x) => x.id));
  });

  it('marks alerts whose window held a sampled event', () => {
    const engine = new Engine({ rules: [payRule] });
    const alerts = feed(engine, [{ ...events[0]!, sampled: true }, events[1]!]);
    expect(alerts[0]!.sampled).toBe(true);
    expect(engine.counters.sampledEvents).toBe(1);
  });

  it('cuts a huge sample message so one hostile line cannot bloat the alert', () => {
    const engine = new Engine({ rules: [rule({ throttle: '0s' })] });
    const [a] = feed(engine, [ev(0, 'x'.repeat(1_000_000))]);
    expect(a!.events[0]!.message.length).toBe(16_385);
    expect(a!.events[0]!.message.endsWith('…')).toBe(true);
  });
});

describe('engine state keeps gaps', () => {
  it('a firing over a gap says sampled also after a restart between the gap and the firing', () => {
    const thr = rule({ id: 'thr', window: { type: 'threshold', count: 2, within: '5m' } });
    const first = new Engine({ rules: [thr] });
    feed(first, [ev(0)]);
    first.markGap(T0 + 60_000, T0 + 180_000);
    first.skipGap(T0 + 180_000);
    const second = new Engine({ rules: [thr], state: JSON.parse(JSON.stringify(first.exportState())) });
    const alerts = feed(second, [ev(240)]);
    expect(alerts.map((a) => [a.kind, a.sampled])).toEqual([['firing', true]]);
  });
});
