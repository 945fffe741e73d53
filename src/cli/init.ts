/**
 * `tailwatch init [DIR]`: a project to start from, without copying files by
 * hand and without questions — a commented `tailwatch.yaml`, a `rules/`
 * folder with one rule of each window type (none, threshold, absence, spike)
 * and their unit tests, and a systemd unit pointing at the config. Flags set
 * the region, the log group the rules watch, the destination and the
 * endpoint. The result validates and its tests pass. Existing files are
 * never overwritten without `--force`.
 */
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT_OK, EXIT_USAGE, type CommandDef } from './command.js';

const DESTINATION_TYPES = ['console', 'slack', 'webhook', 'alertmanager'] as const;
type DestinationType = (typeof DESTINATION_TYPES)[number];

export interface InitOptions {
  readonly region: string;
  readonly logGroup: string;
  readonly destination: DestinationType;
  readonly url?: string | undefined;
  readonly endpoint?: string | undefined;
  /** Absolute folder of the project (for the systemd unit). */
  readonly dir: string;
  /** Absolute folder of the package's schemas, for editors. */
  readonly schemaDir: string;
}

const q = (s: string): string => JSON.stringify(s);

function destinationYaml(o: InitOptions): string {
  const name = o.destination;
  switch (o.destination) {
    case 'console':
      return [
        `  ${name}:`,
        '    type: console              # alert blocks on the terminal (stderr while `run` logs JSON on stdout)',
        '  # A chat or an incident tool, with its URL in the environment (docs/config.md#destinations):',
        '  # slack:',
        '  #   type: slack',
        '  #   url: ${SLACK_WEBHOOK_URL}',
      ].join('\n');
    case 'slack':
      return [
        `  ${name}:`,
        '    type: slack',
        '    # Secrets belong in the environment (systemd: /etc/tailwatch/env). Drop the `:-…` default',
        '    # once SLACK_WEBHOOK_URL is set, so that a missing one fails `tailwatch validate`.',
        `    url: \${SLACK_WEBHOOK_URL:-${o.url ?? 'https://hooks.slack.com/services/REPLACE/WITH/YOURS'}}`,
        '    username: tailwatch',
        '    iconEmoji: ":rotating_light:"',
      ].join('\n');
    case 'webhook':
      return [
        `  ${name}:`,
        '    type: webhook              # POSTs the alert as JSON (docs/alerts.md)',
        '    # Drop the `:-…` default once ALERT_WEBHOOK_URL is set in the environment.',
        `    url: \${ALERT_WEBHOOK_URL:-${o.url ?? 'https://example.com/hooks/tailwatch'}}`,
        '    # headers: { Authorization: "Bearer ${ALERT_WEBHOOK_TOKEN}" }',
        '    # secret: ${ALERT_WEBHOOK_SECRET}   # signs each body: X-Tailwatch-Signature',
      ].join('\n');
    case 'alertmanager':
      return [
        `  ${name}:`,
        '    type: alertmanager         # POST <url>/api/v2/alerts',
        `    url: \${ALERTMANAGER_URL:-${o.url ?? 'http://127.0.0.1:9093'}}`,
      ].join('\n');
  }
}

