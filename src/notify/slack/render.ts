/**
 * Slack Block Kit messages for one alert and for a digest of many. Every
 * string that comes from logs, rules or templates goes through `escape.ts`;
 * every block stays inside Slack's limits (header ≤ 150, section text ≤ 3000,
 * field ≤ 2000, ≤ 50 blocks) and the whole body is kept under `MAX_BODY`
 * characters of JSON, well below Slack's ~12k hard limit for `text`-heavy
 * messages, by shrinking the largest parts first — never a 400.
 */
import type { Alert } from '../../model/alert.js';
import { cut } from '../text.js';
import { codeText, mrkdwn, plain } from './escape.js';

export const LIMITS = { header: 150, section: 3000, field: 2000, blocks: 50, fallback: 500 } as const;
/** Characters of JSON the whole message may take. */
export const MAX_BODY = 10_000;

const SEVERITY_EMOJI: Record<string, string> = { critical: ':red_circle:', error: ':large_orange_circle:', warning: ':large_yellow_circle:', info: ':large_blue_circle:' };
const RESOLVED_EMOJI = ':white_check_mark:';

export type SlackBlock = Record<string, unknown>;
export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

function groupText(alert: Alert): string {
  const parts = Object.entries(alert.group).map(([k, v]) => `${k}=${v === null ? 'null' : String(v)}`);
  return parts.join(' ');
}

function headline(alert: Alert): string {
  return alert.kind === 'resolved' ? `RESOLVED: ${alert.title}` : `${alert.rule.severity.toUpperCase()}: ${alert.title}`;
}

function consoleLink(alert: Alert): string | undefined {
  const url = alert.links.console;
  return url && /^https:\/\//.test(url) && url.length <= 3000 ? url : undefined;
}

/** One alert as a Block Kit message. `budget` scales the large parts down when the JSON is too big. */
export function alertMessage(alert: Alert): SlackMessage {
  for (const scale of [1, 0.5, 0.25, 0.1]) {
    const msg = scaledMessage(alert, scale);
    if (JSON.stringify(msg).length <= MAX_BODY) return msg;
  }
  return scaledMessage(alert, 0);
}

/** The message with its large parts cut to `scale` of their budget (0: left out). */
function scaledMessage(alert: Alert, scale: number): SlackMessage {
  const resolved = alert.kind === 'resolved';
  const emoji = resolved ? RESOLVED_EMOJI : (SEVERITY_EMOJI[alert.rule.severity] ?? ':warning:');
  const blocks: SlackBlock[] = [{ type: 'header', text: { type: 'plain_text', text: plain(`${emoji} ${headline(alert)}`, LIMITS.header), emoji: true } }];
  const textBudget = Math.floor(2_500 * scale);
  if (alert.text && textBudget > 0) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: mrkdwn(alert.text, textBudget), verbatim: true } });
  }
  const field = (name: string, value: string) => ({ type: 'mrkdwn', text: `*${name}*\n${mrkdwn(value || '—', 200)}`, verbatim: true });
  const logGroups = [...new Set(alert.events.map((e) => e.logGroup).filter(Boolean))].join(', ');
  const fields = [field('Rule', alert.rule.id), field('Group', groupText(alert) || '(none)'), field('Count', String(alert.count)), field('Window', alert.window || 'none')];
  if (logGroups) fields.push(field('Log group', logGroups));
  if (alert.suppressed > 0) fields.push(field('Suppressed', String(alert.suppressed)));
  blocks.push({ type: 'section', fields });
  const sampleBudget = Math.floor(2_400 * scale);
  if (!resolved && alert.events.length > 0 && sampleBudget > 0) {
    const perLine = Math.max(40, Math.floor(sampleBudget / Math.min(5, alert.events.length)));
    const lines = alert.events.slice(0, 5).map((e) => codeText(e.message.replace(/\r?\n/g, ' ⏎ '), perLine));
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: '```\n' + truncateJoined(lines, sampleBudget) + '\n```', verbatim: true } });
  }
  const context = [`${resolved ? 'resolved' : 'fired'} at ${alert.firedAt}`, alert.sampled ? 'Live Tail sampled some events' : '', `id ${alert.id}`].filter(Boolean).join(' · ');
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: mrkdwn(context, 300), verbatim: true }] });
  const url = consoleLink(alert);
  if (url) blocks.push({ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open in CloudWatch' }, url }] });
  const fallback = `${resolved ? '[RESOLVED]' : `[${alert.rule.severity.toUpperCase()}]`} ${alert.title} (rule ${alert.rule.id}${groupText(alert) ? `, ${groupText(alert)}` : ''}, count ${alert.count})`;
  return { text: mrkdwn(fallback, LIMITS.fallback), blocks };
}

function truncateJoined(lines: readonly string[], max: number): string {
  let out = '';
  for (const l of lines) {
    const next = out ? out + '\n' + l : l;
    if (next.length > max) return out ? out + '\n…' : cut(l, Math.max(0, max - 1));
    out = next;
  }
  return out;
}

/** Many alerts folded into one message ("12 alerts: …"), one line each, within every limit. */
export function digestMessage(alerts: readonly Alert[]): SlackMessage {
  const firing = alerts.filter((a) => a.kind === 'firing').length;
  const resolved = alerts.length - firing;
  const bySeverity = new Map<string, number>();
  for (const a of alerts) if (a.kind === 'firing') bySeverity.set(a.rule.severity, (bySeverity.get(a.rule.severity) ?? 0) + 1);
  const summary = [...[...bySeverity].map(([s, n]) => `${n} ${s}`), resolved ? `${resolved} resolved` : ''].filter(Boolean).join(', ');
  const rules = [...new Set(alerts.map((a) => a.rule.id))];
  const head = `${alerts.length} alerts: ${summary}`;
  const lines = alerts.map((a) => {
    const emoji = a.kind === 'resolved' ? RESOLVED_EMOJI : (SEVERITY_EMOJI[a.rule.severity] ?? ':warning:');
    const group = groupText(a);
    return `${emoji} ${mrkdwn(a.title, 120)} · \`${mrkdwn(a.rule.id, 60)}\`${group ? ` · ${mrkdwn(group, 60)}` : ''} · ×${a.count}`;
  });
  const blocks: SlackBlock[] = [{ type: 'header', text: { type: 'plain_text', text: plain(head, LIMITS.header), emoji: true } }];
  // Lines packed into sections; whatever does not fit the size budget is summarised as "…and N more".
  const overhead = JSON.stringify(blocks).length + 800;
  let used = overhead;
  let section = '';
  let shown = 0;
  const sections: string[] = [];
  for (const line of lines) {
    const cost = JSON.stringify(line).length + 1;
    if (used + cost > MAX_BODY - 300 || sections.length >= LIMITS.blocks - 4) break;
    if (section.length + line.length + 1 > LIMITS.section - 100) {
      sections.push(section);
      section = '';
      used += 60;
    }
    section = section ? section + '\n' + line : line;
    used += cost;
    shown++;
  }
  if (section) sections.push(section);
  for (const s of sections) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: s, verbatim: true } });
  const more = alerts.length - shown;
  const context = `${more > 0 ? `…and ${more} more · ` : ''}rules: ${rules.slice(0, 10).join(', ')}${rules.length > 10 ? ', …' : ''} · folded by tailwatch during an alert storm`;
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: mrkdwn(context, 500), verbatim: true }] });
  const fallback = `${head} — ${alerts.slice(0, 5).map((a) => a.title).join('; ')}${alerts.length > 5 ? '; …' : ''}`;
  return { text: mrkdwn(fallback, LIMITS.fallback), blocks };
}
