/**
 * `body` templates for receivers that want another shape — the examples in
 * src/notify/README.md (a test checks the README shows exactly these).
 * Discord's `allowed_mentions: {parse: []}` keeps `@everyone` in a log line
 * from pinging anyone.
 */
export const EXAMPLE_BODIES: Readonly<Record<string, unknown>> = {
  teams: {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            { type: 'TextBlock', size: 'Large', weight: 'Bolder', wrap: true, text: '{{vars.status}} {{title}}' },
            { type: 'TextBlock', wrap: true, text: '{{text}}' },
            {
              type: 'FactSet',
              facts: [
                { title: 'Rule', value: '{{rule.id}}' },
                { title: 'Severity', value: '{{rule.severity}}' },
                { title: 'Count', value: '{{count}} in {{window}}' },
                { title: 'Sample', value: '{{events.0.message}}' },
              ],
            },
          ],
          actions: [{ type: 'Action.OpenUrl', title: 'Open in CloudWatch', url: '{{links.console}}' }],
        },
      },
    ],
  },
  discord: {
    username: 'tailwatch',
    allowed_mentions: { parse: [] },
    embeds: [
      {
        title: '{{vars.status}} {{title}}',
        description: '{{text}}',
        url: '{{links.console}}',
        color: '{{vars.color}}',
        fields: [
          { name: 'Rule', value: '{{rule.id}}', inline: true },
          { name: 'Severity', value: '{{rule.severity}}', inline: true },
          { name: 'Count', value: '{{count}}', inline: true },
        ],
        timestamp: '{{firedAt}}',
      },
    ],
  },
  pagerduty: {
    routing_key: '${PAGERDUTY_ROUTING_KEY}',
    event_action: '{{vars.pagerdutyAction}}',
    dedup_key: '{{vars.groupKey}}',
    payload: {
      summary: '{{title}}',
      source: 'tailwatch/{{rule.id}}',
      severity: '{{rule.severity}}',
      timestamp: '{{firedAt}}',
      custom_details: { text: '{{text}}', group: '{{group}}', count: '{{count}}', events: '{{events}}' },
    },
    links: [{ href: '{{links.console}}', text: 'CloudWatch Logs' }],
  },
};