export function configYaml(o: InitOptions): string {
  return `# yaml-language-server: $schema=${path.join(o.schemaDir, 'config.schema.json')}
# tailwatch configuration, written by \`tailwatch init\`. Every key, its default
# and how to keep secrets out of this file: docs/config.md (and
# config.example.yaml, which holds every key). Check it with
# \`tailwatch validate\`, run the rule tests with \`tailwatch test\`, see the Live
# Tail sessions and their cost with \`tailwatch plan\`.
aws:
  region: \${AWS_REGION:-${o.region}}
  # accountId: "123456789012"  # builds log group ARNs offline; without it: DescribeLogGroups
  # profile: monitoring        # default: the SDK's credential chain (environment, ~/.aws, instance role)
${o.endpoint ? `  endpoint: ${q(o.endpoint)}   # a local CloudWatch Logs (tailwatch emulate); remove for AWS\n` : ''}rules:
  paths: [rules]               # rule files and their *.test.yaml, relative to this file
  watch: true                  # reload when a rule file changes (also: systemctl reload tailwatch)
defaults:
  notify: [${o.destination}]
  throttle: 10m                # after an alert, repeats of the same rule and group wait this long
destinations:
${destinationYaml(o)}
sessions:
  strategy: adaptive           # as few Live Tail sessions as possible, split where Live Tail samples
  grace: 5s                    # how late after its timestamp a line may arrive and still count
state:
  dir: \${TAILWATCH_STATE_DIR:-.tailwatch-state}   # the outbox and the rules' windows
server:
  listen: \${TAILWATCH_LISTEN:-127.0.0.1:9464}     # /healthz, /readyz, /metrics
log:
  level: info
`;
}

interface RuleFile {
  readonly name: string;
  readonly rules: string;
  readonly tests: string;
}

export function ruleFiles(o: InitOptions): RuleFile[] {
  const header = `# yaml-language-server: $schema=${path.join(o.schemaDir, 'rules.schema.json')}`;
  const testHeader = `# yaml-language-server: $schema=${path.join(o.schemaDir, 'rule-tests.schema.json')}`;
  const g = q(o.logGroup);
  return [
    {
      name: 'fatal',
      rules: `${header}
# No window: every matching line is an alert (docs/rules.md#no-window-every-event-alerts).
rules:
  - id: app-fatal
    description: A fatal error
    severity: critical
    source:
      logGroups: [${g}]
      filterPattern: '?FATAL ?panic'      # any line containing FATAL or panic
    throttle: 0s                          # page on every one (the default would wait 5m)
    title: "FATAL in {{event.logGroup}}"
    message: "{{event.logStream}}: {{event.message}}"
`,
      tests: `${testHeader}
# Unit tests of fatal.yaml: \`tailwatch test\` (format: docs/rule-tests.md).
rule_files: [fatal.yaml]
tests:
  - name: every fatal line alerts
    input:
      - { at: 0s, logGroup: ${g}, logStream: web-1, message: "FATAL cannot open database" }
      - { at: 1s, logGroup: ${g}, logStream: web-1, message: "panic: nil map" }
      - { at: 2s, logGroup: ${g}, logStream: web-1, message: "INFO all good" }
    expect:
      - { rule: app-fatal, count: 1, at: 0s, text: "web-1: FATAL cannot open database" }
      - { rule: app-fatal, count: 1, at: 1s, text: "web-1: panic: nil map" }
`,
    },
    {
      name: 'errors',
      rules: `${header}
# A threshold: five error lines within a minute (docs/rules.md#threshold).
# The pattern reads JSON logs; adjust it to yours (\`tailwatch grep PATTERN FILE\` tries one).
rules:
  - id: app-errors
    description: Errors in ${o.logGroup}
    severity: error
    source:
      logGroups: [${g}]
      filterPattern: '{ $.level = "error" }'
    window:
      type: threshold
      count: 5
      within: 1m
    resolve: true                         # say so when a minute passes without a new firing
    title: "{{count}} errors in {{window}}"
    message: "Last: {{event.message}}"
`,
      tests: `${testHeader}
# Unit tests of errors.yaml: \`tailwatch test\` (format: docs/rule-tests.md).
rule_files: [errors.yaml]
tests:
  - name: five errors within a minute fire, and resolve a minute later
    input:
      - { at: 0s, repeat: 5, every: 1s, logGroup: ${g}, logStream: web-1, json: { level: error, msg: payment declined } }
    until: 5m
    expect:
      - { rule: app-errors, count: 5, at: 4s, title: "5 errors in 1m" }
      - { rule: app-errors, kind: resolved, at: 1m4s }
  - name: four errors, or errors more than a minute apart, do not
    input:
      - { at: 0s, repeat: 5, every: 20s, logGroup: ${g}, json: { level: error } }
      - { at: 0s, repeat: 4, logGroup: ${g}, json: { level: warn } }
    expect: []
`,
    },
    {
      name: 'heartbeat',
      rules: `${header}
# An absence: a job that stops logging its heartbeat (docs/rules.md#absence).
rules:
  - id: app-heartbeat-missing
    description: A job stopped logging its heartbeat
    severity: error
    source:
      logGroups: [${g}]
      filterPattern: '{ $.event = "heartbeat" }'
    window:
      type: absence
      within: 10m
      groupBy: [$.job]                    # one watch per job
    resolve: true
    title: "No heartbeat from {{group.job}} for {{window}}"
`,
      tests: `${testHeader}
# Unit tests of heartbeat.yaml: \`tailwatch test\` (format: docs/rule-tests.md).
rule_files: [heartbeat.yaml]
tests:
  - name: the heartbeat stops, then comes back
    input:
      - { at: 0m, repeat: 3, every: 1m, logGroup: ${g}, json: { event: heartbeat, job: nightly } }
      - { at: 15m, logGroup: ${g}, json: { event: heartbeat, job: nightly } }
    until: 20m
    expect:
      - { rule: app-heartbeat-missing, group: { job: nightly }, count: 0, at: 12m, title: "No heartbeat from nightly for 10m" }
      - { rule: app-heartbeat-missing, kind: resolved, group: { job: nightly }, count: 1, at: 15m }
`,
    },
    {
      name: 'spike',
      rules: `${header}
# A spike: 5xx at three times the previous window's rate (docs/rules.md#spike).
rules:
  - id: app-5xx-spike
    description: Server errors above their usual rate
    severity: warning
    source:
      logGroups: [${g}]
      filterPattern: '{ $.status >= 500 }'
    window:
      type: spike
      within: 5m
      factor: 3                           # three times the previous 5m …
      minCount: 10                        # … and at least ten
    title: "5xx spiking: {{count}} in {{window}}"
`,
      tests: `${testHeader}
# Unit tests of spike.yaml: \`tailwatch test\` (format: docs/rule-tests.md).
rule_files: [spike.yaml]
tests:
  - name: thirty 5xx after a quiet window of five fire at the fifteenth
    input:
      - { at: 0s, repeat: 5, every: 10s, logGroup: ${g}, json: { status: 503 } }
      - { at: 6m, repeat: 30, every: 1s, logGroup: ${g}, json: { status: 502 } }
    expect:
      - { rule: app-5xx-spike, count: 15, at: 6m14s, title: "5xx spiking: 15 in 5m" }
`,
    },
  ];
}

