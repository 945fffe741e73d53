/**
 * Problems users see: a position in a file and a stable code.
 * Every stage that reads user input (config, rules, filter patterns, tests)
 * reports through this one shape, so `validate` prints them all alike.
 */
export type Severity = 'error' | 'warning';

export interface Problem {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly message: string;
  readonly severity: Severity;
  /** Stable machine-readable kind, e.g. `yaml`, `schema`, `duplicate-id`. */
  readonly code: string;
  readonly ruleId?: string | undefined;
}

/** `file:line:col: message` — the one-line form of SPEC §2. */
export function formatProblem(p: Problem): string {
  const prefix = p.severity === 'warning' ? 'warning: ' : '';
  return `${p.file}:${p.line}:${p.col}: ${prefix}${p.message}`;
}

/** A user-facing error that carries its problems (usually one). */
export class UserError extends Error {
  readonly problems: readonly Problem[];
  constructor(problems: readonly Problem[] | Problem) {
    const list = Array.isArray(problems) ? problems : [problems as Problem];
    super(list.map(formatProblem).join('\n'));
    this.name = 'UserError';
    this.problems = list;
  }
}
