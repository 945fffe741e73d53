/**
 * What `tailwatch COMMAND --help` shows after commander's usage and options:
 * examples to copy, and the command's exit codes (every command: 0 success,
 * 1 the checked thing failed, 2 usage or I/O error — here, what each means
 * for that command). main.ts imports it on every run and attaches it to each
 * command it registers, since commander prints it with `--help` and after a
 * usage error alike; it is plain data (importing it takes under 1 ms).
 */
export interface CommandHelp {
  readonly examples: readonly (readonly [command: string, comment: string])[];
  readonly exitCodes: readonly (readonly [code: number, meaning: string])[];
}

export const HELP: Readonly<Record<string, CommandHelp>> = {
  run: {
    examples: [
      ['tailwatch run -c /etc/tailwatch/tailwatch.yaml', 'the daemon, JSON logs on stdout (systemd runs it so)'],
      ['tailwatch run --log-format pretty --log-level debug', 'for a terminal'],
      ['kill -HUP $(pidof tailwatch)', 'reload the rules (systemctl reload tailwatch)'],
    ],
    exitCodes: [
      [0, 'stopped by SIGTERM or SIGINT'],
      [1, 'the config or the rules are invalid (problems on stderr), or a second signal stopped it at once'],
      [2, 'usage error, or it could not start (a port in use, an unreadable state directory)'],
    ],
  },
  validate: {
    examples: [
      ['tailwatch validate', './tailwatch.yaml and its rules (or ./rules without a config)'],
      ['tailwatch validate -c /etc/tailwatch/tailwatch.yaml', 'another config and its rules.paths'],
      ['tailwatch validate rules/payments.yaml', 'just these rule files or folders'],
      ['tailwatch validate --format json > problems.json', '[{file,line,col,message,ruleId,severity}] for CI annotations'],
    ],
    exitCodes: [
      [0, 'valid (warnings may be printed)'],
      [1, 'at least one error, each as file:line:col: message'],
      [2, 'usage error, or a config or path named that does not exist'],
    ],
  },
  test: {
    examples: [
      ['tailwatch test', 'every *.test.yaml under the rules.paths of ./tailwatch.yaml (or ./rules)'],
      ['tailwatch test -c /etc/tailwatch/tailwatch.yaml', 'the tests of that config’s rules, with its defaults'],
      ['tailwatch test rules/payments.test.yaml', 'just these test files'],
      ['tailwatch test --allow-empty', 'no test is not a failure'],
    ],
    exitCodes: [
      [0, 'every case passed'],
      [1, 'a case failed, a test or rule file is invalid, or no test was found (without --allow-empty)'],
      [2, 'usage or I/O error'],
    ],
  },
  replay: {
    examples: [
      ['tailwatch replay --input events.jsonl', 'the alerts, one JSON line each'],
      ['tailwatch replay --input events.jsonl --until +10m', 'and what falls due 10 minutes after the last event (absence, resolves)'],
      ['tailwatch grep --jsonl ERROR events.jsonl | tailwatch replay --input -', 'recorded events from stdin'],
      ['tailwatch replay --input events.jsonl --render oncall-slack', 'the exact bodies a destination would get'],
      ['tailwatch replay --input events.jsonl --send', 'and deliver them'],
    ],
    exitCodes: [
      [0, 'done'],
      [1, 'a rule failed on an event (its alerts are incomplete), or --send could not deliver everything'],
      [2, 'usage error, an unreadable or invalid input line, or an invalid config or rule set'],
    ],
  },
  grep: {
    examples: [
      ["tailwatch grep '{ $.status >= 500 }' app.log", 'the lines that match, like grep'],
      ["tailwatch grep -c '?ERROR ?FATAL -healthcheck' < app.log", 'how many'],
      ["tailwatch grep -v '[ip, user, ..., status = 2*]' access.log", 'the lines that do not'],
      ['tailwatch grep --jsonl FATAL events.jsonl', 'recorded events whose message matches'],
    ],
    exitCodes: [
      [0, 'a line was selected'],
      [1, 'no line was selected'],
      [2, 'an invalid pattern (pattern:1:COL: message), an unreadable file, or a line that is not a record (--jsonl)'],
    ],
  },
  plan: {
    examples: [
      ['tailwatch plan', 'the sessions, their rules and monthly cost, every strategy side by side'],
      ['tailwatch plan --format json', 'the same as JSON'],
      ['tailwatch plan --suggest', 'also the live rules whose windows are long enough to poll, and what polling them saves'],
    ],
    exitCodes: [
      [0, 'every rule has a session'],
      [1, 'a rule cannot be placed (the reason is printed)'],
      [2, 'usage error, an invalid config or rule set, or log groups could not be looked up'],
    ],
  },
  doctor: {
    examples: [
      ['tailwatch doctor', 'credentials, region, every log group, destinations, the plan and its cost, clock skew'],
      ['tailwatch doctor --live', 'and open each planned Live Tail session once (billed per session-minute)'],
      ['tailwatch doctor --format json', '{checks: [{check, subject, status, message, fix}], summary, live}'],
    ],
    exitCodes: [
      [0, 'no check failed (warnings may be printed)'],
      [1, 'a check failed (each fail line says what to do)'],
      [2, 'usage error, or an invalid config or rule set'],
    ],
  },
  'iam-policy': {
    examples: [
      ['tailwatch iam-policy', 'what the policy covers, how to attach it, and the policy document'],
      ['tailwatch iam-policy --format json > tailwatch-policy.json', 'the document alone, for aws iam put-role-policy'],
    ],
    exitCodes: [
      [0, 'the policy covers every log group of the rules'],
      [1, 'some log group could not be put in it (named on stderr: set aws.accountId)'],
      [2, 'usage error, an invalid config or rule set, or log groups could not be looked up'],
    ],
  },
  tail: {
    examples: [['tailwatch tail --rule payments-5xx-burst', 'the live events that pass its pattern and conditions, until Ctrl-C']],
    exitCodes: [
      [0, 'stopped by Ctrl-C'],
      [1, 'the rule cannot be placed in a session'],
      [2, 'usage error, an unknown rule, or Live Tail refused the session (a polled rule: FilterLogEvents refused the poll) (log group not found, access denied)'],
    ],
  },
  'notify-test': {
    examples: [
      ['tailwatch notify-test oncall-slack', 'a sample firing alert to one destination'],
      ['tailwatch notify-test am --resolved', 'a sample resolved alert'],
    ],
    exitCodes: [
      [0, 'delivered'],
      [1, 'the destination refused or could not be reached (the reason, and whether the daemon would retry)'],
      [2, 'usage error, an unknown destination, or an invalid config'],
    ],
  },
  emulate: {
    examples: [
      ['tailwatch emulate', 'a local CloudWatch Logs on http://127.0.0.1:4566 until Ctrl-C'],
      ['tailwatch emulate --port 0 --input demo/traffic.jsonl', 'any free port (printed), fed with recorded events in real time'],
      ['tailwatch emulate -c tailwatch.yaml', 'with the config’s aws.region and aws.accountId (the account its ARNs name)'],
    ],
    exitCodes: [
      [0, 'stopped by SIGINT or SIGTERM'],
      [2, 'usage error, an invalid input line, or the port cannot be listened on'],
    ],
  },
  put: {
    examples: [
      ["echo '{\"level\":\"error\"}' | tailwatch put --endpoint http://127.0.0.1:4566 --group /demo/app", 'one line, stamped now'],
      ['tailwatch put --group /demo/app --stream web-1 app.log', 'every line of a file (endpoint and region from ./tailwatch.yaml)'],
      ['tailwatch put --jsonl --now demo/traffic.jsonl', 'recorded events, to their own log groups, stamped now'],
    ],
    exitCodes: [
      [0, 'every event was stored'],
      [1, 'CloudWatch Logs rejected some events (too old, too far ahead)'],
      [2, 'usage error, an invalid input line, or the endpoint failed or could not be reached'],
    ],
  },
  init: {
    examples: [
      ['tailwatch init', 'tailwatch.yaml, rules/ and tailwatch.service in the current folder'],
      ['tailwatch init /etc/tailwatch --region eu-west-1 --log-group /ecs/payments --destination slack', 'for a server'],
      ['tailwatch init try --endpoint http://127.0.0.1:4566 --destination webhook --url http://127.0.0.1:8080/', 'against the emulator'],
    ],
    exitCodes: [
      [0, 'written'],
      [2, 'usage error, or files that already exist (--force overwrites)'],
    ],
  },
  completion: {
    examples: [
      ['source <(tailwatch completion bash)', 'in ~/.bashrc'],
      ['tailwatch completion zsh > "${fpath[1]}/_tailwatch"', 'zsh, then start a new shell'],
    ],
    exitCodes: [
      [0, 'the script was printed'],
      [2, 'an unknown shell'],
    ],
  },
};

export function helpText(help: CommandHelp): string {
  const examples = help.examples.map(([c, comment]) => `  # ${comment}\n  ${c}`);
  const codes = help.exitCodes.map(([code, meaning]) => `  ${code}  ${meaning}`);
  return `\nExamples:\n${examples.join('\n')}\n\nExit codes:\n${codes.join('\n')}\n`;
}

export const PROGRAM_HELP = `
Exit codes: 0 success, 1 the checked thing failed, 2 usage or I/O error
(\`tailwatch COMMAND --help\` says what each means for that command).
Start: \`tailwatch init\`. Shell completion: \`tailwatch completion bash|zsh\`.
Docs: docs/rules.md, docs/config.md, docs/alerts.md, docs/operations.md.
`;
