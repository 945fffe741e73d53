/** A throwaway project folder: files written relative to a fresh temp dir. */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function makeProject(files: Record<string, string>, prefix = 'tw-project-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

export interface DaemonProjectOptions {
  /** The AWS endpoint (default: a closed port — in-process tests give the daemon a fake source). */
  readonly endpoint?: string;
  /** Where the `hook` webhook destination posts (default: a closed port). */
  readonly hookUrl?: string;
  /** Config lines appended (`server: …`, `delivery: …`). */
  readonly extra?: string;
  readonly prefix?: string;
}

/** The config daemon tests share: one account, a webhook named `hook` for every rule, throttle 0s, rules/ and state/. */
export function daemonConfig(opts: DaemonProjectOptions = {}): string {
  return `aws: { region: us-east-1, accountId: "123456789012", endpoint: "${opts.endpoint ?? 'http://127.0.0.1:1'}" }
rules: { paths: [rules], watch: false }
destinations:
  hook: { type: webhook, url: "${opts.hookUrl ?? 'http://127.0.0.1:1/hook'}" }
defaults: { notify: [hook], throttle: 0s }
state: { dir: state }
${opts.extra ?? ''}`;
}

/** A project folder with `tailwatch.yaml` (daemonConfig) and `rules/r.yaml` holding `rules`. */
export function daemonProject(rules: string, opts: DaemonProjectOptions = {}): string {
  return makeProject({ 'tailwatch.yaml': daemonConfig(opts), 'rules/r.yaml': rules }, opts.prefix ?? 'tw-daemon-');
}