/** The deploy unit, pointed at this project's config. */
export function unitFile(deployUnit: string, o: InitOptions): string {
  const config = path.join(o.dir, 'tailwatch.yaml');
  const body = deployUnit.slice(deployUnit.indexOf('[Unit]')).replace(/^Environment=TAILWATCH_CONFIG=.*$/m, `Environment=TAILWATCH_CONFIG=${config}`);
  return `# tailwatch: alerting daemon for CloudWatch Logs Live Tail, written by \`tailwatch init\`
# for ${config}. Install:
#   sudo install -m 644 ${path.join(o.dir, 'tailwatch.service')} /etc/systemd/system/
#   # secrets (the variables tailwatch.yaml names): NAME=value lines in /etc/tailwatch/env (mode 600)
#   sudo systemctl daemon-reload && sudo systemctl enable --now tailwatch
# ProtectHome=yes below hides /home, /root and /run/user from the service: keep the
# config and rules elsewhere (/etc/tailwatch: \`tailwatch init /etc/tailwatch\`).
${body}`;
}

export const initCommand: CommandDef = {
  name: 'init',
  summary: 'write a commented config, example rules with their tests, and a systemd unit',
  configure: (c) =>
    c
      .argument('[dir]', 'folder to write into (created if missing)', '.')
      .option('--region <region>', 'AWS region of the log groups', 'us-east-1')
      .option('--log-group <name>', 'the log group the example rules watch', '/ecs/my-app')
      .option('--destination <type>', `where alerts go: ${DESTINATION_TYPES.join(', ')}`, 'console')
      .option('--url <url>', 'the destination’s URL (written as the default of its environment variable)')
      .option('--endpoint <url>', 'a CloudWatch Logs endpoint other than AWS’s, e.g. the emulator’s http://127.0.0.1:4566')
      .option('--force', 'overwrite existing files'),
  async run({ args, opts, io }) {
    const usage = (message: string): number => {
      io.stderr.write(`tailwatch init: ${message}\n`);
      return EXIT_USAGE;
    };
    const region = String(opts['region']);
    if (!/^[a-z]{2}(-[a-z]+)+-[0-9]+$/.test(region)) return usage(`--region must be an AWS region like eu-west-1, got "${region}"`);
    const logGroup = String(opts['logGroup']);
    if (!/^[.\-_/#A-Za-z0-9]{1,512}$/.test(logGroup)) return usage(`--log-group must be a log group name (letters, digits, . - _ / #), got "${logGroup}"`);
    const destination = String(opts['destination']);
    if (!(DESTINATION_TYPES as readonly string[]).includes(destination)) return usage(`--destination must be one of ${DESTINATION_TYPES.join(', ')}, got "${destination}"`);
    const url = typeof opts['url'] === 'string' ? opts['url'] : undefined;
    for (const [flag, value] of [['--url', url], ['--endpoint', opts['endpoint']]] as const) {
      if (typeof value === 'string' && !isHttpUrl(value)) return usage(`${flag} must be an http(s) URL`);
    }
    if (url !== undefined && (destination === 'console' || /[{}]/.test(url))) return usage(destination === 'console' ? '--url needs --destination slack, webhook or alertmanager' : '--url may not contain { or }');

    const dir = path.resolve(io.cwd, args[0] ?? '.');
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
    const o: InitOptions = { region, logGroup, destination: destination as DestinationType, url, endpoint: typeof opts['endpoint'] === 'string' ? opts['endpoint'] : undefined, dir, schemaDir: path.join(root, 'schema') };
    const files = new Map<string, string>([['tailwatch.yaml', configYaml(o)]]);
    for (const r of ruleFiles(o)) {
      files.set(`rules/${r.name}.yaml`, r.rules);
      files.set(`rules/${r.name}.test.yaml`, r.tests);
    }
    files.set('tailwatch.service', unitFile(await readFile(path.join(root, 'deploy/systemd/tailwatch.service'), 'utf8'), o));

    if (opts['force'] !== true) {
      const existing: string[] = [];
      for (const name of files.keys()) if (await exists(path.join(dir, name))) existing.push(name);
      if (existing.length > 0) return usage(`${shown(dir, io.cwd)} already has ${existing.join(', ')} (--force overwrites)`);
    }
    for (const [name, text] of files) {
      await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
      await writeFile(path.join(dir, name), text);
      io.stdout.write(`wrote ${path.join(shown(dir, io.cwd), name)}\n`);
    }
    const cd = dir === io.cwd ? '' : `  cd ${shown(dir, io.cwd)}\n`;
    io.stdout.write(
      `\nNext:\n${cd}  tailwatch validate && tailwatch test   # the config, the rules and their tests\n` +
        `  tailwatch plan                         # the Live Tail sessions and what they cost\n` +
        `  tailwatch run --log-format pretty      # the daemon (systemd: tailwatch.service)\n`,
    );
    return EXIT_OK;
  },
};

function shown(dir: string, cwd: string): string {
  const rel = path.relative(cwd, dir);
  return rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? dir : rel;
}

function isHttpUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
