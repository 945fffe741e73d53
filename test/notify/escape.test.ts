import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codeText, mrkdwn, plain } from '../../src/notify/slack/escape.js';
import { alertMessage } from '../../src/notify/slack/render.js';
import { sampleAlert } from '../kit/alerts.js';

const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 400 }),
  fc.array(fc.constantFrom('<', '>', '&', '`', '```', '<!channel>', '@here', '@channel', '<@U1>', '|', '\n', '\u0000', '😀', 'a', ' '), { maxLength: 300 }).map((a) => a.join('')),
);

describe('slack escaping, for any input', () => {
  it('mrkdwn: no raw < or >, every & an entity, no live mention, within the limit', () => {
    fc.assert(
      fc.property(hostile, fc.integer({ min: 5, max: 300 }), (s, max) => {
        const out = mrkdwn(s, max);
        expect(out.length).toBeLessThanOrEqual(max);
        expect(out).not.toMatch(/[<>]/);
        expect(out).not.toMatch(/&(?!amp;|lt;|gt;)/);
        expect(out).not.toMatch(/@(channel|here|everyone)/i);
        // no lone surrogate from a cut
        expect(out).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
      }),
      { numRuns: 500 },
    );
  });

  it('code text: no backtick at all (nothing can close the block), escaped, within the limit', () => {
    fc.assert(
      fc.property(hostile, fc.integer({ min: 5, max: 300 }), (s, max) => {
        const out = codeText(s, max);
        expect(out.length).toBeLessThanOrEqual(max);
        expect(out).not.toContain('`');
        expect(out).not.toMatch(/[<>]/);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps text that fits unchanged (apart from escaping) and marks a cut with …', () => {
    expect(mrkdwn('a & b', 100)).toBe('a &amp; b');
    expect(mrkdwn('x'.repeat(10), 10)).toBe('x'.repeat(10));
    expect(mrkdwn('x'.repeat(11), 10)).toBe('x'.repeat(9) + '…');
    expect(mrkdwn('&&&&', 10)).toBe('&amp;…');
    expect(plain('a\nb <!here>', 50)).toBe('a b <!here>');
  });

  it('any alert renders a message within Slack limits', () => {
    fc.assert(
      fc.property(hostile, hostile, fc.array(hostile, { maxLength: 5 }), (title, text, messages) => {
        const a = sampleAlert({ title, text, events: messages.map((m, i) => ({ timestamp: i, logGroup: m.slice(0, 50), logStream: 's', message: m.repeat(50) })) });
        const msg = alertMessage(a);
        expect(JSON.stringify(msg).length).toBeLessThanOrEqual(10_000);
        expect(msg.blocks.length).toBeLessThanOrEqual(50);
        const header = msg.blocks[0] as { text: { text: string } };
        expect(header.text.text.length).toBeLessThanOrEqual(150);
      }),
      { numRuns: 200 },
    );
  });
});
